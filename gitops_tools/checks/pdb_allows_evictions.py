"""A PodDisruptionBudget that allows no eviction blocks every node drain: `kubectl drain`, cluster upgrades and the
autoscaler's scale-down wait on it for ever. `maxUnavailable: 0` (or `0%`) and `minAvailable: 100%` do so whatever
they select; a count of `minAvailable` does so when it is at least the pods its workloads run: each selected
workload's replicas, or its autoscaler's minReplicas where one scales it (the count a quiet night scales it down to).
That comparison needs the workloads among the objects read; quiet when a selected workload's count is not fixed (a
DaemonSet, a Job) or unknown."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._disruption import Budget, autoscaler_floor, budget_selector, is_budget, kept, percent
from gitops_tools.checks._podtemplates import Templates, is_autoscaler, labels_path, replicas, template_name
from gitops_tools.checks._selectors import Selector, label_pairs
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, RecordKey, Report, Workspace
from gitops_tools.targets import dig

Scope = tuple[str, str]
Workload = tuple[str, str, str, str, int | None]  # group, kind, name as written, name as placed, replicas


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A budget's field and selector, an autoscaler's target and floor, or a workload's labels and replicas."""
    if is_budget(resource):
        spec = resource.get("spec")
        for field in ("maxUnavailable", "minAvailable"):
            value = spec.get(field) if isinstance(spec, dict) else None
            if isinstance(value, int | str):
                return ("spec", field), ("pdb", field, value, budget_selector(resource))
        return None
    floor = autoscaler_floor(resource) if is_autoscaler(resource) else None
    if floor is not None:
        return None, ("hpa", *floor)
    if pod_spec is None:
        return None
    return None, ("pods", label_pairs(dig(resource, labels_path(pod_spec))), replicas(resource,
                                                                                                         pod_spec))


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """Each budget that blocks whatever it selects, as it comes; then the pod templates and autoscalers of each
    scope, and each budget with a minAvailable count against what it selects."""
    name = __name__.rpartition(".")[2]
    scopes: dict[Scope, Templates[Workload]] = {}
    floors: dict[tuple[Scope, str, str], int] = {}  # (scope, kind, name) -> the autoscaler's minReplicas
    counted: list[tuple[RecordKey, Scope, Budget, Selector | str]] = []  # budgets with a minAvailable to compare
    for placement, value in workspace.values(name):
        record = placement.record
        if value[0] == "pods":
            group, kind = record.id.group, record.id.kind
            workload = (group, kind, record.id.name, placement.id.name, value[2])
            scopes.setdefault(placement.scope, Templates()).add(template_name(kind, record.id.name), value[1],
                                                                 workload)
        elif value[0] == "hpa":
            (_, kind, target), floor = value[1], value[2]
            floors[(placement.scope, kind, target)] = floor
        else:
            detail = _blocking(value[1], value[2])
            if detail is not None:
                yield Report(record, detail, record.fact(name))
            elif value[1] == "minAvailable":
                counted.append((RecordKey.of(record), placement.scope, value[2], value[3]))
    for key, scope, min_available, selector in counted:
        templates = scopes.get(scope)
        detail = _exhausted(min_available, selector, templates, floors, scope) if templates else None
        if detail is not None:
            record = workspace.record(key)
            yield Report(record, detail, record.fact(name))


def _blocking(field: str, value: Budget) -> str | None:
    """Why a budget allows no eviction whatever it selects, or None."""
    share = percent(value)
    if field == "maxUnavailable" and (value == 0 or share == 0):
        return f"maxUnavailable {value} lets no pod be evicted"
    if field == "minAvailable" and share is not None and share >= 100:
        return f"minAvailable {value} keeps every pod, so none can be evicted"
    return None


def _exhausted(min_available: Budget, selector: Selector | str, templates: Templates[Workload],
               floors: dict[tuple[Scope, str, str], int], scope: Scope) -> str | None:
    """Why a minAvailable keeps every pod the budget selects, or None (it does not, or the count is unknown)."""
    if isinstance(selector, str):
        return None  # selects no pod: pdb-selector-matches-workload says so
    workloads = [workload for _, payloads in templates.matching(selector) for workload in payloads]
    counts = [_count(workload, floors, scope) for workload in workloads]
    if not counts or any(count is None for count in counts):
        return None
    expected = sum(count for count in counts if count is not None)
    keep = kept(min_available, expected)
    if expected == 0 or keep is None or keep < expected:
        return None
    shown = ", ".join(f"{kind}/{name}" for _, kind, name, _, _ in workloads[:3])
    return f"minAvailable {min_available} keeps all {expected} pods of {shown}, so none can be evicted"


def _count(workload: Workload, floors: dict[tuple[Scope, str, str], int], scope: Scope) -> int | None:
    """The pods a workload runs at its lowest: its autoscaler's minReplicas where one scales it, else replicas."""
    _, kind, written, placed, count = workload
    floor = floors.get((scope, kind, written), floors.get((scope, kind, placed)))
    return floor if floor is not None else count
