"""A pod does not get the API token mounted: its spec sets `automountServiceAccountToken: false`, or leaves it unset
and runs as a ServiceAccount of its namespace in the linted set that sets it to `false` (the pod's field wins when
set). A pod that sets it otherwise is reported at that field; one that leaves it unset, at its pod spec, unless its
account turns the token off. Findings and fingerprints are those of the document policy this check replaced."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._references import Scope, spellings
from gitops_tools.fingerprint import shallow
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
FIELD = "automountServiceAccountToken"
ABSENT = 1  # what a fingerprint hashes for the first absence at a place (gitops_tools/engine.py)


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A ServiceAccount that turns the token off, or a pod spec that does not: (its account when the field is
    unset, else None; the offending value a fingerprint hashes)."""
    if resource.get("kind") == "ServiceAccount" and resource.get("apiVersion") == "v1":
        return ((FIELD,), None) if resource.get(FIELD) is False else None
    spec = dig(resource, pod_spec) if pod_spec is not None else None
    if pod_spec is None or not isinstance(spec, dict) or spec.get(FIELD) is False:
        return None
    if FIELD in spec:
        return (*pod_spec, FIELD), (None, shallow(spec[FIELD]))
    account = spec.get("serviceAccountName") or spec.get("serviceAccount")
    return pod_spec, (account if isinstance(account, str) and account else "default", ABSENT)


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    off: dict[Scope, set[str]] = {}
    for placement, value in workspace.values(NAME):
        if value is None:
            off.setdefault(placement.scope, set()).add(placement.id.name)
    for placement, value in workspace.values(NAME):
        if value is None:
            continue
        account, offending = value
        accounts = off.get(placement.scope, set())
        if account is not None and any(name in accounts for name in spellings(placement, account)):
            continue
        fact = placement.record.fact(NAME)
        yield Report(placement.record, "", None if fact is None else fact._replace(value=offending))
