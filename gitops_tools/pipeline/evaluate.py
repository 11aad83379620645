"""Phase 4, evaluate per document: one file loaded, classified and checked against every applicable policy.

`evaluate_file` is a function of the file, the config and the compiled policies (the Engine) alone: what a
process pool can map over. Nothing is filtered here; what the filter chain needs (the resources' exemptions, the
file's inline suppressions) travels with the findings in the FileOutcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import BinaryIO

from gitops_tools import suppressions
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.loading import LoadedFile
from gitops_tools.loading.document import Document
from gitops_tools.model import FilePaths, Finding, json_pointer
from gitops_tools.pipeline.classify import classify
from gitops_tools.pipeline.load import read_source


@dataclass(frozen=True)
class Exemption:
    """A resource's annotation exemption: the policies it switches off, for findings inside that resource."""

    document: int
    pointer: str  # where the resource sits in its document ("" for the whole document)
    ids: frozenset[str]

    def covers(self, finding: Finding) -> bool:
        pointer = finding.pointer
        return (finding.policy_id in self.ids and finding.document == self.document and pointer is not None
                and (pointer == self.pointer or pointer.startswith(self.pointer + "/")))


@dataclass
class FileOutcome:
    """One file's unfiltered findings and what the filter chain needs to filter them."""

    paths: FilePaths
    documents: int = 0
    findings: list[Finding] = field(default_factory=list)
    exemptions: tuple[Exemption, ...] = ()
    suppressions: list[suppressions.Suppression] = field(default_factory=list)
    patch: bool = False  # a kustomize patch: syntax only
    loaded: list[Document] = field(default_factory=list)  # kept only for the workspace phase, when it needs them


def source_paths(source: SourceFile) -> FilePaths:
    return FilePaths(source.display, source.relpath, source.file or source.relpath, source.repo_path)


def evaluate_file(engine: Engine, source: SourceFile, config: Config, stdin: BinaryIO | None = None, *,
                  keep_documents: bool = False) -> FileOutcome:
    """Load, classify and evaluate one file (its documents go when this returns, unless `keep_documents`)."""
    loaded = read_source(source, config, stdin)
    outcome = evaluate_loaded(engine, loaded, source_paths(source), documents=not source.patch)
    if keep_documents:
        outcome.loaded = list(loaded.documents)
    return outcome


def evaluate_loaded(engine: Engine, loaded: LoadedFile, paths: FilePaths, *, documents: bool = True) -> FileOutcome:
    findings = list(engine.problem_findings(paths, loaded.problems))
    exemptions = []
    for resource in classify(loaded, engine, documents=documents):
        findings.extend(engine.resource_findings(resource, paths))
        if resource.exempt:
            exemptions.append(Exemption(resource.document.index, json_pointer(resource.prefix), resource.exempt))
    yaml_text = loaded.text if not loaded.path.endswith(".json") else ""  # JSON has no comments
    marks = suppressions.parse(yaml_text, loaded.lines, loaded.document_lines, engine.today) if yaml_text else []
    return FileOutcome(paths, len(loaded.documents), findings, tuple(exemptions), marks, not documents)
