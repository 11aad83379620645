"""Every `${{ }}` expression of a workflow or action, and every `if:` condition, parses (gitops_tools/checks/
_expression.py): an unclosed `${{`, an operator without its operand or an unbalanced parenthesis is found here, not
when GitHub refuses the run. Each finding points at the character it is about, inside the value."""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

from gitops_tools.model import JsonPath

MAX_NODES = 200_000  # values visited per document at most (a hostile document cannot make this unbounded)


def check(document: Any) -> Iterator[tuple[JsonPath, str, int]]:
    """Every check module is imported when a run starts: the parser (and its compiled token pattern) only when a
    document is checked."""
    from gitops_tools.checks import _expression

    stack: list[tuple[JsonPath, Any]] = [((), document)]
    visited = 0
    while stack and visited < MAX_NODES:
        path, value = stack.pop()
        visited += 1
        if isinstance(value, dict):
            stack.extend(((*path, key), item) for key, item in reversed(value.items()) if isinstance(key, str))
        elif isinstance(value, list):
            stack.extend(((*path, index), item) for index, item in reversed(list(enumerate(value))))
        elif isinstance(value, str):
            yield from ((path, detail, offset) for detail, offset in _problems(_expression, value, _is_condition(path)))


def _is_condition(path: JsonPath) -> bool:
    """A job's or a step's `if:` is an expression even without `${{ }}`."""
    return len(path) >= 3 and path[-1] == "if" and (path[0] == "jobs" or "steps" in path)


def _problems(parser: ModuleType, text: str, condition: bool) -> Iterator[tuple[str, int]]:
    """Each problem with the offset, in the value, of the character it is at: the finding points there."""
    if condition and "${{" not in text:
        yield from _parsed(parser, text, 0)
        return
    for inside, expression, start in parser.embedded(text):
        if expression is None:
            yield f"`${{{{` at character {start + 1} is never closed with `}}}}`", start
        else:
            yield from _parsed(parser, expression, inside)


def _parsed(parser: ModuleType, expression: str, offset: int) -> Iterator[tuple[str, int]]:
    try:
        parser.parse(expression)
    except parser.ExpressionError as error:
        yield f"{error.message} at character {offset + error.offset + 1} of the value", offset + error.offset
