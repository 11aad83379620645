"""A workload that a HorizontalPodAutoscaler scales must not also set `replicas`: every apply (every GitOps sync) puts
the count back to the manifest's, whatever the autoscaler had scaled to. Quiet for a workload no HPA among the
objects read scales."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement, Report, Workspace

REPLICAS: JsonPath = ("spec", "replicas")


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """An HPA's target (kind and name), or a workload's declared replica count."""
    spec = resource.get("spec")
    if not isinstance(spec, dict):
        return None
    if resource.get("kind") == "HorizontalPodAutoscaler" and str(resource.get("apiVersion", "")).startswith(
            "autoscaling/"):
        target = spec.get("scaleTargetRef")
        if isinstance(target, dict) and isinstance(target.get("kind"), str) and isinstance(target.get("name"), str):
            return None, ("hpa", (target["kind"], target["name"]))
        return None
    replicas = spec.get("replicas")
    if pod_spec is not None and isinstance(replicas, int) and not isinstance(replicas, bool):
        return REPLICAS, ("replicas", replicas)
    return None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """Two passes: what each scope's HPAs scale (by kind and name, as written), then each workload with `replicas`."""
    name = __name__.rpartition(".")[2]
    scaled: dict[tuple[str, str], dict[tuple[str, str], str]] = {}  # scope -> (kind, name) -> the HPA's name
    for placement, role, value in _facts(workspace, name):
        if role == "hpa":
            scaled.setdefault(placement.scope, {}).setdefault(value, placement.record.id.name)
    if not scaled:
        return
    for placement, role, value in _facts(workspace, name):
        record = placement.record
        hpa = scaled.get(placement.scope, {}).get((record.id.kind, record.id.name)) if role == "replicas" else None
        if hpa is not None:
            yield Report(record, f"HorizontalPodAutoscaler/{hpa} scales it, and every apply resets it to {value}",
                         record.fact(name))


def _facts(workspace: Workspace, name: str) -> Iterator[tuple[Placement, str, Any]]:
    for placement, (role, value) in workspace.values(name):
        yield placement, role, value
