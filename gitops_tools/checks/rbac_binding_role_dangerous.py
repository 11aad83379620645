"""A RoleBinding or ClusterRoleBinding whose role, in the linted set, grants something dangerous (the policy's
`grants`: wildcards, reading Secrets, pods/exec, escalate/bind/impersonate by default): reported on the binding,
naming its subjects and the grant, since the binding is what hands the power to someone. An aggregated ClusterRole
is judged by the rules of the ClusterRoles in the linted set its `clusterRoleSelectors` select. A
role the run does not hold is not judged, but for the built-in ClusterRoles the policy names (`builtin_roles`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitops_tools.checks._references import Scope, report, spellings
from gitops_tools.checks._selectors import Selector, label_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import CLUSTER, Placement, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
GROUP = "rbac.authorization.k8s.io"
ANY = "*"
SHOWN = 3  # subjects named in a finding
Rule = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]  # apiGroups, resources, verbs
Role = tuple[tuple[Rule, ...], tuple[Selector, ...]]  # its rules, its aggregation's clusterRoleSelectors


def collect(resource: Any, pod_spec: JsonPath | None) -> tuple[JsonPath, Any] | None:
    """A Role's or ClusterRole's rules (those without resourceNames) and aggregation selectors, or a binding's role
    reference and subjects."""
    api, kind = resource.get("apiVersion"), resource.get("kind")
    if not isinstance(api, str) or api.partition("/")[0] != GROUP:
        return None
    if kind in ("Role", "ClusterRole"):
        return ("rules",), ("role", (tuple(_rules(resource.get("rules"))), _selectors(resource)))
    if kind in ("RoleBinding", "ClusterRoleBinding"):
        ref = resource.get("roleRef")
        if not isinstance(ref, dict) or ref.get("kind") not in ("Role", "ClusterRole") \
                or not isinstance(ref.get("name"), str):
            return None
        subjects = tuple(_subjects(resource.get("subjects"), dig(resource, ("metadata", "namespace"))))
        return ("roleRef",), ("binding", (ref["kind"], ref["name"], subjects))
    return None


def workspace_check(workspace: Workspace, parameters: Mapping[str, Any]) -> Iterator[Report]:
    grants: Sequence[Mapping[str, Any]] = parameters["grants"]
    builtin = frozenset(parameters["builtin_roles"])
    roles: dict[tuple[str, Scope, str], Role] = {}
    labels: dict[str, tuple[tuple[str, str], ...]] = {}  # ClusterRole name -> labels, for aggregation
    for placement, (role, value) in workspace.values(NAME):
        if role == "role":
            roles[(placement.id.kind, placement.scope, placement.id.name)] = value
            if placement.id.kind == "ClusterRole":
                labels[placement.id.name] = placement.record.labels
    for placement, (role, value) in workspace.values(NAME):
        if role != "binding":
            continue
        ref_kind, ref_name, subjects = value
        found = _role(roles, placement, ref_kind, ref_name)
        if found is None:
            if ref_kind == "ClusterRole" and ref_name in builtin:
                yield report(placement.record, NAME, f"the built-in ClusterRole {ref_name}, to {_who(subjects)}",
                             (ref_kind, ref_name))
            continue
        danger = _danger(_effective(found, roles, labels), grants)
        if danger is not None:
            yield report(placement.record, NAME, f"{danger} from {ref_kind} {ref_name}, to {_who(subjects)}",
                         (ref_kind, ref_name, danger))


def _role(roles: Mapping[tuple[str, Scope, str], Role], binding: Placement, kind: str, name: str) -> Role | None:
    """The role a binding names: a Role of the binding's namespace, or a ClusterRole."""
    scope = CLUSTER if kind == "ClusterRole" else binding.scope
    return next((roles[key] for spelt in spellings(binding, name) if (key := (kind, scope, spelt)) in roles), None)


def _effective(role: Role, roles: Mapping[tuple[str, Scope, str], Role],
               labels: Mapping[str, tuple[tuple[str, str], ...]]) -> tuple[Rule, ...]:
    """A role's rules, with those of the ClusterRoles its aggregation selectors select (one level: the controller
    aggregates the selected roles' own rules)."""
    rules, selectors = role
    if not selectors:
        return rules
    picked = [name for name, held in labels.items() if any(selector.selects(held) for selector in selectors)]
    return rules + tuple(rule for name in picked for rule in roles[("ClusterRole", CLUSTER, name)][0])


def _danger(rules: tuple[Rule, ...], grants: Sequence[Mapping[str, Any]]) -> str | None:
    """The first dangerous grant a rule matches, named with the rule's verbs and resources."""
    for groups, resources, verbs in rules:
        for grant in grants:
            if all(_meets(given, grant.get(field)) for given, field in
                   ((groups, "apiGroups"), (resources, "resources"), (verbs, "verbs"))):
                return f"{grant['grant']} ({', '.join(verbs)} on {', '.join(resources)})"
    return None


def _meets(given: tuple[str, ...], wanted: Sequence[str] | None) -> bool:
    """Whether a rule's list covers one of the grant's items (`*` covers every one; no list in the grant: any)."""
    return wanted is None or any(item == ANY or item in wanted for item in given)


def _rules(value: Any) -> Iterator[Rule]:
    for rule in value if isinstance(value, list) else []:
        if isinstance(rule, dict) and not rule.get("resourceNames"):
            rule_of = tuple(_texts(rule.get(field)) for field in ("apiGroups", "resources", "verbs"))
            if all(rule_of):
                yield rule_of[0], rule_of[1], rule_of[2]


def _selectors(resource: Mapping[str, Any]) -> tuple[Selector, ...]:
    """An aggregated ClusterRole's `clusterRoleSelectors` (an invalid one selects nothing)."""
    chosen = dig(resource, ("aggregationRule", "clusterRoleSelectors"))
    compiled = (label_selector(raw) for raw in (chosen if isinstance(chosen, list) else []))
    return tuple(selector for selector in compiled if selector is not None)


def _subjects(value: Any, own: Any) -> Iterator[str]:
    """Each subject as `Kind name`, with its namespace where it is not the binding's own (kustomize writes the
    binding's namespace into its ServiceAccount subjects: the rendered and the written binding read alike)."""
    for subject in value if isinstance(value, list) else []:
        if isinstance(subject, dict):
            namespace = subject.get("namespace")
            shown = isinstance(namespace, str) and namespace != own
            name = f"{namespace}/{subject.get('name')}" if shown else str(subject.get("name"))
            yield f"{subject.get('kind')} {name}"


def _who(subjects: tuple[str, ...]) -> str:
    if not subjects:
        return "its subjects"
    more = f" and {len(subjects) - SHOWN} more" if len(subjects) > SHOWN else ""
    return ", ".join(subjects[:SHOWN]) + more


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(item for item in value if isinstance(item, str)) if isinstance(value, list) else ()
