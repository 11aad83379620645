"""A PodDisruptionBudget whose selector selects no pod template of its namespace protects nothing: node drains evict
the pods it was meant for all at once. Reported whatever else the run reads when the budget selects no pod by its
own definition (no selector in policy/v1, an invalid one); otherwise quiet when the namespace holds no workload among
the objects read (the pods may be deployed from elsewhere), unless the run is strict (--strict-references)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._disruption import budget_selector, is_budget
from gitops_tools.checks._podtemplates import Templates, pod_labels, scope_text, template_name
from gitops_tools.checks._selectors import Selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, RecordKey, Report, Workspace

Scope = tuple[str, str]


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A budget's selector (or why it selects nothing), or a workload's pod template labels."""
    if is_budget(resource):
        spec = resource.get("spec")
        where: JsonPath = ("spec", "selector") if isinstance(spec, dict) and "selector" in spec else ("spec",)
        return where, ("pdb", budget_selector(resource))
    return None if pod_spec is None else pod_labels(resource, pod_spec)


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """One pass: the pod templates of each scope, and the budgets (few: each kept by its RecordKey); then each
    budget against its scope's templates."""
    name = __name__.rpartition(".")[2]
    scopes: dict[Scope, Templates[None]] = {}
    budgets: list[tuple[RecordKey, Scope, Selector | str]] = []
    for placement, (role, value) in workspace.values(name):
        record = placement.record
        if role == "pods":
            scopes.setdefault(placement.scope, Templates()).add(template_name(record.id.kind, record.id.name),
                                                                 value, None)
        else:
            budgets.append((RecordKey.of(record), placement.scope, value))
    for key, scope, selector in budgets:
        detail = _detail(selector, scope, scopes.get(scope), workspace.strict_references)
        if detail is not None:
            record = workspace.record(key)
            yield Report(record, detail, record.fact(name))


def _detail(selector: Selector | str, scope: Scope, templates: Templates[None] | None, strict: bool) -> str | None:
    if isinstance(selector, str):
        return selector
    if not selector.valid:
        return "its selector is invalid (an unknown operator, or values where none belong), and selects no pod"
    if templates is None:
        return f"{selector}: no workload in {scope_text(scope)} among the files read" if strict else None
    if templates.any_match(selector):
        return None
    return f"{selector} matches none of the pod templates in {scope_text(scope)} ({templates.names()})"
