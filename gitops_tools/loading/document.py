"""A loaded document and the lookup from a value's path to its position in the file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from gitops_tools.model import JsonPath

Span = tuple[int, int, int, int]  # 1-based line, col, end line, end col


@dataclass
class Document:
    """One YAML/JSON document. Positions are computed only when a finding needs one."""

    path: str
    index: int
    data: Any
    node: yaml.Node | None = None
    compose: Callable[[], yaml.Node | None] | None = field(default=None, repr=False)

    def locate(self, path: JsonPath) -> Span:
        """Span of the value at `path`: a mapping member spans `key: value`, a list item spans the item."""
        if self.node is None and self.compose is not None:
            self.node, self.compose = self.compose(), None
        if self.node is None:
            return (1, 1, 1, 1)
        return _walk(self.node, path)


def span_of(start: yaml.Node, end: yaml.Node) -> Span:
    s, e = start.start_mark, end.end_mark
    return (s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _walk(node: yaml.Node, path: JsonPath) -> Span:
    """Follow `path` through the node tree; stop at the deepest node that exists.

    A child that starts outside its parent came through an alias or a merge key: the finding stays at the place
    that uses the alias (where the reader looks), not at the anchor, which may serve many places.
    """
    span = span_of(node, node)
    for step in path:
        found = _child(node, step)
        if found is None:
            break
        key_node, child = found
        first = key_node or child
        if not node.start_mark.index <= first.start_mark.index <= node.end_mark.index:
            break
        node, span = child, span_of(first, child)
    return span


def _child(node: yaml.Node, step: str | int) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        return (None, node.value[step]) if 0 <= step < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        wanted = str(step)
        for key_node, value_node in reversed(node.value):  # the last duplicate wins, as when loading
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == wanted:
                return key_node, value_node
    return None
