"""A probe's named port must be a port the container declares: the kubelet resolves `port: http` among the
container's own `ports` and, finding none, fails the probe every time (a liveness probe then restarts the container
for ever, a readiness probe keeps it out of every Service). A quoted number is a name too, and one the API server
refuses (a port name holds a letter). A numeric port is never reported: the kubelet probes any port the process
listens on, declared or not (`containerPort` is informational)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket")  # grpc's port is a number only


def check(container: Any) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(container, dict):
        return
    names = _port_names(container.get("ports"))
    for probe in PROBES:
        for handler, port in _named_ports(container.get(probe)):
            where = (probe, handler, "port")
            if port.isdigit():
                yield where, (f"{probe} port {port!r} is a quoted number, which Kubernetes reads as a port name and "
                              "refuses: write it unquoted")
            elif port not in names:
                declared = ", ".join(sorted(names)) if names else "no named port"
                yield where, f"{probe} port {port!r} is no port of the container (it declares {declared})"


def _named_ports(probe: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(probe, dict):
        return
    for handler in HANDLERS:
        action = probe.get(handler)
        port = action.get("port") if isinstance(action, dict) else None
        if isinstance(port, str):
            yield handler, port


def _port_names(ports: Any) -> set[str]:
    if not isinstance(ports, list):
        return set()
    return {port["name"] for port in ports if isinstance(port, dict) and isinstance(port.get("name"), str)}
