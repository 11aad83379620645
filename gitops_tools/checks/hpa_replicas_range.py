"""A HorizontalPodAutoscaler's maxReplicas must be above its minReplicas: below it the API server refuses the object,
equal to it the autoscaler can never scale. JSON Schema cannot compare two fields of one object, hence code."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

DEFAULT_MIN_REPLICAS = 1  # what the API server fills in for an unset spec.minReplicas


def check(hpa: Any) -> Iterator[tuple[JsonPath, str]]:
    spec = hpa.get("spec") if isinstance(hpa, dict) else None
    if not isinstance(spec, dict):
        return
    maximum, minimum = spec.get("maxReplicas"), spec.get("minReplicas", DEFAULT_MIN_REPLICAS)
    if not _count(maximum) or not _count(minimum):
        return  # a missing or mistyped count is kubernetes-structure-valid's finding
    named = "minReplicas" if "minReplicas" in spec else f"the default minReplicas ({DEFAULT_MIN_REPLICAS})"
    if minimum > maximum:
        yield ("spec", "maxReplicas"), f"maxReplicas {maximum} is below {named} {minimum}: the API server refuses it"
    elif minimum == maximum:
        yield ("spec", "maxReplicas"), f"maxReplicas {maximum} equals {named}: the autoscaler can never scale"


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
