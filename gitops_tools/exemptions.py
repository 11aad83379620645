"""Per-resource exemptions: one annotation naming the policies a resource is exempt from, with a reason.

    metadata:
      annotations:
        gitops-tools.io/exempt: "container-cpu-limit-set, pod-host-network-unset: node exporter needs the host network"

Everything before the first colon is a comma-separated list of policy ids; the rest is the reason.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gitops_tools.model import JsonPath

ANNOTATION = "gitops-tools.io/exempt"
ANNOTATION_PATH: JsonPath = ("metadata", "annotations", ANNOTATION)


def parse_exemption(value: str) -> tuple[list[str], str]:
    """(policy ids, reason) from an annotation value."""
    ids_part, _, reason = value.partition(":")
    ids = [part.strip() for part in ids_part.split(",") if part.strip()]
    return ids, reason.strip()


def annotation_exemptions(data: Any, known_ids: Iterable[str]) -> tuple[frozenset[str], list[tuple[JsonPath, str]]]:
    """The ids a document is exempt from, and a problem for each id that names no policy."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    if value is None:
        return frozenset(), []
    if not isinstance(value, str):
        return frozenset(), [(ANNOTATION_PATH, "the annotation value must be a string")]
    ids, _ = parse_exemption(value)
    known = frozenset(known_ids)
    unknown = [(ANNOTATION_PATH, f"{policy_id!r} is not a policy id") for policy_id in ids if policy_id not in known]
    if not ids:
        unknown.append((ANNOTATION_PATH, "the annotation names no policy id"))
    return frozenset(ids), unknown
