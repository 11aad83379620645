"""A container's env list must not repeat a name: the last one silently wins, which hides mistakes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath


def check(container: Any) -> Iterator[tuple[JsonPath, str]]:
    env = container.get("env") if isinstance(container, dict) else None
    if not isinstance(env, list):
        return
    first_seen: dict[str, int] = {}
    for index, entry in enumerate(env):
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            continue
        if name in first_seen:
            yield ("env", index, "name"), f"{name!r} is also set at env[{first_seen[name]}]"
        else:
            first_seen[name] = index
