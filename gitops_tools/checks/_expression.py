"""GitHub Actions expressions (`${{ ... }}` and `if:` conditions): a small recursive-descent parser that says whether
an expression is well formed and, if not, what is wrong and at which character.

The grammar (https://docs.github.com/en/actions/reference/workflows-and-actions/expressions):
  expr    := or
  or      := and ('||' and)*          and := cmp ('&&' cmp)*
  cmp     := unary (('=='|'!='|'<'|'<='|'>'|'>=') unary)*
  unary   := '!' unary | postfix
  postfix := primary ('.' (name | '*') | '[' expr ']')*
  primary := literal | name '(' [expr (',' expr)*] ')' | name | '(' expr ')'
  literal := null | true | false | number | 'string' ('' escapes a quote)
Nothing is evaluated: contexts and functions are not checked against a list (actionlint does that).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!.()\[\],*])
""", re.VERBOSE)
COMPARISONS = frozenset({"==", "!=", "<", "<=", ">", ">="})
MAX_DEPTH = 50  # nesting deeper than this is refused rather than recursed into


class ExpressionError(ValueError):
    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message, self.offset = message, offset


class Token(NamedTuple):
    kind: str
    text: str
    offset: int


def tokens(text: str) -> list[Token]:
    found, at = [], 0
    while at < len(text):
        match = TOKEN.match(text, at)
        if match is None:
            what = "unterminated string" if text[at] == "'" else f"unexpected character {text[at]!r}"
            raise ExpressionError(what, at)
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(Token(kind, match.group(), at))
        at = match.end()
    found.append(Token("end", "", len(text)))
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens, self.at, self.depth = tokens(text), 0, 0

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text or token.kind not in ("op",):
            raise ExpressionError(f"expected {text!r}, found {_describe(token)}", token.offset)

    def expression(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression nested too deeply", self.peek().offset)
        self.binary(("||",), lambda: self.binary(("&&",), lambda: self.binary(tuple(COMPARISONS), self.unary)))
        self.depth -= 1

    def binary(self, operators: tuple[str, ...], operand: Callable[[], None]) -> None:
        operand()
        while self.peek().kind == "op" and self.peek().text in operators:
            self.take()
            operand()

    def unary(self) -> None:
        if self.peek().text == "!" and self.peek().kind == "op":
            self.take()
            self.unary()
            return
        self.primary()
        self.postfix()

    def primary(self) -> None:
        token = self.take()
        if token.kind in ("string", "number"):
            return
        if token.kind == "name":
            if self.peek().text == "(" and self.peek().kind == "op":
                self.arguments()
            return
        if token.kind == "op" and token.text == "(":
            self.expression()
            self.expect(")")
            return
        raise ExpressionError(f"expected a value, found {_describe(token)}", token.offset)

    def arguments(self) -> None:
        self.expect("(")
        if self.peek().text == ")":
            self.take()
            return
        self.expression()
        while self.peek().text == ",":
            self.take()
            self.expression()
        self.expect(")")

    def postfix(self) -> None:
        while self.peek().kind == "op" and self.peek().text in (".", "["):
            if self.take().text == ".":
                token = self.take()
                if token.kind != "name" and token.text != "*":
                    raise ExpressionError(f"expected a property name after '.', found {_describe(token)}",
                                          token.offset)
            else:
                self.expression()
                self.expect("]")


def _describe(token: Token) -> str:
    return "the end of the expression" if token.kind == "end" else repr(token.text)


def parse(text: str) -> None:
    """Raise ExpressionError (message, offset in `text`) unless `text` is one well-formed expression."""
    parser = _Parser(text)
    if parser.peek().kind == "end":
        raise ExpressionError("empty expression", 0)
    parser.expression()
    token = parser.peek()
    if token.kind != "end":
        raise ExpressionError(f"unexpected {_describe(token)} after the expression", token.offset)


def embedded(text: str) -> Iterator[tuple[int, str | None, int]]:
    """Each `${{ ... }}` in a string: (offset of its inside, its inside, or None when it is never closed, and the
    offset of its `${{`). Quotes inside the expression hide `}}`."""
    at = 0
    while (start := text.find("${{", at)) >= 0:
        inside = start + 3
        end = _closing(text, inside)
        if end < 0:
            yield inside, None, start
            return
        yield inside, text[inside:end], start
        at = end + 2


def _closing(text: str, at: int) -> int:
    quoted = False
    while at < len(text):
        if text[at] == "'":
            quoted = not quoted
        elif not quoted and text.startswith("}}", at):
            return at
        at += 1
    return -1
