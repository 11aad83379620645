"""A GitLab CI/CD configuration file against GitLab's public CI schema (schemas/vendor/gitlab-ci.json)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from gitops_tools.checks import _vendored_schema
from gitops_tools.model import JsonPath
from gitops_tools.validation import SchemaEvaluator


@cache
def _schema() -> SchemaEvaluator:
    return _vendored_schema.evaluator("gitlab-ci.json")


def check(pipeline: Any) -> Iterator[tuple[JsonPath, str]]:
    yield from _vendored_schema.violations(_schema(), pipeline)
