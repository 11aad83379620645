"""Evaluate policies against loaded files: compile each schema once, map every violation to a precise span."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from typing import Any, NamedTuple

from gitops_tools.checks import BUILTIN_SOURCES, CHECKS
from gitops_tools.classification import Classifier
from gitops_tools.exemptions import annotation_exemptions
from gitops_tools.fingerprint import document_identity, fingerprint, shallow, stable_path, value_at
from gitops_tools.loading import LoadedFile
from gitops_tools.loading.document import Document
from gitops_tools.model import Finding, JsonPath, Location, Policy, Problem
from gitops_tools.pathmatch import Globs
from gitops_tools.targets import ResourceType, Workloads, applies_to, instances
from gitops_tools.validation import SchemaEvaluator

Evaluate = Callable[[Any], Iterator[tuple[JsonPath, str, bool]]]  # instance -> (path, detail, something missing?)
MISSING = frozenset({"required", "dependentRequired", "minProperties", "minItems", "contains"})
NAMES = "{missing}"  # in a policy's message: replaced by the keys each finding's object lacks


class Content(NamedTuple):
    """What a finding's fingerprint hashes: never a line number, always the offending content."""

    file: str  # the path relative to the config root: the same whatever the working directory
    identity: str  # apiVersion/kind/namespace/name, or the document's index
    where: JsonPath
    value: Any
PROBLEMS_SHOWN_PER_FILE = 100  # per loader check: a file with 20,000 duplicate keys needs no 20,000 lines


