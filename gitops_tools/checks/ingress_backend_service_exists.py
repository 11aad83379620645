"""An Ingress backend (a rule's path, or the default backend) names a Service of the Ingress's namespace, and a
port that Service has (by its name or its `port` number). Quiet where the namespace has no Service in the linted set
(unless `--strict-references`), for backends naming a `resource` instead of a Service, and for values the Ingress
leaves out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._references import Services, port_ref, report, service_ports
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
Backend = tuple[str, str | int | None, str]  # Service name, port, where in the Ingress


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's ports, or an Ingress's Service backends."""
    ports = service_ports(resource)
    if ports is not None:
        return None, ("service", ports)
    if resource.get("kind") != "Ingress" or resource.get("apiVersion") != "networking.k8s.io/v1":
        return None
    backends = tuple(_backends(resource.get("spec")))
    return (("spec",), ("ingress", backends)) if backends else None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    services = Services()
    for placement, (role, value) in workspace.values(NAME):
        if role == "service":
            services.add(placement, value)
    for placement, (role, value) in workspace.values(NAME):
        if role != "ingress" or placement.scope[0] == "cluster":
            continue
        for name, port, where in dict.fromkeys(value):
            why = services.missing(placement, placement.scope, name, port, workspace.strict_references)
            if why is not None:
                yield report(placement.record, NAME, f"{where}: {why}", (where, name, port))


def _backends(spec: Any) -> Iterator[Backend]:
    if not isinstance(spec, dict):
        return
    backend = _backend(spec.get("defaultBackend"), "spec.defaultBackend")
    if backend is not None:
        yield backend
    rules = spec.get("rules")
    for rule_at, rule in enumerate(rules if isinstance(rules, list) else []):
        paths = dig(rule, ("http", "paths"))
        for path_at, path in enumerate(paths if isinstance(paths, list) else []):
            where = f"spec.rules[{rule_at}].http.paths[{path_at}].backend"
            backend = _backend(path.get("backend") if isinstance(path, dict) else None, where)
            if backend is not None:
                yield backend


def _backend(backend: Any, where: str) -> Backend | None:
    service = dig(backend, ("service",))
    name = dig(service, ("name",))
    if not isinstance(name, str) or not name:
        return None
    port = dig(service, ("port",))
    given = port_ref(dig(port, ("name",)) or dig(port, ("number",)))
    return name, given, where
