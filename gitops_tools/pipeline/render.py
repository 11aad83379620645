"""Phase 5c, render: each kustomize entry point whose build reads a linted file, rendered and linted with every
policy, each finding placed at the source that produced the offending value.

The entry points (rendering/entrypoints.py) are built concurrently, in threads, by a kustomize binary
(rendering/build.py); an entry point whose build names a remote resource (`kustomization-builds-offline`) or an entry
leading out of the repository (`kustomization-renders`) is not built, and a build that fails is a finding at its
kustomization (`kustomization-renders`).
Each rendered stream is one more file for the per-file phase (evaluate_loaded) and, with workspace checks, a
workspace of its own (one unit: the overlay as rendered). A rendered object's exemption annotation is judged on the
object as rendered (kustomize keeps annotations), by the filter chain's exemption step; each remaining finding is
mapped to its source (rendering/mapping.py) and the same finding from several overlays is one. Findings at linted
files join their file's outcome before the filter chain (suppressions, excludes, --diff-lines, baseline apply as to
any finding there; one equal to a finding the file already has is dropped); findings on values from files the run
does not lint are not reported, as the workspace's findings in context files are not, but a failed or unbuilt entry
point is reported at its kustomization whether the run lints it or not.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from gitops_tools import suppressions
from gitops_tools.checks import BUILTIN_SOURCES
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile, source_file
from gitops_tools.engine import Engine
from gitops_tools.fileio import read_regular, real_path
from gitops_tools.findings import Finding
from gitops_tools.kustomize import KUSTOMIZATION_BYTES, Kustomization, Kustomizations
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.loading.document import Document
from gitops_tools.model import FilePaths, Problem
from gitops_tools.paths import relative_posix
from gitops_tools.pipeline import filters, parallel, workspace
from gitops_tools.pipeline.discover import Plan
from gitops_tools.pipeline.evaluate import FileOutcome, evaluate_loaded, source_paths
from gitops_tools.pipeline.options import LintOptions, strict_references
from gitops_tools.pipeline.units import Member, Unit
from gitops_tools.rendering import build, entrypoints, mapping

RENDERS = "kustomization-renders"
OFFLINE = "kustomization-builds-offline"
RENDERED_NAME = "kustomize-build.yaml"  # the rendered stream's name inside its overlay (what policies' globs match)


class Rendered(NamedTuple):
    """The render phase's findings: by the display path of the linted file each is at, and at files the run does
    not lint (an entry point's kustomization), each with its names; the entry points rendered (built without an
    error), and the summary's notes."""

    linted: dict[str, list[Finding]]
    unlinted: list[FileOutcome]
    rendered: int
    notes: tuple[str, ...]
    unjudged: frozenset[str] = frozenset()  # linted files an entry point not rendered reads (filters.Chain)

    def joined(self, outcome: FileOutcome, more: tuple[Finding, ...] = ()) -> tuple[Finding, ...]:
        """The file's rendered findings, less those equal to one it already has at that position (its own, or `more`:
        the workspace's, which a rendered overlay's workspace repeats where the files as written say the same)."""
        found = self.linted.get(outcome.paths.display, ())
        if not found:
            return ()
        had = {(f.policy_id, f.location.line, f.location.col, f.message) for f in (*outcome.findings, *more)}
        return tuple(f for f in found if (f.policy_id, f.location.line, f.location.col, f.message) not in had)


