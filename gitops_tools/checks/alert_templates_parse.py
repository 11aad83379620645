"""An alert's annotations and labels are Go templates that Prometheus expands each time the alert fires; one that
does not parse is sent as an error text (or the rule file is refused), so the page says nothing useful. Checked
with gitops_tools/checks/_gotemplate.py; the finding points at the character of the value it is about."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._gotemplate import template_error
from gitops_tools.checks._rules import rules
from gitops_tools.model import JsonPath


def check(rule_file: Any) -> Iterator[tuple[JsonPath, str, int | None]]:
    for rule in rules(rule_file):
        if "alert" not in rule.data:
            continue  # a recording rule's labels are not templates
        for field in ("labels", "annotations"):
            values = rule.data.get(field)
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if isinstance(value, str) and "{{" in value:
                    error = template_error(value)
                    if error is not None:
                        yield (*rule.path, field, key), f"{field}.{key}: {error.message}", error.offset
