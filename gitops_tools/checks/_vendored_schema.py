"""A vendored public JSON Schema (schemas/vendor/) as a coded check: compiled once per process, on first use (a run
without the domain's documents never reads it), each violation with the validator's words, shortened.

Public schemas lean on `oneOf`/`anyOf` (a job either runs steps or calls a reusable workflow), whose own error only
says that no branch matched. The errors of the branch that came closest (fewest errors) are reported instead: a job
without `runs-on` is "\"runs-on\" is a required property" at that job."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath
from gitops_tools.resources import schema_path
from gitops_tools.validation import compile_schema, json_shaped

LEADING_VALUE = re.compile(r"^(\{.*\}|\[.*\]|\".*?\"|\S+) (is |has |does )", re.DOTALL)
SHOWN_VALUE = 60  # characters of the offending value in a message: the position says where it is
MAX_BRANCH_DEPTH = 8  # oneOf inside oneOf: followed this deep at most


def evaluator(name: str) -> Any:
    """The compiled validator (jsonschema-rs) of schemas/vendor/<name>."""
    return compile_schema(json.loads(schema_path("vendor", name).read_text(encoding="utf-8")))


def violations(validator: Any, instance: Any) -> Iterator[tuple[JsonPath, str]]:
    """Raises RecursionError when the instance is nested too deeply to evaluate (the engine reports it)."""
    try:
        if validator.is_valid(instance):
            return
        errors = list(validator.iter_errors(instance))
    except ValueError:  # keys or values JSON lacks (1:, true:, !!binary): as JSON spells them
        shaped = json_shaped(instance)
        try:
            if validator.is_valid(shaped):
                return
            errors = list(validator.iter_errors(shaped))
        except ValueError as err:  # the JSON form has only JSON types: what is left is the depth limit
            raise RecursionError(str(err)) from err
    seen: set[tuple[JsonPath, str]] = set()
    for error in errors:
        for closest in _closest(error, 0):
            found = (_path(closest), shortened(closest.message))
            if found not in seen:
                seen.add(found)
                yield found


def _closest(error: Any, depth: int) -> list[Any]:
    branches = getattr(error.kind, "context", None)
    if not branches or depth >= MAX_BRANCH_DEPTH:
        return [error]
    best = min(branches, key=len)
    return [found for branch_error in best for found in _closest(branch_error, depth + 1)] or [error]


def _path(error: Any) -> JsonPath:
    """Where an error points; for an unexpected key, the key itself rather than the object holding it."""
    path: JsonPath = tuple(error.instance_path)
    unexpected = getattr(error.kind, "unexpected", None)
    return (*path, unexpected[0]) if unexpected else path


def shortened(message: str) -> str:
    """`{"steps": [...]} is not valid under ...`: the value cut to SHOWN_VALUE characters."""
    found = LEADING_VALUE.match(message)
    if found is None or len(found.group(1)) <= SHOWN_VALUE:
        return message
    return found.group(1)[:SHOWN_VALUE] + "... " + message[found.end(1) + 1:]
