"""A container's port names are IANA service names, once each: the API server refuses anything else, and Services and
probes find the port by its name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

# IANA_SVC_NAME (RFC 6335 5.1), as Kubernetes validates it: 1-15 lowercase letters, digits and single inner hyphens,
# with at least one letter.
_SERVICE_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_LENGTH = 15


def service_name_problem(name: str) -> str | None:
    """Why `name` is no IANA service name, or None if it is one."""
    if len(name) > MAX_LENGTH:
        return f"{name!r} is longer than {MAX_LENGTH} characters"
    if not _SERVICE_NAME.fullmatch(name):
        return f"{name!r} may only hold lowercase letters, digits and single hyphens between them"
    if not any(character.isalpha() for character in name):
        return f"{name!r} needs a letter (a number alone reads as a port number)"
    return None


def check(container: Any) -> Iterator[tuple[JsonPath, str]]:
    ports = container.get("ports") if isinstance(container, dict) else None
    if not isinstance(ports, list):
        return
    first_seen: dict[str, int] = {}
    for index, port in enumerate(ports):
        name = port.get("name") if isinstance(port, dict) else None
        if not isinstance(name, str):
            continue
        problem = service_name_problem(name)
        if problem is not None:
            yield ("ports", index, "name"), problem
        elif name in first_seen:
            yield ("ports", index, "name"), f"{name!r} also names ports[{first_seen[name]}]"
        else:
            first_seen[name] = index
