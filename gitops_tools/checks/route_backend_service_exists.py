"""A Gateway API route's `backendRefs` (HTTPRoute, GRPCRoute, TLSRoute, TCPRoute, UDPRoute) name a Service, in the
route's namespace or the one the reference gives, with the port they give. Quiet where that namespace has no Service
in the linted set (unless `--strict-references`) and for references to other kinds (a ServiceImport, a custom
backend). Whether a ReferenceGrant permits a cross-namespace reference is not judged: the route's status reports
that (`RefNotPermitted`), and grants are often kept with the target namespace's owners, in another repository."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._references import Scope, Services, port_ref, report, service_ports
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Placement, Report, Workspace

COLLECTED_DOMAINS = ("kubernetes",)
NAME = __name__.rpartition(".")[2]
GROUP = "gateway.networking.k8s.io"
ROUTES = frozenset({"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"})
Backend = tuple[str, str | None, int | None, str]  # Service name, namespace given, port, where in the route


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A Service's ports, or a route's Service backends."""
    ports = service_ports(resource)
    if ports is not None:
        return None, ("service", ports)
    api = resource.get("apiVersion")
    if resource.get("kind") not in ROUTES or not isinstance(api, str) or api.partition("/")[0] != GROUP:
        return None
    backends = tuple(_backends(resource.get("spec")))
    return (("spec", "rules"), ("route", backends)) if backends else None


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    services = Services()
    for placement, (role, value) in workspace.values(NAME):
        if role == "service":
            services.add(placement, value)
    for placement, (role, value) in workspace.values(NAME):
        if role != "route":
            continue
        for name, namespace, port, where in dict.fromkeys(value):
            scope = _scope(placement, namespace)
            why = None if scope is None else services.missing(placement, scope, name, port, workspace.strict_references)
            if why is not None:
                yield report(placement.record, NAME, f"{where}: {why}", (where, name, namespace, port))


def _scope(placement: Placement, namespace: str | None) -> Scope | None:
    """The namespace a reference names a Service in: the one it gives, else the route's (None: a route in no
    namespace, cluster-scoped by mistake)."""
    if namespace is not None:
        return ("namespace", namespace)
    return None if placement.scope[0] == "cluster" else placement.scope


def _backends(spec: Any) -> Iterator[Backend]:
    rules = spec.get("rules") if isinstance(spec, dict) else None
    for rule_at, rule in enumerate(rules if isinstance(rules, list) else []):
        refs = rule.get("backendRefs") if isinstance(rule, dict) else None
        for ref_at, ref in enumerate(refs if isinstance(refs, list) else []):
            if not isinstance(ref, dict) or ref.get("group", "") != "" or ref.get("kind", "Service") != "Service":
                continue
            name, namespace, port = ref.get("name"), ref.get("namespace"), port_ref(ref.get("port"))
            if isinstance(name, str) and name and not isinstance(port, str):
                yield (name, namespace if isinstance(namespace, str) and namespace else None, port,
                       f"spec.rules[{rule_at}].backendRefs[{ref_at}]")
