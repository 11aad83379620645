"""Evaluate policies against loaded files: compile each schema once, map every violation to a precise span."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from gitops_tools.checks import BUILTIN_SOURCES, CHECKS, Check
from gitops_tools.exemptions import annotation_exemptions
from gitops_tools.fingerprint import document_identity, fingerprint, value_at
from gitops_tools.loading import LoadedFile
from gitops_tools.loading.document import Document
from gitops_tools.model import Finding, JsonPath, Location, Policy
from gitops_tools.pathmatch import Globs
from gitops_tools.targets import applies_to_kind, instances, kind_of, resources
from gitops_tools.validation import SchemaEvaluator, error_path

Violation = tuple[JsonPath, str]
Content = tuple[str, JsonPath, Any]


class Engine:
    """Holds the active policies with their compiled validators for one run."""

    def __init__(self, active: Iterable[Policy], known_ids: Iterable[str]) -> None:
        self.policies = {policy.id: policy for policy in active}
        self.known_ids = frozenset(known_ids)
        self._evaluators: dict[str, Check] = {}  # compiled on first use: a run only pays for the kinds it meets
        self._file_globs = {p.id: Globs(p.targets.files) for p in self.policies.values() if p.targets.files}
        self._by_kind: dict[str | None, list[Policy]] = {}

    def _evaluator(self, policy: Policy) -> Check:
        evaluate = self._evaluators.get(policy.id)
        if evaluate is None:
            evaluate = self._evaluators[policy.id] = _compile(policy)
        return evaluate

    def evaluate(self, loaded: LoadedFile, relpath: str) -> Iterator[Finding]:
        """Every finding in one file: loader problems first, then each document's violations."""
        occurrences: Counter[tuple[str, str, str]] = Counter()
        for problem in loaded.problems:
            location = Location(loaded.path, problem.line, problem.col, problem.line, problem.col)
            key = (problem.policy_id, problem.detail, problem.snippet)
            occurrences[key] += 1
            content = ("", (), (problem.detail, problem.snippet, occurrences[key]))
            yield from self._finding(problem.policy_id, problem.detail, location, content)
        for document in loaded.documents:
            yield from self._document_findings(document, relpath)

    def _document_findings(self, document: Document, relpath: str) -> Iterator[Finding]:
        for prefix, resource in resources(document.data):
            yield from self._resource_findings(document, prefix, resource, relpath)

    def _resource_findings(self, document: Document, prefix: JsonPath, resource: Any,
                           relpath: str) -> Iterator[Finding]:
        """Findings for one resource: a document, or one item of a `kind: List` document (at `prefix`)."""
        exempt, bad_ids = annotation_exemptions(resource, self.known_ids)
        identity = document_identity(resource, document.index)
        for where, detail in bad_ids:
            content = (identity, (*prefix, *where), detail)
            yield from self._located("exemption-unknown-policy", detail, document, content)
        kind = kind_of(resource)
        seen: set[tuple[str, JsonPath]] = set()
        for policy in self._applicable(kind, relpath):
            if policy.id in exempt:
                continue
            evaluate = self._evaluator(policy)
            for base, instance in instances(policy.targets, kind or "", resource):
                for relative, detail in evaluate(instance):
                    where = (*prefix, *base, *relative)
                    if (policy.id, where) not in seen:
                        seen.add((policy.id, where))
                        content = (identity, where, value_at(document.data, where))
                        yield from self._located(policy.id, detail, document, content)

    def _applicable(self, kind: str | None, relpath: str) -> Iterator[Policy]:
        if kind not in self._by_kind:
            self._by_kind[kind] = [
                p for p in self.policies.values()
                if p.check not in BUILTIN_SOURCES and applies_to_kind(p.targets, kind)
            ]
        for policy in self._by_kind[kind]:
            globs = self._file_globs.get(policy.id)
            if globs is None or globs.match(relpath):
                yield policy

    def _located(self, policy_id: str, detail: str, document: Document, content: Content) -> Iterator[Finding]:
        line, col, end_line, end_col = document.locate(content[1])
        location = Location(document.path, line, col, end_line, end_col)
        yield from self._finding(policy_id, detail, location, content)

    def _finding(self, policy_id: str, detail: str, location: Location, content: Content) -> Iterator[Finding]:
        """`content` (document identity, path in it, offending value) feeds the line-independent fingerprint."""
        policy = self.policies.get(policy_id)
        if policy is None:
            return  # disabled or filtered out for this run
        message = f"{policy.message}: {detail}" if detail else policy.message
        yield Finding(policy_id, policy.severity, message, location, fingerprint(policy_id, location.path, *content))


def _compile(policy: Policy) -> Check:
    if policy.check is not None:
        return CHECKS[policy.check]
    validator = SchemaEvaluator(policy.schema if policy.schema is not None else True)

    def evaluate(instance: Any) -> Iterator[Violation]:
        for error in validator.iter_errors(instance):
            yield error_path(error), ""

    return evaluate
