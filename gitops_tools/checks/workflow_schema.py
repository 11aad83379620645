"""A GitHub Actions workflow against SchemaStore's public workflow schema (schemas/vendor/github-workflow.json)."""

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

    return _vendored_schema.evaluator("github-workflow.json")


def check(workflow: Any) -> Iterator[tuple[JsonPath, str]]:
    from gitops_tools.checks import _vendored_schema

    yield from _vendored_schema.violations(_schema(), workflow)
