"""A GitLab CI/CD configuration file against GitLab's public CI schema (schemas/vendor/gitlab-ci.json)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from gitops_tools.model import JsonPath


@cache
def _schema() -> Any:
    """Compiled on the first GitLab CI document: a run without one never reads the 128 KB schema."""
    from gitops_tools.checks import _vendored_schema

    return _vendored_schema.evaluator("gitlab-ci.json")


def check(pipeline: Any) -> Iterator[tuple[JsonPath, str]]:
    from gitops_tools.checks import _vendored_schema

    yield from _vendored_schema.violations(_schema(), pipeline)
