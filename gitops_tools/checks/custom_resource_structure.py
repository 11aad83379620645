"""A custom resource against its CustomResourceDefinition's openAPIV3Schema for the resource's version: the run's
own CRD for its group and kind, else the bundled one (gitops_tools/customresources.py). Unknown fields, wrong types,
missing required fields, enums, formats and the `x-kubernetes-*` structure, each at its own position
(gitops_tools/checks/_crd_structural.py); a version the CRD does not serve is a finding on `apiVersion`. Kinds no
CRD defines are custom-resource-schema-known's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks import Violation
from gitops_tools.customresources import Definitions, is_custom, split


def custom_resource_check(document: Any, definitions: Definitions) -> Iterator[Violation]:
    """Every violation of `document` against its kind's CRD; none for an object that is no custom resource, whose
    identity is incomplete (manifest-identity-complete reports it) or whose kind no CRD defines."""
    api_version = document.get("apiVersion") if isinstance(document, dict) else None
    kind = document.get("kind") if isinstance(document, dict) else None
    if not isinstance(api_version, str) or not isinstance(kind, str) or not is_custom(api_version):
        return
    group, version_name = split(api_version)
    definition = definitions.find(group, kind)
    if definition is None:
        return
    version = definition.version(version_name)
    if version is None or not version.served:
        served = ", ".join(f"{group}/{name}" for name in definition.served()) or "none"
        yield ("apiVersion",), f"{definition.source}'s CRD does not serve {api_version} {kind} (served: {served})"
        return
    if version.schema is None:
        return  # a version without a schema takes anything (apiextensions.k8s.io/v1 requires one)
    yield from _violations(document, definitions, definition, version)


def _violations(document: Any, definitions: Definitions, definition: Any, version: Any) -> Iterator[Violation]:
    from gitops_tools.checks import _crd_structural, _vendored_schema

    try:
        evaluator = definitions.evaluator(definition, version)
    except ValueError as err:
        yield ("apiVersion",), f"{definition.source}'s schema of {version.name} does not compile: {err}"
        return
    if evaluator is None:
        return
    for violation in evaluator.violations(_crd_structural.pruned(document, version.schema)):
        yield violation.path, _vendored_schema.shortened(violation.message)
