"""The job of configmap-reference-exists and secret-reference-exists, for either kind: each pod template's required
references (gitops_tools/checks/_pod_references.py) against what the run defines in its namespace: the objects of
that kind, the objects that make one (schemas/resources/producers.yaml) and the generators of the kustomizations of
its unit. Judged only where the namespace has such a definition, or the unit a generator of the kind, unless the
run is strict."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_references import references
from gitops_tools.checks._podtemplates import scope_text
from gitops_tools.checks._producers import made
from gitops_tools.checks._references import Scope, report, spellings
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

IMPLICIT = {"ConfigMap": frozenset({"kube-root-ca.crt"}), "Secret": frozenset()}  # every namespace has them


def collect(resource: Any, pod_spec: JsonPath | None, kind: str) -> Collected | None:
    """The names an object makes of `kind`, or a pod spec's required references to `kind` objects."""
    names = made(resource, kind)
    if names is not None:
        return ("metadata", "name"), ("made", names)
    if pod_spec is None:
        return None
    needed = tuple(dict.fromkeys(ref for ref in references(dig(resource, pod_spec), kind)
                                 if ref[0] not in IMPLICIT[kind]))
    return (pod_spec, ("needs", needed)) if needed else None


def workspace_check(workspace: Workspace, check: str, kind: str) -> Iterator[Report]:
    defined: dict[Scope, set[str]] = {}
    for placement, (role, names) in workspace.values(check):
        if role == "made":
            defined.setdefault(placement.scope, set()).update(names)
    for unit, placements in workspace.placements:
        generated = {name for made_kind, name in unit.generated if made_kind == kind}
        for placement in placements:
            fact = placement.record.fact(check)
            if fact is None or fact.value[0] != "needs" or placement.scope[0] == "cluster":
                continue
            known = defined.get(placement.scope)
            if known is None and not generated and not workspace.strict_references:
                continue
            for name, where in fact.value[1]:
                if name not in generated and not any(spelt in (known or ()) for spelt in spellings(placement, name)):
                    detail = f"{where}: {kind} {name} is not defined in {scope_text(placement.scope)}"
                    yield report(placement.record, check, detail, (where, name))