class Renderer:
    """One run's rendering: which entry points, their builds (started in threads), and their findings."""

    def __init__(self, engine: Engine, config: Config, run: Plan, options: LintOptions,
                 kustomizations: Kustomizations) -> None:
        self._engine, self._config, self._run, self._options = engine, config, run, options
        self._kustomizations = kustomizations
        self._linted = {_real(source): source for source in run.sources if source.path is not None}
        entries = entrypoints.entry_points(run.root, kustomizations, config.exclude, config.root)
        self.entries = entrypoints.affected(entries, self._linted.keys(), kustomizations)
        self._builds: build.Builds | None = None
        self._binary = build.find_binary() if self.entries else None
        # What keeps an entry point from being built: each remote entry, and each entry leading out of the
        # repository, anywhere in its build (policy, the kustomization naming it, the entry).
        self._refused = {entry.folder: [*((OFFLINE, k, name) for k, name in kustomizations.remote(entry)),
                                        *((RENDERS, k, name) for k, name in kustomizations.outside(entry))]
                         for entry in self.entries}

    def start(self) -> None:
        """Start building every entry point nothing refuses, `--jobs` at a time (threads waiting on kustomize)."""
        local = [entry for entry in self.entries if not self._refused[entry.folder]]
        if self._binary is None or not local:
            return
        self._builds = build.Builds(self._binary, [entry.folder for entry in local], self._run.root,
                                    self._config.render_timeout, self._options.jobs or parallel.usable_cores())

    def finish(self) -> Rendered:
        """Every entry point's findings, the builds awaited."""
        found = [pair for entry in self.entries for pair in self._entry(entry)]
        notes = (build.missing_binary_note(),) if self._binary is None and self.entries else ()
        unrendered = [entry for entry in self.entries if self._builds is None
                      or self._refused[entry.folder] or self._builds.result(entry.folder).error is not None]
        unjudged = frozenset(self._linted[path].display for entry in unrendered
                             for path in self._kustomizations.reads(entry) if path in self._linted)
        return self._split(found, len(self.entries) - len(unrendered), notes)._replace(unjudged=unjudged)

    def _entry(self, entry: Kustomization) -> Iterator[tuple[FilePaths, Finding]]:
        shown = self._shown(entry.folder)
        refused = self._refused[entry.folder]
        if refused:
            for policy_id, kustomization, name in refused:
                yield from self._refusal(policy_id, kustomization, name, shown)
            return
        if self._builds is None:
            return  # no binary: the summary says so
        built = self._builds.result(entry.folder)
        paths = self._paths(entry.file or entry.folder)
        if built.error is not None:
            problem = Problem(RENDERS, built.error, 1, 1)
            yield from ((paths, finding) for finding in self._engine.problem_findings(paths, [problem]))
            return
        yield from self._lint(entry, built, shown)

    def _lint(self, entry: Kustomization, built: build.Built, shown: str) -> Iterator[tuple[FilePaths, Finding]]:
        """The rendered stream linted with every policy, each finding mapped to its source."""
        relpath = relative_posix(entry.folder, self._config.root, shown) + "/" + RENDERED_NAME
        key = relative_posix(entry.folder, self._run.root, shown) + "/" + RENDERED_NAME
        stream = FilePaths(f"{shown}/{RENDERED_NAME}", relpath, key)
        loaded = load_bytes(built.output, stream.display, Limits(build.MAX_OUTPUT_BYTES))
        origins = mapping.take_origins(loaded, built.wrapper, self._run.root)
        outcome = evaluate_loaded(self._engine, loaded, stream)
        findings = list(outcome.findings)
        if self._engine.workspace_checks and outcome.objects:
            records = workspace.Records([])
            records.add(key, outcome.objects)
            unit = Unit(relpath.rsplit("/", 1)[0], True, (Member(key),))
            strict = strict_references(self._options, self._config)
            cross = workspace.evaluate(self._engine, workspace.Workspace(records, (unit,), self._cluster_scoped,
                                                                         strict_references=strict))
            findings += cross.get(stream.display, ())
        chain = filters.Chain(self._engine, self._config)
        kept = filters.file_findings(outcome._replace(findings=tuple(findings)), chain, filters.RENDERED)
        mapper = mapping.Mapper(loaded, origins, entry.folder, shown, self._kustomizations)
        for finding in kept:
            if self._engine.policies[finding.policy_id].check in BUILTIN_SOURCES:
                continue  # about the text kustomize wrote, not the objects: the sources' own lint sees theirs
            source, data, where = mapper.source(finding)
            paths = self._paths(source.file)
            yield paths, mapper.mapped(finding, paths, source, data, where)

    def _refusal(self, policy_id: str, kustomization: Kustomization, name: str,
                 shown: str) -> Iterator[tuple[FilePaths, Finding]]:
        """The finding at the entry that keeps the entry point `shown` from being built."""
        file = kustomization.file or kustomization.folder
        paths = self._paths(file)
        line, col = _entry_position(self._kustomizations.document(kustomization.folder), name)
        detail = f"{name!r} is remote" if policy_id == OFFLINE else (
            f"not built: {name!r} leads out of the repository, and rendering reads nothing outside it")
        problem = Problem(policy_id, detail, line, col, name)
        for finding in self._engine.problem_findings(paths, [problem]):
            yield paths, finding._replace(overlays=(shown,))

    @cached_property
    def _cluster_scoped(self) -> frozenset[str]:
        return workspace.load_cluster_scoped()  # read once per run, for the first overlay with workspace checks

    def _split(self, found: list[tuple[FilePaths, Finding]], rendered: int, notes: tuple[str, ...]) -> Rendered:
        """Findings at linted files by display path; the render and offline findings at other files as outcomes of
        their own (their suppressions read); value findings at other files go (not reported, as context's)."""
        names = {paths.display: paths for paths, _ in found}
        linted_displays = {source.display for source in self._linted.values()}
        linted: dict[str, list[Finding]] = {}
        unlinted: dict[str, list[Finding]] = {}
        for finding in mapping.merged(finding for _, finding in found):
            display = finding.location.path
            if not self._owned(names[display]):
                continue
            if display in linted_displays:
                linted.setdefault(display, []).append(finding)
            elif finding.policy_id in (RENDERS, OFFLINE):
                unlinted.setdefault(display, []).append(finding)
        outcomes = [_unlinted_outcome(names[display], tuple(found), self._engine) for display, found in
                    sorted(unlinted.items())]
        return Rendered(linted, outcomes, rendered, notes)

    def _owned(self, paths: FilePaths) -> bool:
        if self._options.shard is None:
            return True
        from gitops_tools.pipeline.shard import shard_key

        return self._options.shard.owns(shard_key(paths.repo_path, paths.file))

    def _paths(self, resolved: Path) -> FilePaths:
        """A source file's names: a linted file's as discovery made them, else as for a context file."""
        source = self._linted.get(resolved)
        if source is None:
            cwd = Path.cwd()
            inside = relative_posix(resolved, cwd, "")
            given = Path(inside) if inside else resolved
            relpath = relative_posix(resolved, self._config.root, given.as_posix())
            source = source_file(given, resolved, relpath, self._run.root, False)
        return source_paths(source)

    def _shown(self, folder: Path) -> str:
        return self._paths(folder).display


