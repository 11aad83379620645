"""Line and column of a character offset, with lines ended by `\\n`, `\\r\\n` or `\\r` only.

libyaml also breaks lines at U+0085, U+2028 and U+2029 (YAML 1.1), editors and git do not: a position from a YAML
mark's line would drift after such a character in a string. Marks' character offsets are exact, so every position
shown to a user is computed here from an offset.
"""

from __future__ import annotations

import bisect
import re
from itertools import accumulate

_BREAK = re.compile(r"\r\n?|\n")
SNIPPET_CHARS = 200


class LineIndex:
    """Offsets of line starts in one text, found on first use."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def _line_starts(self) -> list[int]:
        if self._starts is None:
            if "\r" in self._text:
                self._starts = [0, *(match.end() for match in _BREAK.finditer(self._text))]
            else:  # the common case, `\n` alone, counted in C: each line's length plus its break
                lengths = map(len, self._text.split("\n")[:-1])
                self._starts = list(accumulate(map((1).__add__, lengths), initial=0))
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of the character at `offset` (columns count characters)."""
        starts = self._line_starts()
        line = bisect.bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def line_count(self) -> int:
        return len(self._line_starts())

    def text(self, line: int) -> str:
        """The stripped, length-capped text of 1-based `line` ('' past the end)."""
        starts = self._line_starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self._text)
        return self._text[starts[line - 1]:min(end, starts[line - 1] + SNIPPET_CHARS + 2)].strip()[:SNIPPET_CHARS]

    def raw(self, line: int) -> str:
        """The text of 1-based `line` as written, without its line break ('' past the end)."""
        starts = self._line_starts()
        if not 1 <= line <= len(starts):
            return ""
        end = starts[line] if line < len(starts) else len(self._text)
        return self._text[starts[line - 1]:end].rstrip("\r\n")

    def lines(self) -> list[str]:
        """Every line without its line break."""
        starts = self._line_starts()
        ends = [*starts[1:], len(self._text)]
        return [self._text[start:end].rstrip("\r\n") for start, end in zip(starts, ends, strict=True)]
