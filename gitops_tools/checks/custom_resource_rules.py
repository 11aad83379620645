"""A custom resource against the CEL rules (`x-kubernetes-validations`) of its CustomResourceDefinition's schema for
its version: the run's own CRD for its group and kind, else the bundled one (gitops_tools/customresources.py). Each
rule that does not hold, evaluated as the API server evaluates it on create (gitops_tools/checks/_cel_rules.py), is
a finding at its node or its `fieldPath`, with the rule's message. Rules the linter cannot evaluate are
custom-resource-validation-rules-evaluated's (custom_resource_rules_evaluated.py)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from gitops_tools.checks import Violation

if TYPE_CHECKING:
    from gitops_tools.checks._cel_rules import Outcome
    from gitops_tools.customresources import Definitions


def custom_resource_check(document: Any, definitions: Definitions) -> Iterator[Violation]:
    for outcome in outcomes(document, definitions):
        if outcome.failed:
            yield outcome.path, outcome.detail


def outcomes(document: Any, definitions: Definitions) -> Iterator[Outcome]:
    """Every failed and not-evaluated rule of the CRD schema of `document`'s kind and version; none for an object
    that is no custom resource, whose kind no CRD defines, or whose version the CRD does not serve or gives no
    schema (custom-resource-structure-valid and custom-resource-schema-known report those)."""
    schema = _schema(document, definitions)
    if schema is not None:
        from gitops_tools.checks import _cel_rules  # here: a run without custom resources never needs it

        yield from _cel_rules.outcomes(schema, document)  # the CEL runtime is imported on the first rule evaluated


def _schema(document: Any, definitions: Definitions) -> Mapping[str, Any] | None:
    from gitops_tools.customresources import is_custom, openapi_schema

    api_version = document.get("apiVersion") if isinstance(document, dict) else None
    kind = document.get("kind") if isinstance(document, dict) else None
    if not isinstance(api_version, str) or not isinstance(kind, str) or not is_custom(api_version):
        return None
    return openapi_schema(api_version, kind, definitions)
