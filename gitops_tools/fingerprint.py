"""Content-based finding fingerprints: stable when lines shift, different when the offending content changes."""

from __future__ import annotations

import json
from typing import Any

from gitops_tools.digest import sha256
from gitops_tools.model import JsonPath


def document_identity(data: Any, index: int) -> str:
    """`apiVersion/kind/namespace/name` for Kubernetes objects, else the document's position in its file."""
    if isinstance(data, dict) and isinstance(data.get("kind"), str):
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        name = metadata.get("name") or metadata.get("generateName") or f"#{index}"
        return f"{data.get('apiVersion')}/{data['kind']}/{metadata.get('namespace', '')}/{name}"
    return f"#{index}"


def fingerprint(policy_id: str, path: str, identity: str, where: JsonPath, value: Any) -> str:
    text = "\x1f".join((policy_id, path, identity, "/".join(map(str, where)), canonical(value)))
    return sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def repeat_fingerprint(first: str, occurrence: int) -> str:
    """The fingerprint of the `occurrence`-th identical finding in a file (the first keeps `first`)."""
    return sha256(f"{first}\x1f{occurrence}".encode()).hexdigest()[:32]


def canonical(value: Any) -> str:
    """A deterministic text for any loaded value: keys of any type sorted, no recursion (depth-safe)."""
    out: list[str] = []
    stack: list[tuple[bool, Any]] = [(False, value)]  # (is literal output, item)
    while stack:
        literal, item = stack.pop()
        if literal:
            out.append(item)
        elif isinstance(item, dict):
            stack.append((True, "}"))
            for key in sorted(item, key=_key_order, reverse=True):
                stack += [(False, item[key]), (True, f"{_key_order(key)}:")]
            out.append("{")
        elif isinstance(item, list | tuple):
            stack.append((True, "]"))
            stack += [(False, element) for element in reversed(item)]
            out.append("[")
        else:
            out.append(json.dumps(item, default=str) + ",")
    return "".join(out)


def _key_order(key: Any) -> str:
    return f"{type(key).__name__}:{key}"


def value_at(data: Any, where: JsonPath) -> Any:
    for step in where:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def stable_path(data: Any, where: JsonPath) -> JsonPath:
    """`where` with list positions of named items replaced by their names (containers, env, ports, volumes):
    inserting an item before another does not change the other's findings' fingerprints."""
    steps: list[str | int] = []
    for step in where:
        item = value_at(data, (step,))
        name = item.get("name") if isinstance(step, int) and isinstance(item, dict) else None
        steps.append(f"name={name}" if isinstance(name, str) else step)
        data = item
    return tuple(steps)


def shallow(value: Any) -> Any:
    """The offending content a fingerprint hashes: a scalar as is, a list by its scalars."""
    if isinstance(value, list):
        return [item if not isinstance(item, dict | list) else type(item).__name__ for item in value]
    return value
