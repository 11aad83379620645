"""A container's resource requests must fit its limits, as the API server requires: no request above its limit, and
for resources that cannot be overcommitted (huge pages, extended resources such as `nvidia.com/gpu`) a request equal
to a limit that is set. Comparing two quantities needs arithmetic on them (gitops_tools/checks/_quantity.py), which
JSON Schema does not have. Values that are not quantities are left to the structure policies."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.checks._quantity import parse_quantity
from gitops_tools.model import JsonPath

NOT_OVERCOMMITTED = "(huge pages and extended resources cannot be overcommitted)"


def check(container: Any) -> Iterator[tuple[JsonPath, str]]:
    resources = container.get("resources") if isinstance(container, dict) else None
    if not isinstance(resources, dict):
        return
    requests, limits = resources.get("requests"), resources.get("limits")
    if not isinstance(requests, dict):
        return
    limits = limits if isinstance(limits, dict) else {}
    for name, requested in requests.items():
        if isinstance(name, str):
            detail = _problem(name, requested, limits)
            if detail:
                yield ("resources", "requests", name), detail


def _problem(name: str, requested: Any, limits: Mapping[str, Any]) -> str | None:
    """What is wrong with one request given the limits, or None."""
    request = parse_quantity(requested)
    if request is None:
        return None
    if name not in limits:
        return None if _overcommittable(name) else f"{name}: a request needs a limit equal to it {NOT_OVERCOMMITTED}"
    limit = parse_quantity(limits[name])
    if limit is None:
        return None
    if request > limit:
        return f"{name}: the request {requested} is above the limit {limits[name]}"
    if request != limit and not _overcommittable(name):
        return f"{name}: the request {requested} must equal the limit {limits[name]} {NOT_OVERCOMMITTED}"
    return None


def _overcommittable(name: str) -> bool:
    """apimachinery's IsOverCommitAllowed: native resources (no domain, or a kubernetes.io one) except huge pages."""
    native = "/" not in name or "kubernetes.io/" in name
    return native and not name.startswith("hugepages-")
