"""A HorizontalPodAutoscaler whose `scaleTargetRef` names no object of its namespace scales nothing: it reports
`FailedGetScale` for ever, and the workload it was meant for runs at whatever replica count it last had. Quiet when
the namespace holds no workload among the objects read (the target may be deployed from elsewhere), unless the run
is strict (--strict-references)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import is_autoscaler, scale_target, scope_text
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, RecordKey, Report, Workspace

TARGET: JsonPath = ("spec", "scaleTargetRef", "name")
Target = tuple[str | None, str, str]  # group (None: any), kind, name
Scope = tuple[str, str]


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """An autoscaler's target; that a workload is one (its namespace then has workloads)."""
    if is_autoscaler(resource):
        target = scale_target(resource)
        return (TARGET, ("hpa", target)) if target is not None else None
    return (None, ("workload", None)) if pod_spec is not None else None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """Three steps: each scope's autoscaler targets and whether it has workloads; which targets some object of the
    scope is; each autoscaler whose target none is, where the scope has workloads (or the run is strict)."""
    name = __name__.rpartition(".")[2]
    wanted: dict[tuple[Scope, str], list[tuple[RecordKey, Target]]] = {}
    with_workloads: set[Scope] = set()
    for placement, (role, target) in workspace.values(name):
        if role == "workload":
            with_workloads.add(placement.scope)
        else:
            wanted.setdefault((placement.scope, target[1]), []).append((RecordKey.of(placement.record), target))
    if not wanted:
        return
    found = _found(workspace, wanted)
    for (scope, _), autoscalers in wanted.items():
        for key, target in autoscalers:
            if key in found or (scope not in with_workloads and not workspace.strict_references):
                continue
            record = workspace.record(key)
            yield Report(record, _detail(target, scope, scope in with_workloads), record.fact(name))


def _found(workspace: Workspace, wanted: dict[tuple[Scope, str], list[tuple[RecordKey, Target]]]) -> set[RecordKey]:
    """The autoscalers whose target is an object of their scope: written with that name, or named so by its unit
    (kustomize's namePrefix and nameSuffix rewrite the reference too when both are in one build)."""
    found: set[RecordKey] = set()
    for _, placements in workspace.placements:
        for placement in placements:
            candidates = wanted.get((placement.scope, placement.id.kind))
            if not candidates:
                continue
            group = "apps" if placement.id.group == "extensions" else placement.id.group
            names = {placement.id.name, placement.record.id.name}
            found.update(key for key, (wanted_group, _, target) in candidates
                         if target in names and wanted_group in (None, group))
    return found


def _detail(target: Target, scope: Scope, workloads: bool) -> str:
    group, kind, name = target
    shown = f"{kind}.{group}/{name}" if group else f"{kind}/{name}"
    if not workloads:
        return f"{shown}: no workload in {scope_text(scope)} among the files read"
    return f"{shown} is not among the objects of {scope_text(scope)}"
