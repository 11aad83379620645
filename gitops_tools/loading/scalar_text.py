"""Where a character of a text value is written: a coded check that reads a value's text (a PromQL expression, a
template) reports a problem at a character of it, and the finding should point there, not at the value's start.

Exact for the styles whose text is the written text, shifted: a literal block scalar (`|`: the value's line k is the
written line k after the indicator, right of the block's indentation), and a one-line plain, single-quoted (`''`
stands for `'`) or double-quoted scalar up to its first escape (a JSON string too). A folded block (`>`), a plain or
quoted scalar over several lines, or a character after a backslash escape, is moved by folding or escapes: there,
None, and the caller points at the value itself.
"""

from __future__ import annotations

import yaml

from gitops_tools.loading.lines import LineIndex


def text_position(node: yaml.Node, lines: LineIndex, offset: int) -> tuple[int, int] | None:
    """1-based (line, column) in the file of character `offset` of the scalar `node`'s text, or None when the text
    is not written character for character."""
    if not isinstance(node, yaml.ScalarNode) or not 0 <= offset <= len(node.value):
        return None
    if node.style == "|":
        return _in_literal_block(node, lines, offset)
    line, col = lines.position(node.start_mark.index)
    end_line, _ = lines.position(node.end_mark.index)
    if end_line != line or "\n" in node.value:
        return None
    if not node.style:  # plain: None from PyYAML's Python composer, '' from its C one
        return line, col + offset
    if node.style == "'":
        return line, col + 1 + offset + node.value[:offset].count("'")  # each quote before it is written twice
    if node.style == '"':  # exact up to the first escape (JSON strings are double-quoted too)
        written = lines.raw(line)[col - 1:]
        return (line, col + 1 + offset) if "\\" not in written[:offset + 2] else None
    return None


def _in_literal_block(node: yaml.ScalarNode, lines: LineIndex, offset: int) -> tuple[int, int] | None:
    header, _ = lines.position(node.start_mark.index)
    inner = node.value.split("\n")
    first = next((index for index, text in enumerate(inner) if text.strip()), None)
    if first is None:
        return None
    indent = len(lines.raw(header + first + 1)) - len(inner[first])
    before = node.value[:offset]
    row = before.count("\n")
    column = len(before) - (before.rfind("\n") + 1)
    return header + row + 1, indent + column + 1