def _real(source: SourceFile) -> Path:
    return source.real or real_path(source.path or Path())


def _entry_position(document: Document | None, entry: str) -> tuple[int, int]:
    """Where a kustomization (its document, as the run's reader loaded it) lists `entry` (under resources, bases,
    components or a patch list); 1:1 when it has no single document."""
    if document is None or not isinstance(document.data, dict):
        return 1, 1
    for key in ("resources", "bases", "components", "patches", "patchesStrategicMerge", "patchesJson6902"):
        entries = document.data.get(key)
        for index, item in enumerate(entries if isinstance(entries, list) else ()):
            if item == entry or (isinstance(item, dict) and item.get("path") == entry):
                line, col, _, _ = document.locate((key, index))
                return line, col
    return 1, 1


def _unlinted_outcome(paths: FilePaths, findings: tuple[Finding, ...], engine: Engine) -> FileOutcome:
    """The outcome of a file the run does not lint: the findings, and the file's inline suppressions (applied, not
    judged: the run that lints the file reports those that are unused)."""
    marks: list[suppressions.Suppression] = []
    try:
        raw = read_regular(Path(paths.display), KUSTOMIZATION_BYTES)
    except OSError:
        raw = b""
    loaded = load_bytes(raw, paths.display, Limits(KUSTOMIZATION_BYTES)) if raw else None
    if loaded is not None and loaded.text:
        marks = suppressions.parse(loaded.text, loaded.lines, loaded.document_lines, engine.today)
    return FileOutcome(paths, findings=findings, suppressions=tuple(marks))
