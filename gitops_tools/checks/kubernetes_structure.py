"""A built-in Kubernetes object against the OpenAPI-derived schema of its kind at the run's target Kubernetes version
(gitops_tools/checks/_kubernetes_schemas.py): unknown fields, wrong types, missing required fields and bad enum
values, each at its own position. Objects of kinds the version has no schema for are not this check's (custom
resources have their own)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks import Violation
from gitops_tools.kubeversion import KubernetesVersion


def versioned_check(document: Any, version: KubernetesVersion) -> Iterator[Violation]:
    """Every violation of `document` against its kind's schema at `version`; none for an object whose identity is
    incomplete (manifest-identity-complete reports it) or whose kind has no schema."""
    api_version = document.get("apiVersion") if isinstance(document, dict) else None
    kind = document.get("kind") if isinstance(document, dict) else None
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return
    from gitops_tools.checks import _kubernetes_schemas, _vendored_schema

    evaluator = _kubernetes_schemas.validator(_kubernetes_schemas.closest(str(version)), api_version, kind)
    if evaluator is not None:
        for violation in evaluator.violations(document):
            yield violation.path, _vendored_schema.shortened(violation.message)
