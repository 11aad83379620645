"""A NetworkPolicy's `podSelector` selects some pod template of its namespace: one that selects none protects
nothing (and its default deny isolates nothing), usually after a label was renamed on the workload. An empty selector
selects every pod. Quiet where the namespace has no workload in the linted set (its pods may be deployed from
elsewhere) unless `--strict-references`, and for a selector the API server would refuse (the structure policies
report it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import pod_labels, scope_text, scopes
from gitops_tools.checks._references import report
from gitops_tools.checks._selectors import label_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
WHERE: JsonPath = ("spec", "podSelector")


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A NetworkPolicy's pod selector, or a pod template's labels."""
    if resource.get("kind") == "NetworkPolicy" and resource.get("apiVersion") == "networking.k8s.io/v1":
        selector = label_selector(dig(resource, WHERE))
        return (WHERE, ("policy", selector)) if selector is not None and selector.valid else None
    return None if pod_spec is None else pod_labels(resource, pod_spec)


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    templates_of = scopes(workspace.values(NAME))
    for placement, (role, selector) in workspace.values(NAME):
        if role != "policy":
            continue
        templates = templates_of.get(placement.scope)
        if templates is None:
            if workspace.strict_references:
                shown = "the empty podSelector (every pod)" if selector.everything else str(selector)
                yield report(placement.record, NAME, f"{shown}: no workload in {scope_text(placement.scope)} "
                             "among the files read", str(selector))
        elif not templates.any_match(selector):
            yield report(placement.record, NAME, f"{selector} selects none of the pod templates in "
                         f"{scope_text(placement.scope)} ({templates.names()})", str(selector))
