"""PromQL through promql-parser: the AST for what parses, the parser's message and the character it is about for
what does not, and Grafana's variables replaced so that a dashboard's query parses."""

from __future__ import annotations

import pytest

from gitops_tools.checks._dashboards import RATE_INTERVAL, expand_variables
from gitops_tools.checks._promql import calls, parse
from gitops_tools.checks.promql_rate_on_counters import not_counters


@pytest.mark.parametrize(("text", "message", "at"), [
    ("sum(rate(x_total[5m])) by (job", "unclosed left parenthesis", "(job"),
    ("sum(x) by (job))", "unexpected right parenthesis ')'", ")"),
    ('up{job="api}', 'unterminated quoted string "', '"api'),
    ('up{job="api"', "unexpected end of input inside braces", "{job"),
    ("rate(x_total)", "expected type matrix in call to function 'rate', got vector", "rate"),
    ("nosuch(x)", "unknown function with name 'nosuch'", "nosuch"),
    ("up > $threshold", "unexpected character: '$'", "$threshold"),
    ("x[5x]", "bad number or duration syntax: 5x", "5x"),
    ('x and 1 # and "(" in a comment', "set operator 'and' not allowed in binary scalar expression", "and 1"),
])
def test_a_parse_error_has_the_parsers_message_and_its_character(text: str, message: str, at: str) -> None:
    parsed = parse(text)
    assert parsed.expr is None
    assert parsed.message == message
    assert parsed.offset is not None
    assert text[parsed.offset:].startswith(at)


def test_a_message_naming_nothing_has_no_offset() -> None:
    assert parse("foo bar") == (None, "invalid promql query", None)


def test_calls_are_found_in_the_ast() -> None:
    parsed = parse('sum(rate(a_total[5m])) / sum(increase({__name__=~"b.*"}[1h])) + deriv(c[5m])')
    assert parsed.expr is not None
    assert [call.func.name for call in calls(parsed.expr)] == ["rate", "increase", "deriv"]
    assert list(not_counters(parsed.expr)) == []  # no name to judge by: a regex on __name__


def test_rate_of_a_gauge_is_named() -> None:
    parsed = parse("rate(memory_bytes[5m]) + rate(x_total[5m]) + irate({__name__=\"temp\"}[1m])"
                   " + increase(y_count[5m:1m])")
    assert parsed.expr is not None
    assert list(not_counters(parsed.expr)) == [("rate", "memory_bytes"), ("irate", "temp")]


@pytest.mark.parametrize(("query", "rate_interval"), [
    ('rate(x_total{job=~"$job"}[$__rate_interval])', True),
    ("rate(x_total[${__rate_interval}])", True),
    ("rate(x_total[$__interval])", False),
    ("rate(x_total[[[interval]]])", False),
    ("rate(${metric}_total[5m])", False),
])
def test_grafana_variables_are_replaced_so_the_query_parses(query: str, rate_interval: bool) -> None:
    parsed = parse(expand_variables(query))
    assert parsed.expr is not None, parsed.message
    [call] = list(calls(parsed.expr))
    assert (call.args[0].range == RATE_INTERVAL) is rate_interval
