"""The groups and rules of a Prometheus rule file (standalone, or the `spec` of a PrometheusRule), for the checks
that read them. Anything of the wrong shape is skipped here: the rule-file policies' schemas report it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from gitops_tools.model import JsonPath


class Rule(NamedTuple):
    group: int  # the group's index in `groups`
    path: JsonPath  # the rule's path in the rule file
    data: dict[str, Any]

    @property
    def name(self) -> str | None:
        """The alert's or the recording rule's name."""
        name = self.data.get("alert", self.data.get("record"))
        return name if isinstance(name, str) else None


def groups(rule_file: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    found = rule_file.get("groups") if isinstance(rule_file, dict) else None
    if isinstance(found, list):
        for index, group in enumerate(found):
            if isinstance(group, dict):
                yield index, group


def rules(rule_file: Any) -> Iterator[Rule]:
    """Every rule of every group, in order."""
    for index, group in groups(rule_file):
        found = group.get("rules")
        if isinstance(found, list):
            for position, rule in enumerate(found):
                if isinstance(rule, dict):
                    yield Rule(index, ("groups", index, "rules", position), rule)


def expression(rule: Rule) -> str | None:
    """The rule's `expr` as Prometheus reads it (YAML may load `expr: 1` as a number), or None without one."""
    expr = rule.data.get("expr")
    if isinstance(expr, bool):
        return None
    return str(expr) if isinstance(expr, str | int | float) else None
