"""A container's liveness probe must not ask the very question its readiness probe asks: then every moment the
container is too busy to be ready also restarts it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

HANDLERS = ("httpGet", "tcpSocket", "exec", "grpc")


def handler(probe: Any) -> tuple[str, Any] | None:
    """The probe's handler, as written (the action without its timing), or None when it has none to compare."""
    if not isinstance(probe, dict):
        return None
    found = [(name, probe[name]) for name in HANDLERS if isinstance(probe.get(name), dict)]
    return found[0] if len(found) == 1 else None


def check(container: Any) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(container, dict):
        return
    liveness, readiness = handler(container.get("livenessProbe")), handler(container.get("readinessProbe"))
    if liveness is not None and liveness == readiness:
        yield ("livenessProbe", liveness[0]), f"it is the readiness probe's {liveness[0]}"
