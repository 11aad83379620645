"""A Service port whose `targetPort` is a name must find that name among the container ports of the pods it
selects: the endpoints controller resolves it per pod, among the pod's containers (and sidecars: restartable init
containers) with the Service port's protocol, and leaves out every pod that has none, so the port has no endpoints.
A numeric targetPort is never reported: traffic reaches the number whether a container declares it or not. Quiet
when the selector matches no pod template (service-selector-matches-pods reports that) and when the namespace holds
no workload among the objects read."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._podtemplates import Templates, labels_path, scope_text, template_name
from gitops_tools.checks._selectors import Labels, label_pairs, map_selector
from gitops_tools.checks.service_selector_matches import service_selector
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

Port = tuple[str, str]  # name, protocol
Named = tuple[str, str, str]  # the Service port as a finding names it, its targetPort, its protocol


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's selector and named target ports, or a workload's pod template labels and named ports."""
    selector = service_selector(resource)
    if selector is not None:
        named = _named_targets(resource["spec"].get("ports"))
        if not named:
            return None
        where: JsonPath = ("spec", "ports", named[0][0], "targetPort") if len(named) == 1 else ("spec", "ports")
        return where, ("service", label_pairs(selector), tuple(port for _, port in named))
    if pod_spec is None:
        return None
    return None, ("pods", label_pairs(dig(resource, labels_path(pod_spec))),
                                   _container_ports(dig(resource, pod_spec)))


def _named_targets(ports: Any) -> list[tuple[int, Named]]:
    """Each Service port whose targetPort is a name, with its place in `spec.ports`."""
    found = []
    for index, port in enumerate(ports if isinstance(ports, list) else ()):
        target = port.get("targetPort") if isinstance(port, dict) else None
        if isinstance(target, str) and not target.isdigit():
            shown = str(port.get("name") or port.get("port"))
            found.append((index, (shown, target, str(port.get("protocol") or "TCP"))))
    return found


def _container_ports(pod_spec: Any) -> tuple[Port, ...]:
    """The named ports of a pod's containers and sidecars (init containers with `restartPolicy: Always`), each
    once, sorted (a tuple: kept for every workload of a run, where a frozenset costs four times as much)."""
    if not isinstance(pod_spec, dict):
        return ()
    containers = [c for c in pod_spec.get("containers") or () if isinstance(c, dict)]
    containers += [c for c in pod_spec.get("initContainers") or ()
                   if isinstance(c, dict) and c.get("restartPolicy") == "Always"]
    return tuple(sorted({(port["name"], str(port.get("protocol") or "TCP")) for container in containers
                         for port in container.get("ports") or () if isinstance(port, dict)
                         and isinstance(port.get("name"), str)}))


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    """The pod templates of each scope with their named ports, then each Service's named target ports against the
    templates it selects."""
    name = __name__.rpartition(".")[2]
    scopes: dict[tuple[str, str], Templates[tuple[Port, ...]]] = {}
    for placement, value in workspace.values(name):
        if value[0] == "pods":
            record = placement.record
            scopes.setdefault(placement.scope, Templates()).add(template_name(record.id.kind, record.id.name),
                                                                 value[1], value[2])
    for placement, value in workspace.values(name):
        templates = scopes.get(placement.scope)
        if value[0] == "service" and templates is not None:
            detail = _detail(value[1], value[2], templates, placement.scope)
            if detail is not None:
                yield Report(placement.record, detail, placement.record.fact(name))


def _detail(selector: Labels, targets: tuple[Named, ...], templates: Templates[tuple[Port, ...]],
            scope: tuple[str, str]) -> str | None:
    compiled = map_selector(dict(selector))
    matched = list(templates.matching(compiled)) if compiled is not None else []
    if not matched:
        return None
    declared = {port for _, payloads in matched for ports in payloads for port in ports}
    missing = [(shown, target, protocol) for shown, target, protocol in targets if (target, protocol) not in declared]
    if not missing:
        return None
    names = ", ".join(sorted({f"{port} ({protocol})" if protocol != "TCP" else port for port, protocol in declared}))
    wanted = ", ".join(f"targetPort {target}" + (f" ({protocol})" if protocol != "TCP" else "") + f" of port {shown}"
                       for shown, target, protocol in missing)
    return (f"{wanted}: no container of the pods it selects in {scope_text(scope)} declares it "
            f"(they declare {names or 'no named port'})")
