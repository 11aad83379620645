"""A rate-like query in a Grafana panel whose range is not `$__rate_interval`: a fixed `[1m]` shows nothing when
the scrape interval or the zoom makes it hold fewer than two samples, and `$__interval` can be shorter than the
scrape interval. Grafana's variables are replaced (gitops_tools/checks/_dashboards.py) and the query parsed with
promql-parser; a query that still does not parse (a variable where a metric name goes) is left alone. An instant
query (`"instant": true`, no `"range": true`) is left alone too: it has no step, and its range is the window of its
question (an availability over 30 days), not a resolution."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._dashboards import RATE_INTERVAL, expand_variables, queries
from gitops_tools.checks._promql import calls, find_word, parse
from gitops_tools.model import JsonPath

RATE_FUNCTIONS = frozenset({"rate", "irate", "increase"})


def check(dashboard: Any) -> Iterator[tuple[JsonPath, str, int | None]]:
    for path, query in queries(dashboard, instant=False):
        parsed = parse(expand_variables(query))
        if parsed.expr is None:
            continue
        for call in calls(parsed.expr):
            if call.func.name in RATE_FUNCTIONS and call.args and getattr(call.args[0], "range", None) is not None \
                    and call.args[0].range != RATE_INTERVAL:
                yield path, f"{call.func.name}() over a range other than $__rate_interval", find_word(query,
                                                                                                      call.func.name)
