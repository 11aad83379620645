"""`rate()`, `irate()` and `increase()` assume a counter: a series that only goes up and resets to zero. On a gauge
they read every decrease as a reset and report nonsense. Prometheus cannot tell the two apart, so the check uses
its naming convention, on the parsed expression (promql-parser's AST): the series these functions read is named
`*_total` (counters), `*_count`, `*_sum` or `*_bucket` (a histogram's or summary's counters). A selector without a
metric name (`{__name__=~"..."}`) is left alone. The range these functions need is the parser's to enforce:
`rate(x_total)` does not parse (promql-expr-parses)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._promql import calls, find_word, parse
from gitops_tools.checks._rules import expression, rules
from gitops_tools.model import JsonPath

COUNTER_FUNCTIONS = frozenset({"rate", "irate", "increase"})
COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")


def check(rule_file: Any) -> Iterator[tuple[JsonPath, str, int | None]]:
    for rule in rules(rule_file):
        text = expression(rule)
        parsed = parse(text) if text is not None else None
        if text is None or parsed is None or parsed.expr is None:
            continue
        for function, name in not_counters(parsed.expr):
            yield (*rule.path, "expr"), f"{function}() of {name!r}, not a counter", find_word(text, name)


def not_counters(expr: Any) -> Iterator[tuple[str, str]]:
    """(function, metric name) of each rate-like call on a series not named as a counter."""
    for call in calls(expr):
        if call.func.name not in COUNTER_FUNCTIONS or not call.args:
            continue
        name = metric_name(call.args[0])
        if name is not None and not name.endswith(COUNTER_SUFFIXES):
            yield call.func.name, name


def metric_name(argument: Any) -> str | None:
    """The metric a range vector argument selects by name (a matrix selector, or a subquery of a selector)."""
    import promql_parser

    selector = getattr(argument, "vector_selector", None)
    if isinstance(argument, promql_parser.SubqueryExpr) and isinstance(argument.expr, promql_parser.VectorSelector):
        selector = argument.expr
    if not isinstance(selector, promql_parser.VectorSelector):
        return None
    if selector.name:
        return selector.name
    return next((matcher.value for matcher in selector.matchers.matchers
                 if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal), None)
