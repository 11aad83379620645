"""A NetworkPolicy's ingress `from` and egress `to` peers that give a `podSelector` without a `namespaceSelector`
name pods of the policy's own namespace: a peer that selects none of them allows nothing (the client or backend it
was written for stays denied), usually after a label was renamed on the workload. Peers with a `namespaceSelector`
name other namespaces' pods, deployed from elsewhere, and are not judged; nor are `ipBlock` peers. Quiet where the
namespace has no workload in the linted set unless `--strict-references`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import pod_labels, scope_text, scopes
from gitops_tools.checks._references import report
from gitops_tools.checks._selectors import Selector, label_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
WHERE: JsonPath = ("spec",)
DIRECTIONS = (("ingress", "from"), ("egress", "to"))

Peer = tuple[str, Selector]  # where the peer is written (`ingress[0].from[1]`), and its pod selector


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A NetworkPolicy's same-namespace pod peers, or a pod template's labels."""
    if resource.get("kind") == "NetworkPolicy" and resource.get("apiVersion") == "networking.k8s.io/v1":
        peers = tuple(_peers(resource.get("spec")))
        return (WHERE, ("policy", peers)) if peers else None
    return None if pod_spec is None else pod_labels(resource, pod_spec)


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    templates_of = scopes(workspace.values(NAME))
    for placement, (role, peers) in workspace.values(NAME):
        if role != "policy":
            continue
        templates = templates_of.get(placement.scope)
        for where, selector in peers:
            if templates is None and workspace.strict_references:
                yield report(placement.record, NAME, f"{where}.podSelector {selector}: no workload in "
                             f"{scope_text(placement.scope)} among the files read", (where, str(selector)))
            elif templates is not None and not templates.any_match(selector):
                yield report(placement.record, NAME, f"{where}.podSelector {selector} selects none of the pod "
                             f"templates in {scope_text(placement.scope)} ({templates.names()})",
                             (where, str(selector)))


def _peers(spec: Any) -> Iterator[Peer]:
    """Each valid pod selector of a peer without a namespace selector, with where it is written."""
    if not isinstance(spec, dict):
        return
    for direction, side in DIRECTIONS:
        rules = spec.get(direction)
        for index, rule in enumerate(rules if isinstance(rules, list) else ()):
            peers = rule.get(side) if isinstance(rule, dict) else None
            for number, peer in enumerate(peers if isinstance(peers, list) else ()):
                if not isinstance(peer, dict) or peer.get("namespaceSelector") is not None:
                    continue
                selector = label_selector(peer.get("podSelector"))
                if selector is not None and selector.valid:
                    yield f"{direction}[{index}].{side}[{number}]", selector
