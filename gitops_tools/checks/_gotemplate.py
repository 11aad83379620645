"""A checker for the Go text/template subset Prometheus alert templates use (`{{ $labels.instance }}`,
`{{ $value | humanizePercentage }}`, `{{ if gt $value 1.0 }}...{{ end }}`): actions closed, strings terminated,
parentheses balanced, blocks (`if`, `range`, `with`, `define`, `block`) ended, `else` inside one, variables defined
(Prometheus defines `$labels`, `$value`, `$externalLabels`, `$externalURL`; `$x :=` defines more), functions known
(Go's built-ins and Prometheus's template functions), and nothing in an action Go's lexer would refuse
(`$labels.pod-name`). It answers the first problem and its offset, as Go's parser stops at the first.
No maintained Python library parses Go templates; this is the grammar's surface, not an evaluator.
"""

from __future__ import annotations

import re
from typing import NamedTuple

GO_FUNCTIONS = frozenset({"and", "call", "html", "index", "slice", "js", "len", "not", "or", "print", "printf",
                          "println", "urlquery", "eq", "ge", "gt", "le", "lt", "ne"})
PROMETHEUS_FUNCTIONS = frozenset({
    "query", "first", "label", "value", "strvalue", "args", "reReplaceAll", "safeHtml", "match", "title", "toUpper",
    "toLower", "graphLink", "tableLink", "sortByLabel", "humanize", "humanize1024", "humanizeDuration",
    "humanizePercentage", "humanizeTimestamp", "toTime", "toDuration", "pathPrefix", "externalURL",
    "parseDuration", "stripPort", "stripDomain", "now", "urlQueryEscape"})
KEYWORDS = frozenset({"if", "else", "end", "range", "with", "define", "template", "block", "break", "continue",
                      "nil", "true", "false"})
OPENING = frozenset({"if", "range", "with", "define", "block"})
PREDEFINED = frozenset({"$", "$labels", "$value", "$externalLabels", "$externalURL"})
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|`[^`]*`|'(?:[^'\\\n]|\\.)+')
  | (?P<variable>\$[A-Za-z0-9_]*)
  | (?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
  | (?P<number>[-+]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?|\.[0-9]+))
  | (?P<identifier>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<symbol>:=|[=(),|])
""", re.VERBOSE)


class TemplateError(NamedTuple):
    message: str
    offset: int


def template_error(text: str) -> TemplateError | None:
    """The first problem in the template `text`, or None."""
    blocks: list[tuple[str, int]] = []
    defined = set(PREDEFINED)
    position = 0
    while (start := text.find("{{", position)) >= 0:
        inside = start + 2
        if text.startswith("/*", inside) or text.startswith("- /*", inside):
            end = text.find("*/", inside)
            close = text.find("}}", end) if end >= 0 else -1
            if close < 0:
                return TemplateError("unclosed comment", start)
            position = close + 2
            continue
        body_start = inside + 1 if text[inside:inside + 1] == "-" and text[inside + 1:inside + 2].isspace() else inside
        found = _action(text, body_start)
        if isinstance(found, TemplateError):
            return found
        end, tokens = found
        problem = _check_action(tokens, blocks, defined, start)
        if problem is not None:
            return problem
        position = end
    if blocks:
        keyword, offset = blocks[-1]
        return TemplateError(f"{{{{{keyword}}}}} has no {{{{end}}}}", offset)
    return None


def _action(text: str, offset: int) -> tuple[int, list[tuple[str, str, int]]] | TemplateError:
    """The tokens of the action starting at `offset`, and where the text resumes after its `}}`."""
    tokens: list[tuple[str, str, int]] = []
    depth = 0
    while True:
        if text.startswith("}}", offset) or (text.startswith("-}}", offset) and text[offset - 1].isspace()):
            end = offset + (3 if text[offset] == "-" else 2)
            if depth:
                return TemplateError("unclosed left parenthesis", next(o for k, v, o in reversed(tokens)
                                                                        if v == "("))
            return end, tokens
        match = _TOKEN.match(text, offset)
        if match is None or match.end() == offset:
            if offset >= len(text):
                return TemplateError("unclosed action: no }}", text.rfind("{{", 0, offset))
            if text[offset] in "\"`'":
                return TemplateError("unterminated quoted string", offset)
            return TemplateError(f"bad character {text[offset]!r} in an action", offset)
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group(), offset))
            depth += {"(": 1, ")": -1}.get(match.group(), 0) if kind == "symbol" else 0
            if depth < 0:
                return TemplateError("unexpected right parenthesis", offset)
        offset = match.end()


def _check_action(tokens: list[tuple[str, str, int]], blocks: list[tuple[str, int]], defined: set[str],
                  start: int) -> TemplateError | None:
    if not tokens:
        return TemplateError("missing value for command", start)
    kind, word, offset = tokens[0]
    if kind == "identifier" and word == "end":
        if not blocks:
            return TemplateError("unexpected {{end}}", offset)
        blocks.pop()
    elif kind == "identifier" and word == "else" and not blocks:
        return TemplateError("unexpected {{else}}", offset)
    elif kind == "identifier" and word in OPENING:
        blocks.append((word, start))
    for index, (kind, word, offset) in enumerate(tokens):
        following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
        if kind == "variable":
            name = word.split(".")[0]
            if following in (":=", "="):
                defined.add(name)
            elif name not in defined:
                return TemplateError(f"undefined variable {name!r}", offset)
        elif kind == "identifier" and word not in KEYWORDS | GO_FUNCTIONS | PROMETHEUS_FUNCTIONS:
            return TemplateError(f"function {word!r} not defined", offset)
    return None
