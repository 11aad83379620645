"""A StatefulSet's `serviceName` names the headless Service that gives its pods their DNS names: it must exist in its
namespace, be headless (`clusterIP: None`) and select the StatefulSet's pods. Quiet when the namespace has no Service
among the objects read (the Service may be deployed from elsewhere) unless the run is strict (--strict-references)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import labels_path, scope_text
from gitops_tools.checks._selectors import Labels, label_pairs, map_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement, Report, Workspace
from gitops_tools.targets import dig

SERVICE_NAME: JsonPath = ("spec", "serviceName")
Service = tuple[bool, Labels | None]  # headless, and its selector's pairs (None: no selector)


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A core Service (headless or not, its selector), or a StatefulSet's serviceName and pod template labels."""
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        return None
    if resource.get("kind") == "Service" and resource.get("apiVersion") == "v1":
        selector = spec.get("selector")
        pairs = label_pairs(selector) if isinstance(selector, dict) and selector else None
        return None, ("service", (spec.get("clusterIP") == "None", pairs))
    name = spec.get("serviceName")
    if resource.get("kind") == "StatefulSet" and pod_spec is not None and isinstance(name, str) and name:
        return SERVICE_NAME, ("statefulset", (name, label_pairs(dig(resource, labels_path(pod_spec)))))
    return None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """Two passes: the Services of each scope by name (as written), then each StatefulSet's serviceName."""
    name = __name__.rpartition(".")[2]
    services: dict[tuple[str, str], dict[str, Service]] = {}
    for placement, role, value in _facts(workspace, name):
        if role == "service":
            services.setdefault(placement.scope, {}).setdefault(placement.record.id.name, value)
    for placement, role, value in _facts(workspace, name):
        if role == "statefulset":
            service_name, pod_labels = value
            detail = _detail(service_name, pod_labels, placement.scope, services.get(placement.scope),
                             workspace.strict_references)
            if detail is not None:
                yield Report(placement.record, detail, placement.record.fact(name))


def _detail(service_name: str, pod_labels: Labels, scope: tuple[str, str], scope_services: dict[str, Service] | None,
            strict: bool) -> str | None:
    """What is wrong with the StatefulSet's serviceName, or None."""
    if scope_services is None:
        return f"no Service in {scope_text(scope)} among the files read" if strict else None
    found = scope_services.get(service_name)
    if found is None:
        return f"no Service {service_name!r} in {scope_text(scope)}"
    headless, selector = found
    if not headless:
        return f"Service {service_name!r} is not headless (clusterIP: None)"
    matcher = map_selector(dict(selector)) if selector is not None else None
    if matcher is None or not matcher.matches(dict(pod_labels)):
        return f"Service {service_name!r} does not select the StatefulSet's pods"
    return None


def _facts(workspace: Workspace, name: str) -> Iterator[tuple[Placement, str, Any]]:
    for placement, (role, value) in workspace.values(name):
        yield placement, role, value
