"""Per-resource exemptions: one annotation naming the policies a resource is exempt from, with a reason, and
optionally a second one saying until when.

    metadata:
      annotations:
        gitops-tools.io/exempt: "container-cpu-limit-set, pod-host-network-unset: node exporter needs the host network"
        gitops-tools.io/exempt-expires: "2026-06-30"

Everything before the first colon is a comma-separated list of policy ids; the rest is the reason. The exemption
holds through its expiry date; after it (or if the date cannot be read) it exempts nothing and is a finding.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, NamedTuple

from gitops_tools.expiry import expiry_problem
from gitops_tools.model import JsonPath, Location

ANNOTATION = "gitops-tools.io/exempt"
EXPIRES_ANNOTATION = "gitops-tools.io/exempt-expires"
ANNOTATION_PATH: JsonPath = ("metadata", "annotations", ANNOTATION)
EXPIRES_PATH: JsonPath = ("metadata", "annotations", EXPIRES_ANNOTATION)
UNKNOWN = "exemption-unknown-policy"
EXPIRED = "exemption-expired"


class ConfigExemption(NamedTuple):
    """A `.gitops-tools.yaml` entry that exempts: a `policies:` entry or an `exclude` rule (`policy_ids` empty: every
    policy), with the position of the entry."""

    location: Location
    policy_ids: tuple[str, ...]
    what: str  # "policies" setting, or the exclude glob
    reason: str
    expires: str | None
    expired: str | None  # why it no longer applies, else None


class AnnotationExemption(NamedTuple):
    """One resource's exemption as written: what the `exemptions` command lists."""

    ids: tuple[str, ...]
    reason: str
    expires: str | None


def parse_exemption(value: str) -> tuple[list[str], str]:
    """(policy ids, reason) from an annotation value."""
    ids_part, _, reason = value.partition(":")
    ids = [part.strip() for part in ids_part.split(",") if part.strip()]
    return ids, reason.strip()


def read_annotation(data: Any) -> tuple[Any, Any]:
    """The raw values of the exemption annotation and of its expiry annotation (None when absent)."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    if not isinstance(annotations, dict):
        return None, None
    return annotations.get(ANNOTATION), annotations.get(EXPIRES_ANNOTATION)


def annotation_exemption(data: Any) -> AnnotationExemption | None:
    """The resource's exemption, when it has a readable one."""
    value, expires = read_annotation(data)
    if not isinstance(value, str):
        return None
    ids, reason = parse_exemption(value)
    return AnnotationExemption(tuple(ids), reason, expires if isinstance(expires, str) else None)


def annotation_exemptions(data: Any, known_ids: Iterable[str],
                          today: date | None = None) -> tuple[frozenset[str], list[tuple[str, JsonPath, str]]]:
    """The ids a document is exempt from, and a (policy id, path, detail) problem for each id that names no policy
    and for an expiry that has passed or cannot be read (the exemption then exempts nothing)."""
    value, expires = read_annotation(data)
    if value is None:
        return frozenset(), []
    if not isinstance(value, str):
        return frozenset(), [(UNKNOWN, ANNOTATION_PATH, "the annotation value must be a string")]
    ids, _ = parse_exemption(value)
    known = frozenset(known_ids)
    found = [(UNKNOWN, ANNOTATION_PATH, f"{policy_id!r} is not a policy id") for policy_id in ids
             if policy_id not in known]
    if not ids:
        found.append((UNKNOWN, ANNOTATION_PATH, "the annotation names no policy id"))
    if expires is not None:
        problem = expiry_problem(expires if isinstance(expires, str) else repr(expires), today or date.today())
        if problem is not None:
            return frozenset(), [*found, (EXPIRED, EXPIRES_PATH, problem)]
    return frozenset(ids), found
