"""A Service whose selector matches no pod template in its namespace sends traffic nowhere. Quiet when the namespace
has no workload in the linted set (the pods may be deployed from elsewhere) and for a Service without a selector
(ExternalName, or endpoints managed by hand). Pod templates are where schemas/resources/workloads.yaml puts each
workload's pod spec: their labels are the `metadata.labels` beside it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from sys import intern
from typing import Any

from gitops_tools.model import JsonPath, ObjectRecord
from gitops_tools.pipeline.workspace import Collected, Placement, RecordKey, Report, Workspace
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
    """Two passes over the units: the pod templates of each scope (kept compact: their label sets, how many, the
    first few names), then each Service against its scope's templates, reported as it comes."""
    name = __name__.rpartition(".")[2]
    scopes: dict[tuple[str, str], _Templates] = {}
    for placement, role, pairs in _facts(workspace, name):
        if role == "pods":
            scopes.setdefault(placement.scope, _Templates()).add(placement.record, pairs)
    if not scopes:
        return
    reported: set[RecordKey] = set()
    for placement, role, pairs in _facts(workspace, name):
        templates = scopes.get(placement.scope)
        if role != "selector" or templates is None or RecordKey.of(placement.record) in reported \
                or templates.match(pairs):
            continue
        reported.add(RecordKey.of(placement.record))
        yield Report(placement.record, _detail(pairs, placement.scope, templates), placement.record.fact(name))


def _facts(workspace: Workspace, name: str) -> Iterator[tuple[Placement, str, tuple[tuple[str, str], ...]]]:
    """Each placed object the check collected a fact of, with the fact's role and label pairs."""
    for _, placements in workspace.placements:
        for placement in placements:
            fact = placement.record.fact(name)
            if fact is not None:
                role, pairs = fact.value
                yield placement, role, pairs


class _Templates:
    """The pod templates of one scope, as little as the check needs: how many, the first SHOWN by kind and name, and
    each label set (one tuple of label pairs, shared by templates that are labelled alike) under each of its labels,
    so a Service is compared only with the templates sharing its rarest label, not with all of them."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []
        self._by_label: dict[tuple[str, str], list[tuple[tuple[str, str], ...]]] = {}
        self._sets: set[tuple[tuple[str, str], ...]] = set()

    def add(self, record: ObjectRecord, pairs: tuple[tuple[str, str], ...]) -> None:
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(f"{record.id.kind}/{record.id.name}")
        if pairs in self._sets:
            return  # a label set already indexed matches what this one would
        labels = tuple((intern(key), intern(value)) for key, value in pairs)  # one copy of the labels of all objects
        self._sets.add(labels)
        for pair in labels:
            self._by_label.setdefault(pair, []).append(labels)

    def match(self, selector: tuple[tuple[str, str], ...]) -> bool:
        """Whether some template holds every label of the selector (label pairs are sorted and unique)."""
        candidates = min((self._by_label.get(pair, []) for pair in selector), key=len)
        wanted = set(selector)
        return any(wanted.issubset(labels) for labels in candidates)


def _detail(selector: tuple[tuple[str, str], ...], scope: tuple[str, str], templates: _Templates) -> str:
    wanted = ", ".join(f"{key}={value}" for key, value in sorted(selector))
    where = f"namespace {scope[1]}" if scope[0] == "namespace" else "its namespace"
    more = f" and {templates.count - SHOWN} more" if templates.count > SHOWN else ""
    return f"{wanted} matches none of the pod templates in {where} ({', '.join(templates.shown)}{more})"


def _pairs(labels: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(labels, Mapping):
        return ()
    return tuple(sorted((intern(str(key)), intern(str(value))) for key, value in labels.items()))  # kept per object

