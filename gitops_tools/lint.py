"""The library entry point: lint paths with a config and options, return the findings (never prints).

It runs the phases of gitops_tools/pipeline/ in order, data flowing one way:
discover -> load -> classify -> evaluate (per document) -> workspace -> render -> repository -> filters -> result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from gitops_tools import collector
from gitops_tools.aliases import current_config, known_ids
from gitops_tools.checks import REFERENCES, RENDER
from gitops_tools.classification import Classifier
from gitops_tools.config import Config
from gitops_tools.domains import parse_domains, with_config_paths
from gitops_tools.engine import Engine
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import real_path
from gitops_tools.findings import Finding, LintResult, touches
from gitops_tools.kubeversion import target_version
from gitops_tools.loading import LoadedFile
from gitops_tools.model import FilePaths, ObjectRecord, Policy, Problem, Severity
from gitops_tools.paths import relative_posix, repository_path
from gitops_tools.pipeline import filters, parallel, result, workspace
from gitops_tools.pipeline.definitions import run_definitions
from gitops_tools.pipeline.discover import Plan, plan
from gitops_tools.pipeline.evaluate import Analysed, FileOutcome, evaluate_loaded, source_paths
from gitops_tools.pipeline.load import read_source
from gitops_tools.pipeline.options import LintOptions, strict_references
from gitops_tools.policyset import beyond_pin
from gitops_tools.resources import BuiltinData, read_builtin_data
from gitops_tools.targets import Workloads, target_domain

if TYPE_CHECKING:
    from typing import TypeAlias, TypeVar

    from gitops_tools.pipeline.render import Rendered, Renderer
    from gitops_tools.pipeline.spill import Spill
    from gitops_tools.policycache import Cache

    Value = TypeVar("Value")
    Kept: TypeAlias = list[Value] | Spill[Value]  # what a run keeps per file (pipeline/spill.py for a large run)

__all__ = ["LintOptions", "LintResult", "Progress", "active_policies", "check_file", "lint", "read_source", "touches"]

Progress = Callable[[int, int], None]


def active_policies(policies: Mapping[str, Policy], config: Config, options: LintOptions) -> list[Policy]:
    """Policies this run evaluates, with config severity overrides applied.

    Policies newer than the config's `policy_set` pin (a pack's policies: than their `extend` entry's pin) do not run.
    `--select` and `--domain` narrow the document policies only: file checks (syntax, encoding, size, duplicate keys,
    stale suppressions...) stay on unless disabled or ignored by name. A domain's references policy (an include
    naming no file) is about its documents, and the render policies about the kustomize domain's: `--select` and
    `--domain` narrow them. A profile decides the document policies the same way: exactly its own run, less those
    the config switches off (an audited exemption), and `--select` narrows them instead of enabling others.
    """
    active = []
    for policy in policies.values():
        if beyond_pin(policy, config.pin_for(policy)):  # newer than the pinned policy set (or pack version)
            continue
        settings = config.policies.get(policy.id)
        enabled = settings.enabled if settings and settings.enabled is not None else policy.enabled
        narrowed = policy.targets.scope != "file" or policy.check in (REFERENCES, RENDER)
        if options.profile is not None and narrowed:
            enabled = policy.id in options.profile and not (settings and settings.enabled is False)
        if options.select and narrowed:
            enabled = (enabled or options.profile is None) and _matches(policy.id, options.select)
        if options.domains and narrowed and policy.domain not in options.domains:
            enabled = False
        if not enabled or _matches(policy.id, options.ignore):
            continue
        severity = settings.severity if settings and settings.severity else policy.severity
        active.append(policy if severity == policy.severity else policy._replace(severity=severity))
    if not active or (options.select and not any(_matches(policy.id, options.select) for policy in active)):
        raise ConfigError("no selected policy is left to run: check --select, --ignore and the config's settings")
    return active


def _matches(policy_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(policy_id, pattern) for pattern in patterns)


def lint(paths: Sequence[str], config: Config, policies: Mapping[str, Policy], options: LintOptions,
         progress: Progress | None = None, stdin: BinaryIO | None = None) -> LintResult:
    config = current_config(config, policies)  # a `policies:` entry under a renamed policy's former id
    data = _builtin_data(options.cache)
    engine = Engine(active_policies(policies, config, options), known_ids(policies), Workloads.parse(data.workloads),
                    Classifier(with_config_paths(parse_domains(data.domains), config.domains)), config.today,
                    target_version(options.kubernetes_version, config.kubernetes_version))
    run = plan(paths, config, options, workspace=bool(engine.workspace_checks), parsers=engine.classifier.file_parsers,
               references=engine.referencing(), repository=bool(engine.repository_policies))
    engine.definitions = run_definitions(run.sources, config)  # the run's own CRDs, before any file is evaluated
    files = len(run.sources) + len(run.context)
    outcomes, entries, blocks = _kept(files > options.spill_above)
    records = workspace.Records(entries)
    documents, noted = 0, list[Analysed]()
    workers = parallel.worker_count(options.jobs, files, parallel.usable_cores())
    renderer = _renderer(engine, config, run, options)
    if renderer is not None and workers == 1:
        renderer.start()  # the builds (threads waiting on kustomize) overlap the per-file phase; never before a fork
    with parallel.Pool(engine, config, workers) as pool:
        for done, (source, outcome) in enumerate(zip(run.sources, pool.outcomes(run.sources, stdin), strict=True), 1):
            documents += outcome.documents
            records.add(source_paths(source).file, outcome.objects)
            if outcome.analysed:  # for the analyse phase: which file, and which of its policies an analyser checks
                noted.append(Analysed(done - 1, outcome.paths, outcome.analysed))
            outcomes.append(outcome._replace(objects=()) if outcome.objects else outcome)
            if progress is not None:
                progress(done, len(run.sources))
        if engine.workspace_checks:
            found = _context_records(engine, config, run, pool, options.cache)
            for source, file in zip(run.context, found, strict=True):
                key = source_paths(source).file
                records.add(key, file, context=key not in run.other_shards)
    if renderer is not None and workers > 1:
        renderer.start()  # the pool's workers are gone: the builds overlap the analysers and the workspace phase
    analysed = _analysed(engine, run, noted)
    # The workspace phase: each finding joins the outcome of the file it is in, so the same filter chain applies to
    # it (findings in context files are not reported). So do the render phase's.
    cross = workspace.evaluate(engine, workspace.Workspace(records, run.units, workspace.load_cluster_scoped(),
                                                     frozenset(engine.definitions.kinds()),
                                                     strict_references=strict_references(options, config))) \
        if engine.workspace_checks else {}
    rendered = renderer.finish() if renderer is not None else None
    threshold = options.severity_threshold or config.severity_threshold or Severity.INFO
    chain = filters.Chain(engine, config, run.changed, options.diff_lines, threshold, options.baseline,
                          _unjudged(rendered, run, config, options))
    findings = filters.RunFindings(chain, blocks)
    findings.add(_config_findings(engine, config, policies, run.root, options))
    for index, (source, outcome) in enumerate(zip(run.sources, outcomes, strict=True)):
        crossed = tuple(cross.get(outcome.paths.display, ()))
        extra = (*crossed, *analysed.get(index, ()),
                 *(rendered.joined(outcome, crossed) if rendered is not None else ()))
        with collector.paused():  # a file's findings and suppressions hold no cycles either
            findings.add(filters.file_findings(outcome._replace(findings=(*outcome.findings, *extra)) if extra
                                               else outcome, chain), source.display)
    for unlinted in rendered.unlinted if rendered is not None else ():
        findings.add(filters.file_findings(unlinted, chain, filters.UNLINTED), unlinted.paths.display)
    if run.repository is not None:
        findings.add(_repository_findings(engine, run, run.repository, chain, options), run.repository.display)
    linted = {source.file for source in run.sources} | ({run.repository.file} if run.repository else set())
    reported, fixed = findings.result(linted)
    fail_on = options.fail_on or config.fail_on or Severity.WARNING
    return result.build(run, engine, documents, reported, fixed, fail_on, options.tool_links,
                        (rendered.rendered, rendered.notes) if rendered is not None else (0, ()))


def _unjudged(rendered: Rendered | None, run: Plan, config: Config, options: LintOptions) -> frozenset[str]:
    """The linted files where an unused suppression is not reported: those a kustomize entry point that was not
    rendered reads (with rendering off: every file a kustomization may build), since it may be for a finding only
    rendering shows."""
    if rendered is not None:
        return rendered.unjudged
    off = options.render is False or (options.render is None and not config.render)
    return run.kustomized if off else frozenset()


def _renderer(engine: Engine, config: Config, run: Plan, options: LintOptions) -> Renderer | None:
    """The render phase, for a run that renders (--render, else the config's `render`) and lints a file some
    kustomization may build; pipeline/render.py and gitops_tools/rendering are imported only then."""
    wanted = options.render if options.render is not None else config.render
    if not wanted or run.kustomizations is None or not _sees_rendered(engine):
        return None
    from gitops_tools.pipeline.render import Renderer

    renderer = Renderer(engine, config, run, options, run.kustomizations)
    return renderer if renderer.entries else None


def _sees_rendered(engine: Engine) -> bool:
    """Whether an active policy could report on a build: a render policy, or one looking at YAML documents known by
    their content (a built object has no path of its own) or at every document. A Dockerfile hook (its documents come
    from its own parser) or a workflow hook (known by path) builds nothing."""
    domains = engine.classifier.domains
    for policy in engine.policies.values():
        if policy.check == RENDER:
            return True
        if policy.targets.scope == "file" or policy.targets.scope == "repository":
            continue
        name = target_domain(policy.targets, engine.classifier.default)
        domain = domains.get(name) if name is not None else None
        if domain is None or domain.default or (domain.files is None and any(rule.match for rule in domain.rules)):
            return True
    return False


def _kept(large: bool) -> tuple[Kept[FileOutcome], Kept[tuple[ObjectRecord, ...]], Kept[tuple[Finding, ...]]]:
    """Where the run keeps each file's outcome, its records and its findings until it needs them again: lists, or
    for a `large` run Spills, in one temporary file (pipeline/spill.py, imported only then)."""
    if not large:
        return [], [], []
    from gitops_tools.pipeline.spill import Spill, SpillFile

    file = SpillFile()
    return Spill(file), Spill(file), Spill(file)


def _analysed(engine: Engine, run: Plan, noted: list[Analysed]) -> dict[int, list[Finding]]:
    """The analyse phase: the findings of the external analysers, by the index of the file (source) each is in."""
    if not noted:
        return {}
    from gitops_tools.pipeline.analyse import analyser_findings

    return analyser_findings(engine, run.sources, noted)


def _builtin_data(cache: Cache | None) -> BuiltinData:
    """The domain files and the workload table: from the cache (None: off) when it holds them."""
    if cache is None:
        return read_builtin_data()
    from gitops_tools.policycache import builtin_data

    return builtin_data(read_builtin_data, cache)


def _context_records(engine: Engine, config: Config, run: Plan, pool: parallel.Pool,
                     cache: Cache | None) -> Iterable[tuple[ObjectRecord, ...]]:
    """Each context file's records: from the record cache (None: off) when it holds them."""
    if cache is None or not run.context:
        return pool.records(run.context)
    from gitops_tools import recordcache

    return recordcache.context_records(run.context, pool.records, recordcache.cache_file(cache.folder, run.root),
                                       recordcache.signature(engine, config, cache.key))


def check_file(engine: Engine, loaded: LoadedFile, relpath: str, key: str | None = None, *,
               documents: bool = True) -> list[Finding]:
    """One file's findings after its exemptions and inline suppressions (which are reported when stale or unknown).

    `relpath` is what config globs match; `key` (default: relpath) is the path fingerprints hash."""
    outcome = evaluate_loaded(engine, loaded, FilePaths(loaded.path, relpath, key or relpath), documents=documents)
    chain = filters.Chain(engine)
    return filters.file_findings(outcome, chain, (filters.exempted, filters.suppressed))


def _repository_findings(engine: Engine, run: Plan, root: FilePaths, chain: filters.Chain,
                         options: LintOptions) -> list[Finding]:
    """The repository phase: the repository checks' findings on the root, through the root's filter chain but
    --diff-lines (a layout has no lines; a change that deletes a required file is reported); with --shard, only in
    the shard that owns the root."""
    from gitops_tools.pipeline import repository
    from gitops_tools.pipeline.shard import shard_key

    if options.shard is not None and not options.shard.owns(shard_key(root.repo_path, root.file)):
        return []
    found = repository.evaluate(engine, repository.listing(run.root), root)
    return filters.file_findings(FileOutcome(root, findings=tuple(found)), chain, filters.WHOLE)


def _config_findings(engine: Engine, config: Config, policies: Mapping[str, Policy], root: Path,
                     options: LintOptions) -> list[Finding]:
    """A config entry naming a policy that does not exist, or an expired one, is a finding, never silently ignored.

    They are one file's findings: identical ones (two expired entries alike) get distinct fingerprints. With
    --shard, they are the config file's shard's."""
    known = set(known_ids(policies))
    found = [(location, Problem("exemption-unknown-policy", f"{policy_id!r} is not a policy id", location.line,
                                location.col)) for policy_id, location in config.policy_locations.items()
             if policy_id not in known]
    found += [(entry.location, Problem("exemption-expired", f"{entry.what}: {entry.expired}", entry.location.line,
                                       entry.location.col)) for entry in config.expired]
    findings: list[Finding] = []
    for location, problem in found:
        resolved = real_path(Path(location.path))
        paths = FilePaths(location.path, location.path, relative_posix(resolved, root, location.path),
                          repository_path(location.path, root))
        findings += engine.problem_findings(paths, [problem])
    findings = filters.unique_fingerprints(findings)
    if options.shard is None:
        return findings
    from gitops_tools.pipeline.shard import shard_key

    return [finding for finding in findings if options.shard.owns(shard_key(finding.repo_path, finding.file))]
