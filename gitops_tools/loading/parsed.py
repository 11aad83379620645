"""A document made by a parser of gitops_tools/loading/parsers/ (a Dockerfile's): plain data, and a table of where
its parser found each value, by the value's path (there is no YAML node tree to walk)."""

from __future__ import annotations

from typing import Any

import yaml

from gitops_tools.loading.document import Document, Span
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import JsonPath


class ParsedDocument(Document):
    """`locate` answers from `offsets`: the span of the deepest recorded value on `path` (the whole file at worst).
    Offsets (first character, last character) become lines and columns only when a finding asks."""

    __slots__ = ("offsets",)

    def __init__(self, path: str, index: int, data: Any, lines: LineIndex,
                 offsets: dict[JsonPath, tuple[int, int]]) -> None:
        super().__init__(path, index, data, lines)
        self.offsets = offsets

    def locate(self, path: JsonPath) -> Span:
        for depth in range(len(path), -1, -1):
            found = self.offsets.get(tuple(path[:depth]))
            if found is not None:
                return (*self.lines.position(found[0]), *self.lines.position(found[1]))
        return (1, 1, 1, 1)

    def locate_near(self, path: JsonPath) -> Span:
        return self.locate(path)

    def locate_text(self, path: JsonPath, offset: int) -> Span:
        return self.locate(path)

    def tree(self) -> yaml.Node | None:
        return None

    def node_at(self, path: JsonPath) -> yaml.Node | None:
        return None
