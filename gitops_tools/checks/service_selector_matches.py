"""A Service whose selector matches no pod template in its namespace sends traffic nowhere. Quiet when the namespace
has no workload among the objects read (the pods may be deployed from elsewhere), unless the run is strict
(--strict-references), and for a Service without a selector (ExternalName, or endpoints managed by hand). Pod
templates are where schemas/resources/workloads.yaml puts each workload's pod spec: their labels are the
`metadata.labels` beside it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import Templates, pod_labels, scope_text
from gitops_tools.checks._selectors import Labels, label_pairs, map_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement, RecordKey, Report, Workspace

SELECTOR: JsonPath = ("spec", "selector")


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's selector, or a workload's pod template labels."""
    selector = service_selector(resource)
    if selector is not None:
        return SELECTOR, ("selector", label_pairs(selector))
    return None if pod_spec is None else pod_labels(resource, pod_spec)


def service_selector(resource: Any) -> dict[Any, Any] | None:
    """A core Service's selector, when it has one that an endpoints controller uses: not empty, not ExternalName."""
    if resource.get("kind") != "Service" or resource.get("apiVersion") != "v1":
        return None
    spec = resource.get("spec")
    selector = spec.get("selector") if isinstance(spec, dict) else None
    if not isinstance(selector, dict) or not selector or spec.get("type") == "ExternalName":
        return None
    return selector


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """Two passes over the units: the pod templates of each scope (kept compact), then each Service against its
    scope's templates, reported as it comes."""
    name = __name__.rpartition(".")[2]
    scopes: dict[tuple[str, str], Templates[None]] = {}
    for placement, role, pairs in _facts(workspace, name):
        if role == "pods":
            record = placement.record
            scopes.setdefault(placement.scope, Templates()).add(f"{record.id.kind}/{record.id.name}", pairs, None)
    if not scopes and not workspace.strict_references:
        return
    reported: set[RecordKey] = set()
    for placement, role, pairs in _facts(workspace, name):
        if role != "selector" or RecordKey.of(placement.record) in reported:
            continue
        detail = _detail(pairs, placement.scope, scopes.get(placement.scope), workspace.strict_references)
        if detail is not None:
            reported.add(RecordKey.of(placement.record))
            yield Report(placement.record, detail, placement.record.fact(name))


def _facts(workspace: Workspace, name: str) -> Iterator[tuple[Placement, str, Labels]]:
    """Each placed object the check collected a fact of, with the fact's role and label pairs."""
    for placement, (role, pairs) in workspace.values(name):
        yield placement, role, pairs


def _detail(pairs: Labels, scope: tuple[str, str], templates: Templates[None] | None, strict: bool) -> str | None:
    """What is wrong with a Service's selector in its scope, or None: it matches, or the scope has no template and
    the run is not strict."""
    wanted = ", ".join(f"{key}={value}" for key, value in pairs)
    if templates is None:
        return f"{wanted}: no workload in {scope_text(scope)} among the files read" if strict else None
    selector = map_selector(dict(pairs))
    if selector is None or templates.any_match(selector):
        return None
    return f"{wanted} matches none of the pod templates in {scope_text(scope)} ({templates.names()})"
