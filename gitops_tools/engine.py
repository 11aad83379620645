"""Evaluate policies against loaded files: each policy compiled once (gitops_tools/evaluators.py), every violation
mapped to a precise span."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from sys import intern
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_tools.checks import BUILTIN_SOURCES
from gitops_tools.classification import Classifier, Instance
from gitops_tools.domains import Domain
from gitops_tools.evaluators import NAMES, Evaluate, compiled
from gitops_tools.exemptions import annotation_exemptions
from gitops_tools.findings import Finding
from gitops_tools.fingerprint import fingerprint, shallow, stable_path, value_at
from gitops_tools.kubeversion import DEFAULT, KubernetesVersion
from gitops_tools.loading.document import Document
from gitops_tools.model import FilePaths, JsonPath, Location, Policy, Problem, json_pointer
from gitops_tools.pathmatch import Globs
from gitops_tools.targets import ResourceType, TargetValue, Workloads, applies_to, target_domain, target_values

if TYPE_CHECKING:
    from gitops_tools.customresources import Definitions


class Content(NamedTuple):
    """What a finding's fingerprint hashes: never a line number, always the offending content."""

    file: str  # the path relative to the config root: the same whatever the working directory
    identity: str  # apiVersion/kind/namespace/name, or the document's index
    where: JsonPath
    value: Any


class Place(NamedTuple):
    """Where a finding is, besides its span: what a fixer needs (never hashed into the fingerprint)."""

    paths: FilePaths
    document: int | None = None
    pointer: str | None = None


class Classified(NamedTuple):
    """One instance the classify phase found (a document, an item of a list document, an embedded document), with
    what its exemption annotation says."""

    instance: Instance
    exempt: frozenset[str] = frozenset()  # the policies its annotation exempts it from
    exemption_problems: tuple[tuple[str, JsonPath, str], ...] = ()  # (policy id, path, detail) of a bad annotation

    @property
    def document(self) -> Document:
        return self.instance.document

    @property
    def prefix(self) -> JsonPath:
        return self.instance.prefix

    @property
    def resource(self) -> Any:
        return self.instance.data

    @property
    def rtype(self) -> ResourceType:
        return self.instance.rtype


PROBLEMS_SHOWN_PER_FILE = 100  # per loader check: a file with 20,000 duplicate keys needs no 20,000 lines


