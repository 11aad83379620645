"""An action's metadata file (action.yml) against SchemaStore's public action schema
(schemas/vendor/github-action.json)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from gitops_tools.model import JsonPath


@cache
def _schema() -> Any:
    """Compiled on the first document (every check module is imported when a run starts; the schema is not read
    then)."""
    from gitops_tools.checks import _vendored_schema

    return _vendored_schema.evaluator("github-action.json")


def check(action: Any) -> Iterator[tuple[JsonPath, str]]:
    from gitops_tools.checks import _vendored_schema

    yield from _vendored_schema.violations(_schema(), action)
