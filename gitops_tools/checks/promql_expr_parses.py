"""Every rule's `expr` parses as PromQL (with promql-parser: gitops_tools/checks/_promql.py), or Prometheus refuses
to load the whole rule file. The finding carries the parser's message and points at the character it is about."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._promql import parse
from gitops_tools.checks._rules import expression, rules
from gitops_tools.model import JsonPath


def check(rule_file: Any) -> Iterator[tuple[JsonPath, str, int | None]]:
    for rule in rules(rule_file):
        text = expression(rule)
        if text is None:
            continue
        if not text.strip():
            yield (*rule.path, "expr"), "the expression is empty", None
            continue
        parsed = parse(text)
        if parsed.expr is None:
            yield (*rule.path, "expr"), parsed.message, parsed.offset
