"""YAML text -> documents, using libyaml (CSafeLoader) to parse and compose, PyYAML's safe constructor to build.

The composed node tree is kept with each document so positions cost nothing until a finding asks for one.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from gitops_tools.loading.document import Document
from gitops_tools.model import Problem

LIBYAML_DEPTH_MESSAGE = "exceeded maximum nesting depth"


try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # PyYAML built without libyaml: slower, same results
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _Constructor(_SafeLoader):
    """Safe loader that records duplicate keys and keeps timestamps as the strings Kubernetes sees."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicates: list[Problem] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):  # cheap test; only then look for the culprits
            self._record_duplicates(node)
        return mapping

    def _record_duplicates(self, node: yaml.MappingNode) -> None:
        seen: set[str] = set()
        start, end = node.start_mark.index, node.end_mark.index
        for key_node, _ in node.value:
            mark = key_node.start_mark
            if not isinstance(key_node, yaml.ScalarNode) or not start <= mark.index < end:
                continue  # keys merged in from an anchor elsewhere may be overridden
            if key_node.value in seen:
                self.duplicates.append(
                    Problem("yaml-duplicate-key", f"duplicate key {key_node.value!r}", mark.line + 1, mark.column + 1)
                )
            seen.add(key_node.value)


def _timestamp_as_text(loader: _Constructor, node: yaml.Node) -> str:
    """Kubernetes reads `2024-01-01` as a string (JSON has no dates); so do we."""
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def load_yaml(text: str, path: str, alias_limit: int) -> tuple[list[Document], list[Problem]]:
    """Every document that parses, plus the problems found on the way (stops at the first syntax error)."""
    documents: list[Document] = []
    problems: list[Problem] = []
    loader = _Constructor(text)
    check_aliases = "&" in text and "*" in text
    try:
        for index, node in enumerate(_nodes(loader)):
            if node is None:
                continue
            if check_aliases and _expanded_size(node, alias_limit) > alias_limit:
                mark = node.start_mark
                detail = f"aliases expand this document beyond {alias_limit} nodes"
                problems.append(Problem("yaml-alias-limit", detail, mark.line + 1, mark.column + 1))
                continue
            data = loader.construct_document(node)
            documents.append(Document(path, index, data, node))
    except yaml.MarkedYAMLError as err:
        problems.append(_syntax_problem(err))
    except RecursionError:
        problems.append(Problem("document-too-deep", "nesting is too deep to process"))
    finally:
        loader.dispose()
    problems.extend(loader.duplicates)
    return documents, problems


def _nodes(loader: _Constructor) -> Iterator[yaml.Node | None]:
    while loader.check_node():
        yield loader.get_node()


def _syntax_problem(err: yaml.MarkedYAMLError) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = err.problem or "invalid YAML"
    if LIBYAML_DEPTH_MESSAGE in problem:
        return Problem("document-too-deep", f"nesting is deeper than libyaml's limit ({problem})", line, col)
    detail = f"{problem} ({err.context})" if err.context else problem
    return Problem("yaml-syntax", detail, line, col)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """How many nodes the document has once every alias is expanded (stops counting past `limit`)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(child)] for child in children))
            continue
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
