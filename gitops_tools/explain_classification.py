"""`gitops-tools lint --explain-classification PATH...`: each document's domains and why (the rule that matched: a
path glob, content patterns, or the document it is embedded in), so a user can see what a policy of each domain will
look at before writing one. Files are found and read as `lint` finds and reads them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

from gitops_tools.classification import Classifier, Instance, Membership
from gitops_tools.config import Config
from gitops_tools.display import printable
from gitops_tools.domains import Embedding, Rule
from gitops_tools.model import FilePaths, Location, json_pointer
from gitops_tools.pathmatch import Globs
from gitops_tools.pipeline.discover import plan
from gitops_tools.pipeline.evaluate import source_paths
from gitops_tools.pipeline.load import read_source
from gitops_tools.pipeline.options import LintOptions

PATCH = "a kustomize patch: only its syntax is checked"


@dataclass(frozen=True)
class Explained:
    location: Location  # where the instance starts
    document: int | None  # its document's index in the file (None: the file was not classified)
    pointer: str  # where it sits in that document
    identity: str  # its name in its first domain ('' when it has none)
    domains: tuple[tuple[str, str, str | None, str], ...]  # (domain, rule, kind, why)
    note: str = ""  # why the file's documents were not classified

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.location.path, "line": self.location.line, "column": self.location.col,
                "document": self.document, "pointer": self.pointer, "identity": self.identity,
                "domains": [{"domain": d, "rule": r, "kind": k, "why": w} for d, r, k, w in self.domains],
                **({"note": self.note} if self.note else {})}


def explain(paths: Sequence[str], config: Config, options: LintOptions,
            stdin: BinaryIO | None = None) -> list[Explained]:
    classifier = Classifier.load(config.domains)
    found: list[Explained] = []
    referencing = [domain for domain in classifier.domains.values() if domain.references]
    for source in plan(paths, config, options, parsers=classifier.file_parsers, references=referencing).sources:
        if source.patch:
            found.append(Explained(Location(source.display), None, "", "", (), PATCH))
            continue
        loaded = read_source(source, config, stdin)
        if not loaded.documents:  # unreadable, empty, or a syntax error before the first document
            problem = loaded.problems[0] if loaded.problems else None
            why = f"no document was read ({problem.policy_id}: {problem.detail})" if problem else "no document"
            line, col = (problem.line, problem.col) if problem else (1, 1)
            found.append(Explained(Location(source.display, line, col), None, "", "", (), why))
            continue
        file = source_paths(source)
        allowed = classifier.file_rules(file, loaded.parser)
        for document in loaded.documents:
            for instance in classifier.classify(document, allowed, unclassified=True):
                found.append(_explained(instance, file, classifier))
    return found


def _explained(instance: Instance, file: FilePaths, classifier: Classifier) -> Explained:
    line, col, _, _ = instance.document.locate(instance.prefix)
    domains = tuple((m.domain, m.rule.name, m.rtype.kind, _why(m, instance, file)) for m in instance.memberships)
    identity = _identity(instance, classifier) if instance.memberships else ""
    return Explained(Location(file.display, line, col), instance.document.index,
                     json_pointer((*instance.outer, *instance.prefix)), identity, domains)


def _why(membership: Membership, instance: Instance, file: FilePaths) -> str:
    rule = membership.rule
    if isinstance(rule, Embedding):
        host = instance.host
        where = json_pointer((*instance.outer, *instance.prefix))
        line = host.document.locate(host.prefix)[0] if host else 0
        name = f"{host.rtype.kind} {_field(host.data, 'metadata.name') or ''}".strip() if host else "?"
        return f"{rule.why}: embedded in {name} at line {line} ({where})"
    return f"{rule.why}: {_evidence(rule, instance.data, file)}"


def _evidence(rule: Rule, data: Any, file: FilePaths) -> str:
    parts = ["a document the run reads names it (the domain's `references`)"] if rule.referenced else []
    if rule.paths is not None:
        path = file.relpath if rule.from_config else file.file
        glob = next((pattern for pattern in rule.paths.patterns if Globs((pattern,)).match(path)), "")
        parts.append(f"path {path} matches {glob}" + (" (config `domains:`)" if rule.from_config else ""))
    if rule.match is not None:
        parts.append(rule.match.explain(data))
    return "; ".join(parts)


def _identity(instance: Instance, classifier: Classifier) -> str:
    rule = instance.memberships[0].rule
    fields = rule.identity if rule.identity is not None else classifier.domains[rule.domain].identity
    return "/".join(str(value) for value in (_field(instance.data, name) for name in fields) if value is not None)


def _field(data: Any, dotted: str) -> Any:
    for step in dotted.split("."):
        data = data.get(step) if isinstance(data, dict) else None
    return data if isinstance(data, str | int | float) and not isinstance(data, bool) else None


def text_listing(items: Sequence[Explained]) -> str:
    """Each instance, `path:line:col: document N /pointer (identity)`, then one indented line per domain, then a
    count per domain."""
    return "".join(printable(line) + "\n" for line in _lines(items))


def _lines(items: Sequence[Explained]) -> Iterator[str]:
    counts: Counter[str] = Counter()
    for item in items:
        where = f" document {item.document}" if item.document is not None else ""
        name = f" ({item.identity})" if item.identity else ""
        yield f"{item.location}:{where}{' ' + item.pointer if item.pointer else ''}{name}"
        if item.note:
            yield f"  not classified: {item.note}"
            continue
        for domain, rule, kind, why in item.domains:
            yield f"  {domain}: {rule}{f' (kind {kind})' if kind else ''}, {why}"
            counts[domain] += 1
        if not item.domains:
            yield "  no domain: no policy of any domain looks at it (a policy naming only its files would)"
            counts["no domain"] += 1
    summary = ", ".join(f"{domain} {count}" for domain, count in sorted(counts.items()))
    yield f"{sum(1 for item in items if not item.note)} document(s): {summary or 'none'}."
