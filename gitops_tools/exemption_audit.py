"""Every exemption in a repository, for audits: config entries, resource annotations and inline suppressions, each
with its position, the policies it names, its reason and its expiry. What `gitops-tools exemptions` prints."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from gitops_tools import suppressions
from gitops_tools.classification import Classifier
from gitops_tools.config import Config
from gitops_tools.display import printable
from gitops_tools.exemptions import ANNOTATION_PATH, annotation_exemption
from gitops_tools.expiry import expiry_problem
from gitops_tools.loading import LoadedFile
from gitops_tools.model import Location
from gitops_tools.pipeline.discover import plan
from gitops_tools.pipeline.evaluate import source_paths
from gitops_tools.pipeline.load import read_source
from gitops_tools.pipeline.options import LintOptions


@dataclass(frozen=True)
class ListedExemption:
    location: Location
    kind: str  # config | annotation | suppression
    policy_ids: tuple[str, ...]  # empty: every policy (a config-wide exclude rule)
    scope: str  # what it covers: a config setting or glob, the resource, the suppression's lines
    reason: str
    expires: str | None
    expired: str | None  # why it no longer applies, else None

    def as_dict(self) -> dict[str, Any]:
        loc = self.location
        return {"path": loc.path, "line": loc.line, "column": loc.col, "kind": self.kind,
                "policies": list(self.policy_ids), "scope": self.scope, "reason": self.reason,
                "expires": self.expires, "expired": self.expired is not None}


def list_exemptions(paths: Sequence[str], config: Config) -> list[ListedExemption]:
    """Every exemption in the config and in the files `paths` name (walked as `lint` walks them)."""
    found = [ListedExemption(entry.location, "config", entry.policy_ids, entry.what, entry.reason, entry.expires,
                             entry.expired) for entry in config.exemptions]
    classifier = Classifier.load(config.domains)
    for source in plan(paths, config, LintOptions()).sources:
        loaded = read_source(source, config)
        found += _annotations(loaded, classifier, classifier.file_rules(source_paths(source)), config.today)
        found += _suppressions(loaded, config.today)
    return sorted(found, key=lambda item: (item.location.path, item.location.line, item.location.col))


def _annotations(loaded: LoadedFile, classifier: Classifier, allowed: tuple[bool, ...],
                 today: date) -> Iterator[ListedExemption]:
    for document in loaded.documents:
        for instance in classifier.classify(document, allowed):
            if instance.host is not None:  # an embedded document carries no annotations of its own
                continue
            prefix, resource = instance.prefix, instance.data
            exemption = annotation_exemption(resource)
            if exemption is None:
                continue
            line, col, _, _ = document.locate((*prefix, *ANNOTATION_PATH))
            expired = None if exemption.expires is None else expiry_problem(exemption.expires, today)
            name = (resource.get("metadata") or {}).get("name")
            scope = f"{resource.get('kind')}/{name}" if isinstance(name, str) else str(resource.get("kind"))
            yield ListedExemption(Location(loaded.path, line, col), "annotation", exemption.ids, scope,
                                  exemption.reason, exemption.expires, expired)


def _suppressions(loaded: LoadedFile, today: date) -> Iterator[ListedExemption]:
    if not loaded.text or loaded.path.endswith(".json"):
        return
    for item in suppressions.parse(loaded.text, loaded.lines, loaded.document_lines, today):
        yield ListedExemption(Location(loaded.path, item.line, item.col), "suppression", item.ids,
                              f"disable-{item.scope}", item.reason, item.expires, item.expired)


def text_listing(items: Sequence[ListedExemption]) -> str:
    """One exemption per line, `path:line:col: kind [ids] scope -- reason (expires DATE)`, then a count."""
    lines = []
    for item in items:
        loc = item.location
        ids = ", ".join(item.policy_ids) or "*"
        expiry = "" if item.expires is None else f" (expires {item.expires}{', EXPIRED' if item.expired else ''})"
        reason = item.reason or "no reason given"
        line = f"{loc.path}:{loc.line}:{loc.col}: {item.kind} [{ids}] {item.scope} -- {reason}{expiry}"
        lines.append(printable(line) + "\n")  # a file name or reason holding a newline stays on its line
    expired = sum(1 for item in items if item.expired)
    lines.append(f"{len(items)} exemption(s), {expired} expired.\n")
    return "".join(lines)
