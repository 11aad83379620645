"""JSON text -> one document, parsed by the C json module; positions come from libyaml only when asked for."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import yaml

from gitops_tools.loading.document import Document
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import Problem

# libyaml rejects escaped UTF-16 surrogates ("\ud83d\ude00", how json.dumps writes emoji). Positions only need the
# shape, so each becomes a same-length escape of a space before composing.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def position(err: json.JSONDecodeError) -> tuple[int, int]:
    """Line and column of a JSON error, lines ended by \\n, \\r\\n or \\r (json counts \\n alone)."""
    return LineIndex(err.doc).position(err.pos)


def load_json(text: str, lines: LineIndex, path: str) -> tuple[list[Document], list[Problem]]:
    """The document (JSON values, last duplicate wins) or a syntax problem, plus any duplicate-key problems."""
    duplicates: list[str] = []

    def strict_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(pairs)
        if len(result) != len(pairs):
            duplicates.append("")
        return result

    try:
        data = json.loads(text, object_pairs_hook=strict_object)
    except json.JSONDecodeError as err:
        return [], [Problem("json-syntax", err.msg, *lines.position(err.pos))]
    except RecursionError:
        return [], [Problem("document-too-deep", "nesting is too deep to process")]
    except ValueError:  # the only other failure of json.loads on a str: an integer over Python's digit limit
        return [], [_long_integer(text, lines)]
    if _SURROGATE_ESCAPE.search(text):
        data = _without_lone_surrogates(data)

    def compose() -> yaml.Node | None:
        try:
            return yaml.compose(_SURROGATE_ESCAPE.sub(r"\\u0020", text), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            return None  # valid JSON that YAML 1.1 rejects: findings fall back to 1:1

    document = Document(path, 0, data, lines, compose=compose)
    return [document], _duplicate_problems(document, lines) if duplicates else []


def _without_lone_surrogates(data: Any) -> Any:
    """`data` with each unpaired `\\udXXX` escape as U+FFFD, as Go's encoding/json (and so Kubernetes) reads it: a
    lone surrogate is not text, cannot be encoded, and would break every later step (iteratively: any depth)."""
    holder: list[Any] = [data]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, data)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, str):
            parent[slot] = _as_text(item)
        elif isinstance(item, dict):
            parent[slot] = mapping = {_as_text(key): value for key, value in item.items()}
            stack.extend((mapping, key, value) for key, value in mapping.items())
        elif isinstance(item, list):
            stack.extend((item, index, value) for index, value in enumerate(item))
    return holder[0]


def _as_text(value: str) -> str:
    return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _long_integer(text: str, lines: LineIndex) -> Problem:
    limit = sys.get_int_max_str_digits()
    match = next((run for run in re.finditer(r"\d+", text) if len(run.group()) > limit), None)  # one pass
    line, col = lines.position(match.start()) if match else (1, 1)
    digits = len(match.group()) if match else 0
    detail = f"an integer of {digits} digits is longer than the {limit}-digit limit"
    return Problem("json-syntax", detail, line, col, lines.text(line))


def _duplicate_problems(document: Document, lines: LineIndex) -> list[Problem]:
    """Positions of repeated keys, found in the YAML node tree (JSON is YAML); 1:1 if YAML cannot read it."""
    from gitops_tools.loading.yaml_text import duplicate_keys, duplicate_problem

    document.locate(())  # composes the node tree
    stack = [document.node] if document.node is not None else []
    problems: list[Problem] = []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            problems.extend(duplicate_problem(pair, lines) for pair in duplicate_keys(node.value, _text_key))
            stack.extend(value for _, value in node.value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems, key=lambda p: (p.line, p.col)) or [Problem("yaml-duplicate-key", "a key appears twice")]


def _text_key(node: yaml.Node) -> str:
    value: str = node.value  # JSON keys are strings
    return value
