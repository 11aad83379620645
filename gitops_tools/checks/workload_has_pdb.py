"""A workload that runs several replicas needs a PodDisruptionBudget selecting its pods, or a node drain may evict
all of them at once. Which kinds, and from how many replicas, are the policy's parameters. Quiet when the namespace
holds no budget at all among the objects read (budgets may be deployed from elsewhere, or not used there), unless
the run is strict (--strict-references)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.checks._disruption import autoscaler_floor, budget_selector, is_budget
from gitops_tools.checks._podtemplates import is_autoscaler, labels_path, replicas, scope_text
from gitops_tools.checks._selectors import Labels, Selector, label_pairs
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, RecordKey, Report, Workspace
from gitops_tools.targets import dig

Scope = tuple[str, str]


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A budget's selector, an autoscaler's target and floor, or a workload's labels and replicas."""
    if is_budget(resource):
        return None, ("pdb", budget_selector(resource))
    if is_autoscaler(resource):
        floor = autoscaler_floor(resource)
        return (None, ("hpa", *floor)) if floor is not None else None
    if pod_spec is None:
        return None
    return None, ("pods", label_pairs(dig(resource, labels_path(pod_spec))), replicas(resource,
                                                                                                         pod_spec))


def workspace_check(workspace: Workspace, parameters: Mapping[str, Any]) -> Iterator[Report]:
    """The budgets and autoscalers of each scope and the workloads of the kinds named; then each workload running
    at least `min_replicas` at its lowest against its scope's budgets."""
    name = __name__.rpartition(".")[2]
    kinds, least = frozenset(parameters["kinds"]), int(parameters["min_replicas"])
    budgets: dict[Scope, list[Selector]] = {}
    floors: dict[tuple[Scope, str, str], int] = {}
    workloads: list[tuple[RecordKey, Scope, str, tuple[str, str], Labels, int | None]] = []
    for placement, value in workspace.values(name):
        record = placement.record
        if value[0] == "pdb":
            selectors = budgets.setdefault(placement.scope, [])
            if isinstance(value[1], Selector) and value[1] not in selectors:
                selectors.append(value[1])
        elif value[0] == "hpa":
            (_, kind, target), floor = value[1], value[2]
            floors[(placement.scope, kind, target)] = floor
        elif _kind(record.id.group, record.id.kind) in kinds:
            workloads.append((RecordKey.of(record), placement.scope, record.id.kind,
                              (record.id.name, placement.id.name), value[1], value[2]))
    for key, scope, kind, names, labels, count in workloads:
        floor = floors.get((scope, kind, names[0]), floors.get((scope, kind, names[1])))
        lowest = floor if floor is not None else count
        if lowest is None or lowest < least:
            continue
        detail = _detail(labels, lowest, scope, budgets.get(scope), workspace.strict_references)
        if detail is not None:
            yield Report(workspace.record(key), detail)


def _kind(group: str, kind: str) -> str:
    """A kind as the `kinds` parameter names it: `apps/Deployment`, `Pod` for the core group."""
    return f"{'apps' if group == 'extensions' else group}/{kind}" if group else kind


def _detail(labels: Labels, lowest: int, scope: Scope, budgets: list[Selector] | None, strict: bool) -> str | None:
    pods = f"its {lowest} replicas" if lowest > 1 else "its replica"
    if budgets is None:
        return f"{pods}: no PodDisruptionBudget in {scope_text(scope)} among the files read" if strict else None
    if any(budget.selects(labels) for budget in budgets):
        return None
    return f"no PodDisruptionBudget of {scope_text(scope)} selects {pods}"
