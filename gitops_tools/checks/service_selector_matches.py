"""A Service whose selector matches no pod template in its namespace sends traffic nowhere. Quiet when the namespace
has no workload in the linted set (the pods may be deployed from elsewhere) and for a Service without a selector
(ExternalName, or endpoints managed by hand). Pod templates are where schemas/resources/workloads.yaml puts each
workload's pod spec: their labels are the `metadata.labels` beside it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from sys import intern
from typing import Any

from gitops_tools.model import JsonPath, ObjectRecord
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

SELECTOR: JsonPath = ("spec", "selector")
SHOWN = 3  # workloads named in a finding


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's selector, or a workload's pod template labels."""
    if resource.get("kind") == "Service" and resource.get("apiVersion") == "v1":
        spec = resource.get("spec")
        selector = spec.get("selector") if isinstance(spec, dict) else None
        if not isinstance(selector, dict) or not selector or spec.get("type") == "ExternalName":
            return None
        return SELECTOR, ("selector", _pairs(selector))
    if pod_spec is None:
        return None
    where = (*pod_spec[:-1], "metadata", "labels")
    return where, ("pods", _pairs(dig(resource, where)))


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    name = __name__.rpartition(".")[2]
    pods: dict[tuple[str, str], list[tuple[ObjectRecord, frozenset[tuple[str, str]]]]] = {}
    services = []
    for _, placements in workspace.placements:
        for placement in placements:
            fact = placement.record.fact(name)
            if fact is None:
                continue
            role, pairs = fact.value
            if role == "pods":
                pods.setdefault(placement.scope, []).append((placement.record, frozenset(pairs)))
            else:
                services.append((placement, fact, frozenset(pairs)))
    by_label = _by_label(pods)
    reported: set[ObjectRecord] = set()
    for placement, fact, selector in services:
        workloads = pods.get(placement.scope, [])
        if not workloads or placement.record in reported:
            continue
        candidates = min((by_label.get((placement.scope, pair), []) for pair in selector), key=len)
        if any(selector <= labels for labels in candidates):  # only templates holding the selector's rarest label
            continue
        reported.add(placement.record)
        yield Report(placement.record, _detail(selector, placement.scope, [record for record, _ in workloads]), fact)


def _by_label(pods: dict[tuple[str, str], list[tuple[ObjectRecord, frozenset[tuple[str, str]]]]],
              ) -> dict[tuple[tuple[str, str], tuple[str, str]], list[frozenset[tuple[str, str]]]]:
    """(scope, label) -> the label sets of the pod templates in that scope that carry the label: a Service is compared
    with the few templates sharing a label, not with every workload of its namespace."""
    index: dict[tuple[tuple[str, str], tuple[str, str]], list[frozenset[tuple[str, str]]]] = {}
    for scope, workloads in pods.items():
        for _, labels in workloads:
            for pair in labels:
                index.setdefault((scope, pair), []).append(labels)
    return index


def _detail(selector: frozenset[tuple[str, str]], scope: tuple[str, str], workloads: list[ObjectRecord]) -> str:
    wanted = ", ".join(f"{key}={value}" for key, value in sorted(selector))
    where = f"namespace {scope[1]}" if scope[0] == "namespace" else "its namespace"
    names = ", ".join(f"{record.id.kind}/{record.id.name}" for record in workloads[:SHOWN])
    more = f" and {len(workloads) - SHOWN} more" if len(workloads) > SHOWN else ""
    return f"{wanted} matches none of the pod templates in {where} ({names}{more})"


def _pairs(labels: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(labels, Mapping):
        return ()
    return tuple(sorted((intern(str(key)), intern(str(value))) for key, value in labels.items()))  # kept per object

