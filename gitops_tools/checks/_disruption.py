"""PodDisruptionBudgets and HorizontalPodAutoscalers as the disruption checks read them: which pods a budget
selects (its API version's convention for a null or empty selector), how many of them it keeps, and the replica
floor an autoscaler sets for its target."""

from __future__ import annotations

import math
import re
from typing import Any

from gitops_tools.checks._podtemplates import api_group, scale_target
from gitops_tools.checks._selectors import Selector, label_selector

PERCENT = re.compile(r"^([0-9]+)%$")
Budget = int | str  # minAvailable or maxUnavailable: a count, or a percentage of the expected pods ("50%")


def is_budget(resource: Any) -> bool:
    return resource.get("kind") == "PodDisruptionBudget" and api_group(resource.get("apiVersion")) == "policy"


def budget_selector(resource: Any) -> Selector | str:
    """The pods a budget selects, or why it selects none: policy/v1 reads a null selector as no pod and `{}` as
    every pod of the namespace; policy/v1beta1 read both as no pod."""
    spec = resource.get("spec")
    raw = spec.get("selector") if isinstance(spec, dict) else None
    selector = label_selector(raw)
    if selector is None:
        return "it has no selector, and a null selector selects no pod"
    if selector.everything and resource.get("apiVersion") == "policy/v1beta1":
        return "its selector is empty, which selects no pod in policy/v1beta1"
    return selector


def percent(value: Budget) -> int | None:
    """The percentage a budget value gives, or None for a count (or a text the API server refuses)."""
    found = PERCENT.match(value) if isinstance(value, str) else None
    return int(found[1]) if found else None


def kept(min_available: Budget, expected: int) -> int | None:
    """How many of `expected` pods minAvailable keeps, as the disruption controller rounds it (a percentage up)."""
    share = percent(min_available)
    if share is not None:
        return math.ceil(share * expected / 100)
    return min_available if isinstance(min_available, int) and not isinstance(min_available, bool) else None


def autoscaler_floor(resource: Any) -> tuple[tuple[str | None, str, str], int] | None:
    """An autoscaler's target and its minReplicas (1 when unset): the fewest pods the target runs."""
    target = scale_target(resource)
    if target is None:
        return None
    spec = resource.get("spec")
    floor = spec.get("minReplicas", 1) if isinstance(spec, dict) else 1
    return (target, floor) if isinstance(floor, int) and not isinstance(floor, bool) else None