class Engine:
    """Holds the active policies with their compiled validators for one run."""

    def __init__(self, active: Iterable[Policy], known_ids: Iterable[str], workloads: Workloads,
                 classifier: Classifier, today: date | None = None) -> None:
        self.policies = {policy.id: policy for policy in active}
        self.today = today or date.today()  # when exemptions and suppressions expire
        self.known_ids = frozenset(known_ids)
        self.workloads = workloads
        self.classifier = classifier
        self._evaluators: dict[str, Evaluate] = {}  # compiled on first use: a run only pays for the kinds it meets
        self._file_globs = {p.id: Globs(p.targets.files) for p in self.policies.values() if p.targets.files}
        self._by_type: dict[ResourceType, list[Policy]] = {}

    def evaluate(self, loaded: LoadedFile, relpath: str, key: str | None = None, *,
                 documents: bool = True) -> Iterator[Finding]:
        """Every finding in one file: loader problems first, then (unless `documents` is off) each document's.

        `relpath` is matched by policies' file globs; `key` (default: relpath) is the path fingerprints hash."""
        key = key or relpath
        yield from self.problem_findings(loaded.path, loaded.problems, key)
        for document in loaded.documents if documents else ():
            for prefix, resource, rtype in self.classifier.resources(document.data):
                yield from self._resource_findings(document, prefix, resource, rtype, relpath, key)

    def problem_findings(self, path: str, problems: list[Problem], key: str) -> Iterator[Finding]:
        """Findings for problems found outside policy evaluation (loader, suppressions), fingerprinted by `key`."""
        occurrences: Counter[tuple[str, str, str]] = Counter()
        total = Counter(problem.policy_id for problem in problems)
        shown: Counter[str] = Counter()
        for problem in problems:
            shown[problem.policy_id] += 1
            if shown[problem.policy_id] > PROBLEMS_SHOWN_PER_FILE:
                continue
            detail = problem.detail
            if shown[problem.policy_id] == PROBLEMS_SHOWN_PER_FILE < total[problem.policy_id]:
                detail += f" (and {total[problem.policy_id] - PROBLEMS_SHOWN_PER_FILE} more in this file)"
            same = (problem.policy_id, problem.detail, problem.snippet)
            occurrences[same] += 1
            location = Location(path, problem.line, problem.col, problem.line, problem.col)
            content = Content(key, "", (), (problem.detail, problem.snippet, occurrences[same]))
            yield from self._finding(problem.policy_id, detail, location, content)

    def _resource_findings(self, document: Document, prefix: JsonPath, resource: Any, rtype: ResourceType,
                           relpath: str, key: str) -> Iterator[Finding]:
        """Findings for one resource: a document, or one item of a list document (at `prefix`)."""
        exempt, bad_ids = annotation_exemptions(resource, self.known_ids, self.today)
        identity = document_identity(resource, document.index)
        for policy_id, where, detail in bad_ids:
            content = Content(key, identity, (*prefix, *where), detail)
            yield from self._located(policy_id, detail, document, content.where, content)
        pod_path = self.workloads.pod_spec_path(rtype)
        too_deep = False
        for policy in self._applicable(rtype, relpath):
            if policy.id in exempt:
                continue
            try:
                violations = list(self._violations(policy, pod_path, resource))
            except RecursionError:  # nesting under the parser's limit can still exhaust a validator
                too_deep = True
                continue
            absent: Counter[JsonPath] = Counter()
            for base, where, detail, missing in violations:
                path = (*prefix, *where)
                if missing:  # an absence has no content: identify it by its target (the container...) and count
                    absent[base] += 1
                    stable, offending = stable_path(document.data, (*prefix, *base)), absent[base]
                else:
                    stable, offending = stable_path(document.data, path), shallow(value_at(resource, where))
                yield from self._located(policy.id, detail, document, path, Content(key, identity, stable, offending))
        if too_deep:
            line, col, _, _ = document.locate(prefix)
            problem = Problem("document-too-deep", "nesting is too deep to evaluate", line, col)
            yield from self.problem_findings(document.path, [problem], key)

    def _violations(self, policy: Policy, pod_path: JsonPath | None,
                    resource: Any) -> Iterator[tuple[JsonPath, JsonPath, str, bool]]:
        """Each violation once: its target's path (the container, the pod spec...), its own path, the detail, and
        whether it is about something missing."""
        seen: set[JsonPath] = set()
        evaluate = self._evaluator(policy)
        for base, instance in instances(policy.targets, pod_path, resource):
            for relative, detail, missing in evaluate(instance):
                where = (*base, *relative)
                if where not in seen:
                    seen.add(where)
                    yield base, where, detail, missing

    def _applicable(self, rtype: ResourceType, relpath: str) -> Iterator[Policy]:
        if rtype not in self._by_type:
            self._by_type[rtype] = [
                p for p in self.policies.values()
                if p.check not in BUILTIN_SOURCES and applies_to(p.targets, rtype, self.workloads)
            ]
        for policy in self._by_type[rtype]:
            globs = self._file_globs.get(policy.id)
            if globs is None or globs.match(relpath):
                yield policy

    def _evaluator(self, policy: Policy) -> Evaluate:
        evaluate = self._evaluators.get(policy.id)
        if evaluate is None:
            evaluate = self._evaluators[policy.id] = _compile(policy)
        return evaluate

    def _located(self, policy_id: str, detail: str, document: Document, where: JsonPath,
                 content: Content) -> Iterator[Finding]:
        line, col, end_line, end_col = document.locate(where)
        location = Location(document.path, line, col, end_line, end_col)
        yield from self._finding(policy_id, detail, location, content)

    def _finding(self, policy_id: str, detail: str, location: Location, content: Content) -> Iterator[Finding]:
        """`content` (document identity, path in it, offending value) feeds the line-independent fingerprint."""
        policy = self.policies.get(policy_id)
        if policy is None:
            if policy_id not in self.known_ids:
                raise LookupError(f"finding for {policy_id!r}, which has no policy file")  # a bug, not user error
            return  # disabled or filtered out for this run
        if NAMES in policy.message:
            message = policy.message.replace(NAMES, detail)
        else:
            message = f"{policy.message}: {detail}" if detail else policy.message
        yield Finding(policy_id, policy.severity, message, location, fingerprint(policy_id, *content), content.file)


def _compile(policy: Policy) -> Evaluate:
    """(path, detail, whether something is missing) for each violation in an instance."""
    if policy.check is not None:
        check = CHECKS[policy.check]
        return lambda instance: ((where, detail, False) for where, detail in check(instance))
    validator = SchemaEvaluator(policy.schema if policy.schema is not None else True)

    def evaluate(instance: Any) -> Iterator[tuple[JsonPath, str, bool]]:
        for violation in validator.violations(instance):
            yield violation.path, "", violation.keyword in MISSING

    return _naming(validator) if NAMES in policy.message else evaluate


def _naming(validator: SchemaEvaluator) -> Evaluate:
    """Violations whose detail names the keys missing: one per object, whatever number of keys it lacks (a key
    present with a bad value is named as the key)."""

    def evaluate(instance: Any) -> Iterator[tuple[JsonPath, str, bool]]:
        absent: dict[JsonPath, list[str]] = {}
        for violation in validator.violations(instance):
            if violation.missing:
                absent.setdefault(violation.path, []).extend(violation.missing)
            else:
                key = violation.path[-1] if violation.path else ""
                yield violation.path, str(key), violation.keyword in MISSING
        for path, keys in absent.items():
            yield path, ", ".join(dict.fromkeys(keys)), True

    return evaluate
