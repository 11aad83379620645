"""Two alerting rules of one group with the same name and the same static labels: their alerts are one series
(`ALERTS{alertname=...}` with the same labels) and one alert in Alertmanager, so each rule's state overwrites the
other's. The same name with a different `severity` (a warning and a critical threshold) is the usual pattern and
is left alone: the labels tell the two apart."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._rules import groups, rules
from gitops_tools.model import JsonPath


def check(rule_file: Any) -> Iterator[tuple[JsonPath, str]]:
    seen: dict[tuple[int, str, frozenset[tuple[str, str]]], int] = {}  # -> the first rule's index
    names = {index: group.get("name") for index, group in groups(rule_file)}
    for rule in rules(rule_file):
        name = rule.data.get("alert")
        if not isinstance(name, str):
            continue
        labels = rule.data.get("labels")
        pairs = frozenset((str(k), str(v)) for k, v in labels.items()) if isinstance(labels, dict) else frozenset()
        index = int(rule.path[-1])
        first = seen.setdefault((rule.group, name, pairs), index)
        if first != index:
            yield (*rule.path, "alert"), f"{name!r} is also rule {first + 1} of group {names[rule.group]!r}"
