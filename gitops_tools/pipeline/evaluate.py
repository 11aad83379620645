"""Phase 4, evaluate per document: one file loaded, classified and checked against every applicable policy.

`evaluate_file` is a function of the file, the config and the compiled policies (the Engine) alone: what a
process pool can map over; its FileOutcome is frozen and picklable. Nothing is filtered here; what the filter chain
needs (the resources' exemptions, the file's inline suppressions) travels with the findings in the FileOutcome, and
so do the file's object records when the run has workspace checks (the documents themselves go with the file).
"""

from __future__ import annotations

from typing import BinaryIO, NamedTuple

from gitops_tools import suppressions
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Classified, Engine
from gitops_tools.findings import Finding
from gitops_tools.loading import LoadedFile
from gitops_tools.model import FilePaths, ObjectRecord, json_pointer
from gitops_tools.pipeline.classify import classify
from gitops_tools.pipeline.load import read_source
from gitops_tools.pipeline.objects import records
from gitops_tools.pipeline.workspace import collectors


class Exemption(NamedTuple):
    """A resource's annotation exemption: the policies it switches off, for findings inside that resource."""

    document: int
    pointer: str  # where the resource sits in its document ("" for the whole document)
    ids: frozenset[str]

    def covers(self, finding: Finding) -> bool:
        pointer = finding.pointer
        return (finding.policy_id in self.ids and finding.document == self.document and pointer is not None
                and (pointer == self.pointer or pointer.startswith(self.pointer + "/")))


class FileOutcome(NamedTuple):
    """One file's unfiltered findings, what the filter chain needs to filter them, and its objects' records for
    the workspace phase (none when the run has no workspace check)."""

    paths: FilePaths
    documents: int = 0
    findings: tuple[Finding, ...] = ()
    exemptions: tuple[Exemption, ...] = ()
    suppressions: tuple[suppressions.Suppression, ...] = ()
    patch: bool = False  # a kustomize patch: syntax only
    objects: tuple[ObjectRecord, ...] = ()
    analysed: tuple[str, ...] = ()  # the analyser policies that apply to it: the analyse phase runs their tools


class Analysed(NamedTuple):
    """A file the per-file phase noted analyser policies for (FileOutcome.analysed): the index of its source and
    outcome in the run, its names, and those policies; what the analyse phase (pipeline/analyse.py) needs of it."""

    at: int
    paths: FilePaths
    policies: tuple[str, ...]


def source_paths(source: SourceFile) -> FilePaths:
    return FilePaths(source.display, source.relpath, source.file or source.relpath, source.repo_path,
                     source.referenced)


def evaluate_file(engine: Engine, source: SourceFile, config: Config, stdin: BinaryIO | None = None) -> FileOutcome:
    """Load, classify and evaluate one file; its documents go when this returns."""
    loaded = read_source(source, config, stdin)
    if source.notes:  # its references' problems (an include naming no file), found by the discover phase
        loaded.problems.extend(source.notes)
    return evaluate_loaded(engine, loaded, source_paths(source), documents=not source.patch)


def evaluate_loaded(engine: Engine, loaded: LoadedFile, paths: FilePaths, *, documents: bool = True) -> FileOutcome:
    findings = list(engine.problem_findings(paths, loaded.problems))
    exemptions = []
    found = classify(loaded, engine, paths, documents=documents)
    for classified in found:
        findings.extend(engine.resource_findings(classified, paths))
        if classified.exempt:
            instance = classified.instance
            pointer = json_pointer((*instance.outer, *instance.prefix))
            exemptions.append(Exemption(instance.document.index, pointer, classified.exempt))
    yaml_text = loaded.text if not loaded.path.endswith(".json") else ""  # JSON has no comments
    marks = suppressions.parse(yaml_text, loaded.lines, loaded.document_lines, engine.today) if yaml_text else []
    return FileOutcome(paths, len(loaded.documents), tuple(findings), tuple(exemptions), tuple(marks), not documents,
                       _objects(engine, found, paths), engine.analysed_by(found, paths.relpath))


def collect_file(engine: Engine, source: SourceFile, config: Config) -> tuple[ObjectRecord, ...]:
    """A context file's object records alone: it is read for the workspace, never evaluated or reported."""
    if source.patch:
        return ()
    paths = source_paths(source)
    return _objects(engine, classify(read_source(source, config), engine, paths), paths)


def _objects(engine: Engine, found: list[Classified], paths: FilePaths) -> tuple[ObjectRecord, ...]:
    if not engine.workspace_checks:
        return ()
    return tuple(records(found, paths, engine.workloads, collectors(engine)))
