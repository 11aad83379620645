"""A ServiceMonitor selects at least one Service (by its `selector`, in the namespaces its `namespaceSelector`
names, else its own) that has each endpoint's named `port`; a PodMonitor, pod templates whose containers name each
`podMetricsEndpoints[].port`. Otherwise Prometheus scrapes nothing for it, silently: no target, no alert about a
missing target. Quiet where none of those namespaces has a Service (pod template) in the linted set, unless
`--strict-references`; endpoints giving a number (`targetPort`, `portNumber`) are not judged (the port name is what
monitor-endpoint-port-named asks for)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from gitops_tools.checks._podtemplates import Templates, labels_path, scope_text
from gitops_tools.checks._references import Scope, report
from gitops_tools.checks._selectors import Labels, Selector, label_pairs, label_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
GROUP = "monitoring.coreos.com"
ANY = "*"  # namespaceSelector.any: every namespace
# per monitor kind: its endpoints' field, what it selects, and the role of what it selects
KINDS = {"ServiceMonitor": ("endpoints", "Service", "service"), "PodMonitor": ("podMetricsEndpoints", "pod", "pods")}
Ports = tuple[str, ...]


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's port names, a pod template's labels and container port names, or a monitor's selector,
    namespaces and endpoint port names."""
    kind, api = resource.get("kind"), resource.get("apiVersion")
    if kind == "Service" and api == "v1":
        ports = dig(resource, ("spec", "ports"))
        return None, ("service", _names(ports))
    if pod_spec is not None:
        spec = dig(resource, pod_spec)
        containers = [c for key in ("containers", "initContainers") for c in _list(dig(spec, (key,)))]
        ports = tuple(dict.fromkeys(name for c in containers if isinstance(c, dict) for name in _names(c.get("ports"))))
        return None, ("pods", (label_pairs(dig(resource, labels_path(pod_spec))), ports))
    if kind not in KINDS or not isinstance(api, str) or api.partition("/")[0] != GROUP:
        return None
    selector = label_selector(dig(resource, ("spec", "selector")))
    wanted = _names(dig(resource, ("spec", KINDS[kind][0])), "port")
    if selector is None or not selector.valid or not wanted:
        return None
    return ("spec", "selector"), (kind, (selector, _namespaces(dig(resource, ("spec", "namespaceSelector"))), wanted))


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    services: dict[Scope, list[tuple[Labels, Ports]]] = {}
    pods: dict[Scope, Templates[Ports]] = {}
    for placement, (role, value) in workspace.values(NAME):
        if role == "service":
            services.setdefault(placement.scope, []).append((placement.record.labels, value))
        elif role == "pods":
            pods.setdefault(placement.scope, Templates()).add(f"{placement.id.kind}/{placement.id.name}", *value)
    for placement, (role, value) in workspace.values(NAME):
        if role not in KINDS:
            continue
        selector, namespaces, wanted = value
        scopes = _scopes(placement, namespaces, services if role == "ServiceMonitor" else pods)
        if role == "ServiceMonitor":
            held = [ports for scope in scopes for labels, ports in services.get(scope, ()) if selector.selects(labels)]
        else:
            held = [ports for scope in scopes for _, payloads in pods[scope].matching(selector) for ports in payloads]
        looked = "any namespace" if namespaces == ANY else ", ".join(
            scope_text(scope) for scope in ([placement.scope] if namespaces is None else
                                            [("namespace", name) for name in namespaces]))
        why = _missing(selector, scopes, held, wanted, KINDS[role][1], looked, workspace.strict_references)
        if why is not None:
            yield report(placement.record, NAME, why, (str(selector), wanted))


def _scopes(monitor: Placement, namespaces: str | tuple[str, ...] | None, held: Mapping[Scope, object]) -> list[Scope]:
    """The scopes a monitor looks in that hold what it selects: its own, the namespaces it names, or every one."""
    if namespaces == ANY:
        return list(held)
    wanted = [monitor.scope] if namespaces is None else [("namespace", name) for name in namespaces]
    return [scope for scope in wanted if scope in held]


def _missing(selector: Selector, scopes: Sequence[Scope], held: Sequence[Ports], wanted: Ports, what: str,
             looked: str, strict: bool) -> str | None:
    """Why the monitor scrapes nothing, or None; `looked` names the namespaces it looks in."""
    if not scopes:
        return f"{selector}: no {what} in {looked} among the files read" if strict else None
    if not held:
        return f"{selector} selects no {what} in {looked}"
    lacking = [port for port in wanted if not any(port in ports for ports in held)]
    if not lacking:
        return None
    offered = ", ".join(sorted({port for ports in held for port in ports})) or "none"
    return f"no selected {what} has a port named {', '.join(lacking)} (their ports: {offered})"


def _namespaces(raw: Any) -> str | tuple[str, ...] | None:
    """`namespaceSelector`: ANY, the names it lists, or None for the monitor's own namespace."""
    if not isinstance(raw, dict):
        return None
    if raw.get("any") is True:
        return ANY
    names = tuple(name for name in _list(raw.get("matchNames")) if isinstance(name, str))
    return names or None


def _names(items: Any, field: str = "name") -> Ports:
    return tuple(dict.fromkeys(item[field] for item in _list(items)
                               if isinstance(item, dict) and isinstance(item.get(field), str) and item[field]))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
