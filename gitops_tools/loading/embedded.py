"""A JSON document held in a text value of another document (a Grafana dashboard in a ConfigMap's `data`), with
positions mapped back into the outer file.

In a literal block scalar (`|`, the way such files are written) the text's line k is the outer line k after the `|`,
shifted right by the block's indentation: every position maps exactly. In any other style (quoted, folded, plain)
escapes and folding move characters around, so every position inside is the text value's own span.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

from gitops_tools.loading.document import Document, Span
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import JsonPath


class EmbeddedDocument(Document):
    """A document parsed from a text at `outer_path` in `outer`: `locate` answers in the outer file."""

    __slots__ = ("_fallback", "_offset", "outer", "outer_path")

    def __init__(self, path: str, index: int, data: Any, lines: LineIndex, *,
                 compose: Callable[[], yaml.Node | None] | None = None, outer: Document | None = None,
                 outer_path: JsonPath = ()) -> None:
        super().__init__(path, index, data, lines, compose=compose)
        self.outer = outer
        self.outer_path = outer_path
        self._offset: tuple[int, int] | None = None  # (lines, columns) added to a position
        self._fallback: Span | None = None  # when positions cannot be mapped exactly

    def locate(self, path: JsonPath) -> Span:
        if self.outer is None:
            return super().locate(path)
        if self._offset is None and self._fallback is None:
            self._offset = self._mapping(self.outer)
            if self._offset is None:
                self._fallback = self.outer.locate(self.outer_path)
        if self._fallback is not None:
            return self._fallback
        lines, columns = self._offset or (0, 0)
        line, col, end_line, end_col = super().locate(path)
        return line + lines, col + columns, end_line + lines, end_col + columns

    def locate_text(self, path: JsonPath, offset: int) -> Span:
        """Exact where the JSON string is written character for character in a literal block; else `locate`."""
        from gitops_tools.loading.scalar_text import text_position

        span = self.locate(path)  # maps the text into the outer file, or finds that it cannot
        if self.outer is None or self._fallback is not None:
            return span
        node = self.node_at(path)
        found = text_position(node, self.lines, offset) if node is not None else None
        if found is None:
            return span
        lines, columns = self._offset or (0, 0)
        line, col = found[0] + lines, found[1] + columns
        return line, col, line, col

    def _mapping(self, outer: Document) -> tuple[int, int] | None:
        """(lines, columns) to add to an inner position, or None when the text is no literal block."""
        node = outer.node_at(self.outer_path)
        if not isinstance(node, yaml.ScalarNode) or node.style != "|":
            return None
        header, _ = outer.lines.position(node.start_mark.index)
        inner = node.value.split("\n")
        first = next((index for index, text in enumerate(inner) if text.strip()), None)
        if first is None:
            return None
        written = outer.lines.raw(header + first + 1)
        return header, len(written) - len(inner[first])


def embedded_json(outer: Document, outer_path: JsonPath, text: str) -> EmbeddedDocument | None:
    """The JSON document in `text` (at `outer_path` in `outer`), or None when it is no valid JSON."""
    from gitops_tools.loading.json_text import load_json

    lines = LineIndex(text)
    documents, _ = load_json(text, lines, outer.path)
    if not documents:
        return None
    inner = documents[0]
    return EmbeddedDocument(outer.path, outer.index, inner.data, lines, compose=inner.compose, outer=outer,
                            outer_path=outer_path)
