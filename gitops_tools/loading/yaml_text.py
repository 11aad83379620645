"""YAML text -> documents, using libyaml (CSafeLoader) to parse and compose, PyYAML's safe constructor to build.

The composed node tree is kept with each document so positions cost nothing until a finding asks for one.
"""

from __future__ import annotations

import functools
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
    """Safe loader that records duplicate keys, keeps timestamps as strings and reads application tags as data."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.duplicates: list[yaml.Node] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        own_pairs = node.value  # flatten_mapping deletes merge keys from this list, then prepends merged pairs
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):  # cheap test; only then look for the culprits
            self.duplicates.extend(duplicate_keys(own_pairs))
        return mapping


def duplicate_keys(pairs: list[tuple[yaml.Node, yaml.Node]]) -> Iterator[yaml.Node]:
    """Each scalar key node that repeats an earlier key of the same mapping."""
    seen: set[str] = set()
    for key_node, _ in pairs:
        if isinstance(key_node, yaml.ScalarNode):
            if key_node.value in seen:
                yield key_node
            seen.add(key_node.value)


def duplicate_problem(key_node: yaml.Node, lines: Lines) -> Problem:
    mark = key_node.start_mark
    detail = f"{key_node.value!r} appears again; only the last value is kept"
    return Problem("yaml-duplicate-key", detail, mark.line + 1, mark.column + 1, lines.text(mark.line))


class Lines:
    """Line texts of a file, indexed once on first use (problems tie their fingerprints to a line's content)."""

    SNIPPET_CHARS = 200

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: list[str] | None = None

    def text(self, index: int) -> str:
        """The stripped, length-capped text of the 0-based line `index`."""
        if self._lines is None:
            self._lines = self._text.splitlines()
        return self._lines[index].strip()[: self.SNIPPET_CHARS] if 0 <= index < len(self._lines) else ""


def _timestamp_as_text(loader: _Constructor, node: yaml.Node) -> str:
    """Kubernetes reads `2024-01-01` as a string (JSON has no dates); so do we."""
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


def _application_tag(loader: _Constructor, node: yaml.Node) -> Any:
    """`!reference`, `!Ref`, `!include`...: tags other tools give meaning to; linting sees the plain value."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Constructor.add_constructor(None, _application_tag)


def load_yaml(text: str, path: str, alias_limit: int) -> tuple[list[Document], list[Problem]]:
    """Every document that loads, plus the problems found on the way (parsing stops at a syntax error)."""
    documents: list[Document] = []
    problems: list[Problem] = []
    lines = Lines(text)
    loader = _Constructor(text)
    check_aliases = "&" in text and "*" in text
    try:
        for index, node in enumerate(_nodes(loader)):
            problem = _alias_problem(node, alias_limit) if check_aliases else None
            if problem is not None:
                problems.append(problem)
                continue
            try:
                data = loader.construct_document(node)
                if check_aliases:  # positions must come from where an alias is used, not from its anchor
                    documents.append(Document(path, index, data, compose=functools.partial(_alias_marked, text, index)))
                else:
                    documents.append(Document(path, index, data, node))
            except yaml.constructor.ConstructorError as err:  # bad data in one document: the next may be fine
                problems.append(_marked_problem(err, lines))
            except (ValueError, KeyError, IndexError, OverflowError) as err:  # e.g. `!!int "abc"`, `!!bool maybe`
                mark = node.start_mark
                detail = f"a value does not fit its tag ({type(err).__name__}: {err})"
                problems.append(Problem("yaml-syntax", detail, mark.line + 1, mark.column + 1, lines.text(mark.line)))
    except yaml.MarkedYAMLError as err:
        problems.append(_marked_problem(err, lines))
    except yaml.reader.ReaderError as err:  # a control character: YAML forbids them anywhere, comments included
        line = text.count("\n", 0, err.position) + 1
        col = err.position - (text.rfind("\n", 0, err.position) + 1) + 1
        detail = f"character {err.character!r} is not allowed in YAML (control characters must be escaped)"
        problems.append(Problem("yaml-syntax", detail, line, col, lines.text(line - 1)))
    except RecursionError:
        problems.append(Problem("document-too-deep", "nesting is too deep to process"))
    finally:
        loader.dispose()
    problems.extend(duplicate_problem(key_node, lines) for key_node in loader.duplicates)
    return documents, problems


class _AliasMarkingComposer(yaml.SafeLoader):
    """Composes a node tree in which each alias is a leaf at the alias's own position (for locating only)."""

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()  # type: ignore[no-untyped-call]
            return yaml.ScalarNode(ALIAS_TAG, f"*{event.anchor}", event.start_mark, event.end_mark)
        node: yaml.Node | None = super().compose_node(parent, index)
        return node


ALIAS_TAG = "tag:gitops-tools,2024:alias"


def _alias_marked(text: str, index: int) -> yaml.Node | None:
    """The `index`-th document's tree with aliases as leaves (pure Python: only for files with aliases)."""
    loader = _AliasMarkingComposer(text)
    try:
        for _ in range(index):
            loader.check_node()
            loader.get_node()
        node: yaml.Node | None = loader.get_node() if loader.check_node() else None
        return node
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _nodes(loader: _Constructor) -> Iterator[yaml.Node]:
    while loader.check_node():
        node = loader.get_node()
        if node is not None:
            yield node


def _marked_problem(err: yaml.MarkedYAMLError, lines: Lines) -> Problem:
    mark = err.problem_mark or err.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = err.problem or "invalid YAML"
    if LIBYAML_DEPTH_MESSAGE in problem:
        return Problem("document-too-deep", f"nesting is deeper than libyaml's limit ({problem})", line, col)
    detail = f"{problem} ({err.context})" if err.context else problem
    return Problem("yaml-syntax", detail, line, col, lines.text(line - 1))


def _alias_problem(root: yaml.Node, limit: int) -> Problem | None:
    size = _expanded_size(root, limit)
    if 0 <= size <= limit:
        return None
    mark = root.start_mark
    detail = "an alias refers to itself" if size == RECURSIVE else f"aliases expand it beyond {limit} nodes"
    return Problem("yaml-alias-limit", detail, mark.line + 1, mark.column + 1)


RECURSIVE = -1


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes in the document once every alias is expanded (capped past `limit`); RECURSIVE for a cycle."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if children_done:
            on_path.discard(id(node))
            sizes[id(node)] = min(limit + 1, 1 + sum(sizes[id(child)] for child in _children(node)))
            continue
        if id(node) in sizes:
            continue
        if id(node) in on_path:
            return RECURSIVE
        on_path.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []
