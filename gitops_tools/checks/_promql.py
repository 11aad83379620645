"""PromQL for the monitoring checks: parsed by promql-parser (Rust bindings of GreptimeDB's parser, imported only
when a rule or dashboard is checked), and the place in the expression a parse error is about.

The parser's errors carry no position, so it is found from the message and a scan of the expression's tokens: an
unclosed bracket is the opening one, an unexpected closing bracket or character is its first occurrence outside
strings and comments, an unterminated string starts at its quote, and a name the message quotes (a function, an
operator, a bad duration) is its first occurrence as a whole word. A message that names nothing (the parser's
`invalid promql query`) has no position: the finding points at the expression.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from promql_parser import Expr

CLOSING = {")": "(", "]": "[", "}": "{"}
OPENERS = {"parenthesis": "(", "brackets": "[", "braces": "{"}
_QUOTED = re.compile(r"'([^']+)'")  # a name the message quotes: 'rate', '$'
_TRAILING = re.compile(r"(?:: | for )(\S+)$")  # or ends with: `bad ... syntax: 5x`, `illegal regex for (`


class Parsed(NamedTuple):
    """An expression's AST, or the parser's message and the offset in the text it is about (None: unknown)."""

    expr: Expr | None
    message: str = ""
    offset: int | None = None


class Scan(NamedTuple):
    """Where brackets and strings are in an expression, outside strings and comments."""

    unclosed: list[tuple[str, int]]  # opening brackets never closed, outermost first
    unopened: list[int]  # closing brackets with no opening one
    unterminated: int | None  # the quote of a string never closed
    code: list[bool]  # per character: outside strings and comments


def parse(text: str) -> Parsed:
    """Parse `text` as PromQL."""
    import promql_parser

    try:
        return Parsed(promql_parser.parse(text))
    except ValueError as error:
        message = str(error) or "invalid promql query"
        return Parsed(None, message, error_offset(text, message))


def error_offset(text: str, message: str) -> int | None:
    """The character of `text` the parser's `message` is about, or None when the message names nothing."""
    scan = scan_text(text)
    if message.startswith("unterminated"):
        return scan.unterminated
    if "right parenthesis" in message and scan.unopened:
        return scan.unopened[0]
    for word, opener in OPENERS.items():
        if word in message:
            unclosed = [offset for bracket, offset in scan.unclosed if bracket == opener]
            if unclosed:
                return unclosed[-1]
    named = _QUOTED.search(message) or _TRAILING.search(message)
    if named is None:
        return None
    found = find_word(text, named.group(1), scan)
    return text.find(named.group(1)) if found is None and named.group(1) in text else found


def scan_text(text: str) -> Scan:
    stack: list[tuple[str, int]] = []
    unopened: list[int] = []
    code = [True] * len(text)
    quote: tuple[str, int] | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote is not None:
            code[index] = False
            if char == "\\" and quote[0] != "`":
                index += 1
                if index < len(text):
                    code[index] = False
            elif char == quote[0]:
                quote = None
        elif char in "\"'`":
            code[index], quote = False, (char, index)
        elif char == "#":
            end = text.find("\n", index)
            end = len(text) if end < 0 else end
            code[index:end] = [False] * (end - index)
            index = end
            continue
        elif char in "([{":
            stack.append((char, index))
        elif char in CLOSING:
            if stack and stack[-1][0] == CLOSING[char]:
                stack.pop()
            else:
                unopened.append(index)
        index += 1
    return Scan(stack, unopened, quote[1] if quote else None, code)


def find_word(text: str, word: str, scan: Scan | None = None) -> int | None:
    """The first occurrence of `word` in `text` outside strings and comments, as a whole word when it is one."""
    code = (scan or scan_text(text)).code
    wordlike = word[:1].isalnum() or word[:1] == "_"
    for match in re.finditer(re.escape(word), text):
        start, end = match.span()
        if not code[start]:
            continue
        if wordlike and ((start and _word_char(text[start - 1])) or (end < len(text) and _word_char(text[end]))):
            continue
        return start
    return None


def _word_char(char: str) -> bool:
    return char.isalnum() or char in "_:"


def walk(expr: Expr, visit: Callable[[Any], None]) -> None:
    """Call `visit` on every node of the AST, parents first."""
    import promql_parser

    def pre(node: Any) -> bool:
        visit(node)
        return True

    promql_parser.walk(expr, pre)


def calls(expr: Expr) -> Iterator[Any]:
    """Every function call in the AST (`promql_parser.Call` nodes), outermost first."""
    import promql_parser

    found: list[Any] = []
    walk(expr, lambda node: found.append(node) if isinstance(node, promql_parser.Call) else None)
    yield from found