class Engine:
    """Holds the active policies with their compiled validators for one run."""

    def __init__(self, active: Iterable[Policy], known_ids: Iterable[str], workloads: Workloads,
                 classifier: Classifier, today: date | None = None,
                 kubernetes_version: KubernetesVersion = DEFAULT) -> None:
        self.policies = {policy.id: policy for policy in active}
        self.today = today or date.today()  # when exemptions and suppressions expire
        self.kubernetes_version = kubernetes_version  # the run's target (kubeversion.target_version)
        # The run's own CustomResourceDefinitions (the config's `crds:` and the linted files' CRD documents), found by
        # the discover phase before any file is evaluated (pipeline/definitions.py); None: the bundled ones alone.
        self.definitions: Definitions | None = None
        self.known_ids = frozenset(known_ids)
        self.workloads = workloads
        self.classifier = classifier
        self._evaluators: dict[str, Evaluate] = {}  # compiled on first use: a run only pays for the kinds it meets
        self._file_globs = {p.id: Globs(p.targets.files) for p in self.policies.values() if p.targets.files}
        # The workspace checks the active policies name (module names): what the per-file phase collects facts for.
        self.workspace_checks = tuple(sorted({p.check for p in self.policies.values()
                                              if p.targets.scope == "workspace" and p.check is not None}))
        # The repository checks' policies (gitops_tools/pipeline/repository.py): they look at no document.
        self.repository_policies = tuple(p for p in self.policies.values() if p.targets.scope == "repository")
        self._domains = {p.id: target_domain(p.targets, classifier.default) for p in self.policies.values()
                         if p.check not in BUILTIN_SOURCES and p.targets.scope not in ("workspace", "repository")}
        self._any_domain = [self._file_globs[i] for i, domain in self._domains.items() if domain is None]
        self._by_type: dict[tuple[Any, ...], list[tuple[Policy, ResourceType]]] = {}
        # Policies reporting an external analyser's results: the per-file phase notes which apply to a file, and the
        # analyse phase runs each tool once over its files (gitops_tools/pipeline/analyse.py).
        self.analysed = {p.id: p.analyser for p in self.policies.values() if p.analyser is not None}

    def referencing(self) -> tuple[Domain, ...]:
        """The domains with references (a pipeline's includes) and an active policy: the discover phase follows
        their references (pipeline/references.py); a run that lints none of their documents reads only their
        roots, if the repository has them."""
        active = {policy.domain for policy in self.policies.values()}
        return tuple(domain for name, domain in self.classifier.domains.items()
                     if domain.references and name in active)

    def sees_unclassified(self, relpath: str) -> bool:
        """Whether a policy looks at every document of this file, those of no domain too."""
        return any(globs.match(relpath) for globs in self._any_domain)

    def problem_findings(self, paths: FilePaths, problems: list[Problem]) -> Iterator[Finding]:
        """Findings for problems found outside policy evaluation (loader, suppressions), fingerprinted by
        `paths.file`."""
        place = Place(paths)
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
            location = Location(paths.display, problem.line, problem.col, problem.line, problem.col)
            content = Content(paths.file, "", (), (problem.detail, problem.snippet, occurrences[same]))
            yield from self.finding(problem.policy_id, detail, location, content, place, problem.detail)

    def resource_findings(self, classified: Classified, paths: FilePaths) -> Iterator[Finding]:
        """Findings for one resource, every applicable policy's, those it is exempt from included: exemptions are
        a step of the filter chain. `paths.relpath` is matched by policies' file globs."""
        instance, exempt, bad_ids = classified
        document, prefix, resource, outer = instance.document, instance.prefix, instance.data, instance.outer
        key = paths.file
        identity = instance.identity
        for policy_id, where, detail in bad_ids:
            content = Content(key, identity, (*prefix, *where), detail)
            yield from self._located(policy_id, detail, document, content.where, content, paths, detail, None, outer)
        too_deep = False
        targets: dict[tuple[str, tuple[str, ...], ResourceType], list[TargetValue]] = {}  # per scope, as policies share
        for policy, rtype in self._applicable(instance, paths.relpath):
            if policy.analyser is not None:  # its findings are the tool's, in the analyse phase
                continue
            where_key = (policy.targets.scope, policy.targets.containers, rtype)
            found = targets.get(where_key)
            if found is None:
                pod_path = self.workloads.pod_spec_path(rtype)
                found = targets[where_key] = list(target_values(policy.targets, pod_path, resource))
            try:
                violations = self._violations(policy, found)
            except RecursionError:  # nesting under the parser's limit can still exhaust a validator
                too_deep = too_deep or policy.id not in exempt  # an exempt policy's failure is no news
                continue
            absent: Counter[JsonPath] | None = None
            for base, where, detail, missing, text, offset in violations:
                path = (*prefix, *where)
                if missing:  # an absence has no content: identify it by its target (the container...) and count
                    absent = absent if absent is not None else Counter()
                    absent[base] += 1
                    stable, offending = stable_path(document.data, (*prefix, *base)), absent[base]
                else:
                    stable, offending = stable_path(document.data, path), shallow(value_at(resource, where))
                content = Content(key, identity, stable, offending)
                yield from self._located(policy.id, detail, document, path, content, paths, text, offset, outer)
        if too_deep:
            line, col, _, _ = document.locate(prefix)
            problem = Problem("document-too-deep", "nesting is too deep to evaluate", line, col)
            yield from self.problem_findings(paths, [problem])

    def analysed_by(self, found: Iterable[Classified], relpath: str) -> tuple[str, ...]:
        """The analyser policies that apply to a document of the file (never to an embedded one: a tool reads files)."""
        if not self.analysed:
            return ()
        ids = {policy.id for classified in found if classified.instance.host is None
               for policy, _ in self._applicable(classified.instance, relpath) if policy.analyser is not None}
        return tuple(sorted(ids))

    def exemptions(self, resource: Any) -> tuple[frozenset[str], tuple[tuple[str, JsonPath, str], ...]]:
        """The policies a resource's annotation exempts it from, and the annotation's problems."""
        exempt, problems = annotation_exemptions(resource, self.known_ids, self.today)
        return exempt, tuple(problems)

    def _violations(self, policy: Policy,
                    targets: list[TargetValue]) -> list[tuple[JsonPath, JsonPath, str, bool, str, int | None]]:
        """Each violation once: its target's path (the container, the pod spec...), its own path, the detail, and
        whether it is about something missing."""
        found: list[tuple[JsonPath, JsonPath, str, bool, str, int | None]] = []
        seen: set[tuple[JsonPath, int | None]] = set()
        evaluate = self._evaluator(policy)
        for base, value in targets:
            for relative, detail, missing, text, offset in evaluate(value):
                where = (*base, *relative)
                if (where, offset) not in seen:
                    seen.add((where, offset))
                    found.append((base, where, detail, missing, text, offset))
        return found

    def _applicable(self, instance: Instance, relpath: str) -> Iterator[tuple[Policy, ResourceType]]:
        """Each policy that looks at the instance, with the instance's type in that policy's domain."""
        shape = (instance.memberships, instance.host is None)  # rules compare by identity: a cheap key
        found = self._by_type.get(shape)
        if found is None:
            found = self._by_type[shape] = list(self._looking_at(instance))
        for policy, rtype in found:
            globs = self._file_globs.get(policy.id)
            if globs is None or globs.match(relpath):
                yield policy, rtype

    def _looking_at(self, instance: Instance) -> Iterator[tuple[Policy, ResourceType]]:
        types: dict[str, ResourceType] = {}
        for membership in instance.memberships:
            types.setdefault(membership.domain, membership.rtype)
        for policy_id, domain in self._domains.items():
            policy = self.policies[policy_id]
            if domain is None:  # every document of its files, but not those embedded in one
                if instance.host is None:
                    yield policy, instance.rtype
            elif domain in types and applies_to(policy.targets, types[domain], self.workloads):
                yield policy, types[domain]

    def _evaluator(self, policy: Policy) -> Evaluate:
        evaluate = self._evaluators.get(policy.id)
        if evaluate is None:
            evaluate = self._evaluators[policy.id] = compiled(policy, self.kubernetes_version, self.definitions)
        return evaluate

    def _located(self, policy_id: str, detail: str, document: Document, where: JsonPath, content: Content,
                 paths: FilePaths, text: str, offset: int | None = None, outer: JsonPath = ()) -> Iterator[Finding]:
        """`offset`: the character of the text at `where` the finding is about; `outer`: the path of the text an
        embedded document was read from (its pointers start there)."""
        span = document.locate(where) if offset is None else document.locate_text(where, offset)
        line, col, end_line, end_col = span
        location = Location(document.path, line, col, end_line, end_col)
        place = Place(paths, document.index, json_pointer((*outer, *where)))
        yield from self.finding(policy_id, detail, location, content, place, text)

    def finding(self, policy_id: str, detail: str, location: Location, content: Content, place: Place,
                text: str) -> Iterator[Finding]:
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
        # A run keeps every finding until it reports; pointers and validator words repeat across files (one
        # `/spec/template/spec/containers/0/imagePullPolicy` for thousands of findings): one copy each (sys.intern,
        # whose copies go with their last finding).
        yield Finding(policy_id, policy.severity, message, location, fingerprint(policy_id, *content), content.file,
                      place.paths.repo_path, place.document, _interned(place.pointer), intern(text),
                      tuple(fingerprint(alias, *content) for alias in policy.aliases))


def _interned(text: str | None) -> str | None:
    return intern(text) if text is not None else None
