"""A vendored public JSON Schema (schemas/vendor/) as a coded check: compiled once per process, on first use (a run
without the domain's documents never reads it), each violation with the validator's words, shortened."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath
from gitops_tools.resources import schema_path
from gitops_tools.validation import SchemaEvaluator

LEADING_VALUE = re.compile(r"^(\{.*\}|\[.*\]|\".*?\"|\S+) (is |has |does )", re.DOTALL)
SHOWN_VALUE = 60  # characters of the offending value in a message: the position says where it is


def evaluator(name: str) -> SchemaEvaluator:
    return SchemaEvaluator(json.loads(schema_path("vendor", name).read_text(encoding="utf-8")))


def violations(schema: SchemaEvaluator, instance: Any) -> Iterator[tuple[JsonPath, str]]:
    for violation in schema.violations(instance):
        yield violation.path, _short(violation.message)


def _short(message: str) -> str:
    """`{"steps": [...]} is not valid under ...`: the value cut to SHOWN_VALUE characters."""
    found = LEADING_VALUE.match(message)
    if found is None or len(found.group(1)) <= SHOWN_VALUE:
        return message
    return found.group(1)[:SHOWN_VALUE] + "... " + message[found.end(1) + 1:]
