"""Where a policy looks inside a document: the document itself, each pod spec, or each container."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath, Targets

# Path from a workload document to its pod spec, per kind.
POD_SPEC_PATHS: dict[str, JsonPath] = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "ReplicationController": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "PodTemplate": ("template", "spec"),
}

Instance = tuple[JsonPath, Any]


def kind_of(data: Any) -> str | None:
    kind = data.get("kind") if isinstance(data, dict) else None
    return kind if isinstance(kind, str) else None


def resources(data: Any) -> Iterator[Instance]:
    """The document itself, or each item of a `kind: List` (what `kubectl get -o yaml` prints)."""
    items = data.get("items") if kind_of(data) == "List" else None
    if isinstance(items, list):
        for index, item in enumerate(items):
            yield ("items", index), item
    else:
        yield (), data


def applies_to_kind(targets: Targets, kind: str | None) -> bool:
    """Document-level kind filter: non-Kubernetes documents (no kind) are never targeted."""
    if kind is None or kind in targets.exclude_kinds:
        return False
    if targets.scope in ("pod-spec", "container") and kind not in POD_SPEC_PATHS:
        return False
    return not targets.kinds or kind in targets.kinds


def instances(targets: Targets, kind: str, data: dict[str, Any]) -> Iterator[Instance]:
    """Each (path, value) the policy's schema is applied to."""
    if targets.scope == "document":
        yield (), data
        return
    pod_path = POD_SPEC_PATHS[kind]
    pod_spec = _dig(data, pod_path)
    if not isinstance(pod_spec, dict):
        return
    if targets.scope == "pod-spec":
        yield pod_path, pod_spec
        return
    for list_name in targets.containers:
        containers = pod_spec.get(list_name)
        if isinstance(containers, list):
            for index, container in enumerate(containers):
                yield (*pod_path, list_name, index), container


def _dig(data: Any, path: JsonPath) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data
