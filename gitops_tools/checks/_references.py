"""What the reference checks share: an object naming another of its namespace (an Ingress its Service, a pod its
ServiceAccount, ConfigMaps and Secrets) is judged against the objects of that namespace the run holds, streamed
from `workspace.placements` (never a whole-run index), each check keeping only its own compact facts.

A namespace is a placement's scope (gitops_tools/pipeline/workspace.py): the object's own namespace, else its
kustomization's, else its unit alone. A reference is judged only where the linted set defines objects of the kind it
names in that scope; elsewhere the object may come from another repository or a controller, and the check is quiet
unless the run is strict (`--strict-references`).
"""

from __future__ import annotations

from typing import Any

from gitops_tools.checks._podtemplates import scope_text
from gitops_tools.model import Fact, ObjectRecord
from gitops_tools.pipeline.workspace import Placement, Report

Scope = tuple[str, str]


def spellings(placement: Placement, name: str) -> tuple[str, ...]:
    """The names a reference written in the placed object may take as deployed: as written, and with the name
    prefix and suffix its kustomization adds (kustomize renames the reference with the object it names when both
    are in its build). A rendered overlay's objects carry their final names, and the two are the same."""
    written, placed = placement.record.id.name, placement.id.name
    at = placed.find(written)
    if placed == written or at < 0:
        return (name,)
    return name, placed[:at] + name + placed[at + len(written):]


def report(record: ObjectRecord, check: str, detail: str, value: Any) -> Report:
    """A report at the check's fact of the record, fingerprinted by `value` (the reference it is about), so two
    broken references of one object are two findings."""
    fact: Fact | None = record.fact(check)
    return Report(record, detail, None if fact is None else fact._replace(value=value))


Port = tuple[str, int]  # a Service port's name ("" when unnamed) and number (0 when not a number)


def service_ports(resource: Any) -> tuple[Port, ...] | None:
    """A core Service's ports, or None for any other object."""
    if resource.get("kind") != "Service" or resource.get("apiVersion") != "v1":
        return None
    spec = resource.get("spec")
    ports = spec.get("ports") if isinstance(spec, dict) else None
    return tuple((_text(port.get("name")), _number(port.get("port"))) for port in ports if isinstance(port, dict)) \
        if isinstance(ports, list) else ()


class Services:
    """The Services of each scope by name, with their ports: all a backend check keeps of the run."""

    def __init__(self) -> None:
        self._scopes: dict[Scope, dict[str, tuple[Port, ...]]] = {}

    def add(self, placement: Placement, ports: tuple[Port, ...]) -> None:
        self._scopes.setdefault(placement.scope, {})[placement.id.name] = ports

    def missing(self, placement: Placement, scope: Scope, name: str, port: str | int | None,
                strict: bool) -> str | None:
        """Why a backend (Service `name`, port by name or number, None for any) in `scope`, written in the placed
        object, names no Service port the run holds; None when it does, or when the scope has no Service and the
        run is not strict."""
        services = self._scopes.get(scope)
        if not services and not strict:
            return None
        ports = next((services[spelt] for spelt in spellings(placement, name) if services and spelt in services),
                     None)
        if ports is None:
            return f"Service {name} is not defined in {scope_text(scope)}"
        if port is None or any(port in (port_name, number) for port_name, number in ports if port_name or number):
            return None
        shown = ", ".join(f"{number} ({port_name})" if port_name else str(number) for port_name, number in ports)
        kind = "named" if isinstance(port, str) else "numbered"
        return f"Service {name} has no port {kind} {port} (its ports: {shown or 'none'})"


def port_ref(value: Any) -> str | int | None:
    """A backend's port: a name, a number, or None when it gives neither (or a value no Service could have)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int) or (isinstance(value, str) and value):
        return value
    return None


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _number(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
