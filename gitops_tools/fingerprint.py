"""Content-based finding fingerprints: stable when lines shift, different when the offending content changes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

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
    content = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    text = "\x1f".join((policy_id, path, identity, "/".join(map(str, where)), content))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def value_at(data: Any, where: JsonPath) -> Any:
    for step in where:
        try:
            data = data[step]
        except (KeyError, IndexError, TypeError):
            return None
    return data
