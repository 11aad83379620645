"""A loaded document and the lookup from a value's path to its position in the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import JsonPath

Span = tuple[int, int, int, int]  # 1-based line, col, end line, end col
STR_TAG = "tag:yaml.org,2002:str"
TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class Document:
    """One YAML/JSON document. Positions are computed only when a finding needs one. (A plain class, not a
    dataclass: see gitops_tools/model.py.)"""

    __slots__ = ("compose", "data", "index", "lines", "node", "null_members", "path", "plain")

    def __init__(self, path: str, index: int, data: Any, lines: LineIndex, node: yaml.Node | None = None, *,
                 compose: Callable[[], yaml.Node | None] | None = None, plain: yaml.Node | None = None,
                 null_members: bool = True) -> None:
        self.path = path
        self.index = index
        self.data = data
        self.lines = lines
        self.node = node
        self.compose = compose
        # In a document that uses aliases: the tree as first composed, where an alias and its anchor share one node.
        self.plain = plain
        self.null_members = null_members  # False when the loader knows no mapping member in it is null

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r}, {self.index}, {self.data!r})"

    def locate_near(self, path: JsonPath) -> Span:
        """`locate`, without composing a second tree for a document that uses aliases: a path through an alias stops
        near it. For the workspace record of every object (where its name is written), rarely reported: composing
        alias trees for them cost a 5.7 MB stream with one alias 1.6 s."""
        node = self.node if self.node is not None else self.plain
        return self.locate(path) if node is None else _walk(node, path, self.lines)

    def locate(self, path: JsonPath) -> Span:
        """Span of the value at `path`: a mapping member spans `key: value`, a list item spans the item."""
        node = self.tree()
        if node is None:
            return (1, 1, 1, 1)
        return _walk(node, path, self.lines)

    def locate_text(self, path: JsonPath, offset: int) -> Span:
        """Position of character `offset` of the text value at `path`, where it is written character for character
        (gitops_tools/loading/scalar_text.py); else the value's span."""
        from gitops_tools.loading.scalar_text import text_position

        node = self.node_at(path)
        found = text_position(node, self.lines, offset) if node is not None else None
        if found is None:
            return self.locate(path)
        return (*found, *found)

    def tree(self) -> yaml.Node | None:
        """The document's node tree, composed on first use (None when it cannot be)."""
        if self.node is None and self.compose is not None:
            self.node, self.compose = self.compose(), None
        return self.node

    def node_at(self, path: JsonPath) -> yaml.Node | None:
        """The node of the value at `path`, written where `path` leads (None when it is not, e.g. behind an
        alias)."""
        node = self.tree()
        keys = _KeyValues()
        for step in path:
            found = _child(node, step, keys) if node is not None else None
            if node is None or found is None:
                return None
            key_node, child = found
            if not node.start_mark.index <= (key_node or child).start_mark.index <= node.end_mark.index:
                return None
            node = child
        return node


def span_of(start: yaml.Node, end: yaml.Node, lines: LineIndex) -> Span:
    """From the start of `start` to the end of `end`, by character offsets (exact whatever the line breaks)."""
    return (*lines.position(start.start_mark.index), *lines.position(end.end_mark.index))


def _walk(node: yaml.Node, path: JsonPath, lines: LineIndex) -> Span:
    """Follow `path` through the node tree; stop at the deepest node that exists.

    A child that starts outside its parent came through an alias or a merge key: the finding stays at the place
    that uses the alias (where the reader looks), not at the anchor, which may serve many places.
    """
    start = node
    keys = _KeyValues()
    for step in path:
        found = _child(node, step, keys)
        if found is None:
            break
        key_node, child = found
        first = key_node or child
        if not node.start_mark.index <= first.start_mark.index <= node.end_mark.index:
            break
        node, start = child, first
    return span_of(start, node, lines)  # once, for the deepest node: positions cost a search each


def _child(node: yaml.Node, step: str | int, keys: _KeyValues) -> tuple[yaml.Node | None, yaml.Node] | None:
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int):
        return (None, node.value[step]) if 0 <= step < len(node.value) else None
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in reversed(node.value):  # the last duplicate wins, as when loading
            if isinstance(key_node, yaml.ScalarNode) and keys.matches(key_node, step):
                return key_node, value_node
    return None


class _KeyValues:
    """What a scalar key loads as, to match a path step: `on:` is the key True in YAML 1.1, `~:` is None."""

    def __init__(self) -> None:
        self._constructor: yaml.constructor.SafeConstructor | None = None

    def matches(self, key_node: yaml.ScalarNode, step: object) -> bool:
        if key_node.tag in (STR_TAG, TIMESTAMP_TAG) or isinstance(step, str):  # timestamps load as text here
            return key_node.value == step if isinstance(step, str) else False
        if self._constructor is None:
            self._constructor = yaml.constructor.SafeConstructor()
        try:
            value = self._constructor.construct_object(key_node)
        except (yaml.YAMLError, ValueError, OverflowError):
            return False
        return type(value) is type(step) and bool(value == step)
