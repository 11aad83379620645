"""The panels and queries of a Grafana dashboard, and Grafana's template variables in a PromQL query, for the
dashboard checks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from gitops_tools.checks._promql import scan_text
from gitops_tools.model import JsonPath

# Grafana's variables: $name, ${name}, ${name:format}, [[name]] (the old syntax).
_VARIABLE = re.compile(r"\$\{(?P<braced>[A-Za-z0-9_]+)(?::[^}]*)?\}|\$(?P<plain>[A-Za-z0-9_]+)"
                       r"|\[\[(?P<old>[A-Za-z0-9_]+)\]\]")
RATE_INTERVAL = timedelta(milliseconds=7_777_777)  # what $__rate_interval becomes: a range nobody writes
OTHER_INTERVAL = timedelta(milliseconds=7_777_779)  # what any other variable in a range becomes


def panels(dashboard: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """Every panel, those of collapsed rows (a row's own `panels`) included."""
    found = dashboard.get("panels") if isinstance(dashboard, dict) else None
    if isinstance(found, list):
        for index, panel in enumerate(found):
            if isinstance(panel, dict):
                yield (*path, "panels", index), panel
                yield from panels(panel, (*path, "panels", index))


def queries(dashboard: Any, *, instant: bool = True) -> Iterator[tuple[JsonPath, str]]:
    """Each panel target's PromQL text (`expr`), with its path; without those of instant queries if not `instant`."""
    for path, panel in panels(dashboard):
        targets = panel.get("targets")
        if isinstance(targets, list):
            for index, target in enumerate(targets):
                expr = target.get("expr") if isinstance(target, dict) else None
                if not instant and target.get("instant") is True and target.get("range") is not True:
                    continue
                if isinstance(expr, str) and expr.strip():
                    yield (*path, "targets", index, "expr"), expr


def expand_variables(query: str) -> str:
    """The query with Grafana's variables outside strings replaced so that it parses as PromQL: in a range
    (`[...]`), `$__rate_interval` by RATE_INTERVAL and any other by OTHER_INTERVAL; elsewhere by a name. Inside
    strings (`{job=~"$job"}`) they are text already."""
    code = scan_text(query).code
    parts: list[str] = []
    position = 0
    for match in _VARIABLE.finditer(query):
        start = match.start()
        if not code[start]:
            continue
        name = match.group("braced") or match.group("plain") or match.group("old")
        in_range = query.rfind("[", 0, start) > query.rfind("]", 0, start)
        if in_range:
            interval = RATE_INTERVAL if name == "__rate_interval" else OTHER_INTERVAL
            replacement = f"{int(interval.total_seconds() * 1000)}ms"
        else:
            replacement = f"grafana_variable_{name}"
        parts.extend((query[position:start], replacement))
        position = match.end()
    parts.append(query[position:])
    return "".join(parts)
