"""The pod templates of each scope (namespace, or unit for objects in none), kept as little as the workspace checks
that select pods need: how many, the first few by kind and name, and each distinct label set (shared by templates
labelled alike) under each of its labels, with what the check keeps of each template (its payload: ports,
replicas...). A selector is compared only with the label sets holding its rarest required label, not with all.

A check builds one `Templates` per scope in a first pass over the workspace's placements, then compares in a second:
nothing here holds a record or a document."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from gitops_tools.checks._selectors import Labels, Selector, label_pairs
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement
from gitops_tools.targets import dig

SHOWN = 3  # pod templates named in a finding
Payload = TypeVar("Payload", bound=Hashable)


def labels_path(pod_spec: JsonPath) -> JsonPath:
    """Where a pod template's labels are: `metadata.labels` beside its pod spec (schemas/resources/workloads.yaml)."""
    return (*pod_spec[:-1], "metadata", "labels")


def pod_labels(resource: Any, pod_spec: JsonPath) -> Collected:
    """A workload's pod template labels as a check keeps them: the fact ("pods", labels), at no place (what other
    objects' selectors are judged against; no finding points at it)."""
    return None, ("pods", label_pairs(dig(resource, labels_path(pod_spec))))


def scopes(facts: Iterable[tuple[Placement, tuple[str, Any]]]) -> dict[tuple[str, str], Templates[None]]:
    """The pod templates of each scope, from the ("pods", labels) facts `pod_labels` kept (other facts are skipped)."""
    found: dict[tuple[str, str], Templates[None]] = {}
    for placement, (role, labels) in facts:
        if role == "pods":
            found.setdefault(placement.scope, Templates()).add(f"{placement.id.kind}/{placement.id.name}", labels,
                                                               None)
    return found


class Templates(Generic[Payload]):
    """The pod templates of one scope."""

    def __init__(self) -> None:
        self.count = 0
        self.shown: list[str] = []
        self._payloads: dict[Labels, list[Payload]] = {}  # each label set: the distinct payloads of its templates
        self._by_label: dict[tuple[str, str], list[Labels]] = {}

    def add(self, name: str, labels: Labels, payload: Payload) -> None:
        """One template, `name` as a finding shows it (`Deployment/web`); `labels` as _selectors.label_pairs writes
        them (interned)."""
        self.count += 1
        if len(self.shown) < SHOWN:
            self.shown.append(name)
        payloads = self._payloads.get(labels)
        if payloads is None:
            self._payloads[labels] = [payload]
            for pair in labels:
                self._by_label.setdefault(pair, []).append(labels)
        elif payload not in payloads:
            payloads.append(payload)

    def matching(self, selector: Selector) -> Iterator[tuple[Labels, list[Payload]]]:
        """Each label set the selector selects, with its templates' payloads."""
        if not selector.valid:
            return
        required = selector.pairs
        candidates = min((self._by_label.get(pair, []) for pair in required), key=len) if required \
            else self._payloads.keys()
        for labels in candidates:
            if selector.selects(labels):
                yield labels, self._payloads[labels]

    def any_match(self, selector: Selector) -> bool:
        return next(self.matching(selector), None) is not None

    def names(self) -> str:
        """The first templates, for a finding: `Deployment/web, Job/migrate and 4 more`."""
        more = f" and {self.count - SHOWN} more" if self.count > SHOWN else ""
        return ", ".join(self.shown) + more


def scope_text(scope: tuple[str, str]) -> str:
    """A scope as a finding names it."""
    return f"namespace {scope[1]}" if scope[0] == "namespace" else "its namespace"


def template_name(kind: str, name: str) -> str:
    return f"{kind}/{name}"


def api_group(api_version: Any) -> str:
    """The API group of an apiVersion (`apps/v1` -> `apps`, `v1` -> ``); `extensions` is `apps` (the same
    Deployments, DaemonSets and ReplicaSets served under both)."""
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
    return "apps" if group == "extensions" else group


def replicas(resource: Any, pod_spec: JsonPath) -> int | None:
    """How many pods a workload runs when no autoscaler changes it: a bare Pod one, a replicated workload (its pod
    template under `spec.template`) its `spec.replicas` (1 when unset), None where it is not a fixed count (a
    DaemonSet runs one per node, a Job or CronJob until done) or not a whole number (an unrendered template)."""
    kind = resource.get("kind")
    if pod_spec == ("spec",):
        return 1
    if pod_spec != ("spec", "template", "spec") or kind in UNCOUNTED:
        return None
    spec = resource.get("spec")
    count = spec.get("replicas", 1) if isinstance(spec, dict) else 1
    return count if isinstance(count, int) and not isinstance(count, bool) and count >= 0 else None


UNCOUNTED = frozenset({"DaemonSet", "Job"})


def scale_target(resource: Any) -> tuple[str | None, str, str] | None:
    """A HorizontalPodAutoscaler's `spec.scaleTargetRef` as (group, kind, name); the group is None when the
    reference gives no apiVersion (any group's kind then matches)."""
    spec = resource.get("spec")
    ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
    if not isinstance(ref, dict) or not isinstance(ref.get("kind"), str) or not isinstance(ref.get("name"), str):
        return None
    version = ref.get("apiVersion")
    return (api_group(version) if isinstance(version, str) else None), ref["kind"], ref["name"]


def is_autoscaler(resource: Any) -> bool:
    return resource.get("kind") == "HorizontalPodAutoscaler" and api_group(resource.get("apiVersion")) == "autoscaling"
