"""Positions of characters inside text values: exact where the text is written character for character."""

from __future__ import annotations

import pytest

from gitops_tools.loading import Limits, load_bytes

TEXT = '''\
plain: rate(x_total) + 1
single: 'it''s (x'
double: "sum(x"
escaped: "a\\tb (x"
literal: |
  sum by (job) (
    up == 0
indented:
    - |4-
          first
          second (x
folded: >
  sum(
  x
multi: sum(
  x
'''


@pytest.mark.parametrize(("path", "offset", "expected"), [
    (("plain",), 0, (1, 8)),
    (("plain",), 5, (1, 13)),
    (("single",), 6, (2, 17)),  # after the written ''
    (("double",), 3, (3, 13)),
    (("escaped",), 0, (4, 11)),  # before its first escape
    (("literal",), 17, (7, 5)),  # line 2 of the block, its column 3
    (("literal",), 13, (6, 16)),
    (("indented", 0), 18, (11, 19)),  # an indentation indicator: the block's own indentation counts
])
def test_a_character_of_a_written_text_is_found_exactly(path: tuple[str | int, ...], offset: int,
                                                         expected: tuple[int, int]) -> None:
    document = load_bytes(TEXT.encode(), "t.yaml", Limits()).documents[0]
    value = document.data
    for step in path:
        value = value[step]
    line, col, end_line, end_col = document.locate_text(path, offset)
    assert (line, col) == (end_line, end_col) == expected
    assert TEXT.splitlines()[line - 1][col - 1] == value[offset]


@pytest.mark.parametrize("key", ["escaped", "folded", "multi"])
def test_a_rewritten_text_points_at_its_value(key: str) -> None:
    document = load_bytes(TEXT.encode(), "t.yaml", Limits()).documents[0]
    assert document.locate_text((key,), 2) == document.locate((key,))
