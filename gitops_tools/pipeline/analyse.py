"""Phase 5b, analyse: external analysers (gitops_tools/analysers/) over the files their policies apply to.

Each tool runs once per run, in this process after the per-file phase (never once per worker), over every linted
file one of its policies applies to, as the per-file phase noted them (FileOutcome.analysed). Each result of a rule a
policy names becomes that policy's finding, at the tool's position, and joins its file's outcome: the filter chain
(suppressions, excludes, --diff-lines, baseline) treats it like any other. Results of rules no policy names, and of
policies that do not apply to the file (`targets.files`, `kinds`), are dropped. Standard input has no file a tool
could read: it is not analysed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from gitops_tools.analysers import ToolResult, analyser
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Content, Engine, Place
from gitops_tools.model import Finding, Location, json_pointer
from gitops_tools.pipeline.evaluate import FileOutcome

TIMEOUT_SECONDS = 300.0  # one tool's whole run, over every file of a run


def with_analyser_findings(engine: Engine, sources: Sequence[SourceFile],
                           outcomes: list[FileOutcome]) -> list[FileOutcome]:
    """The outcomes, each with its file's analyser findings added (the same outcomes when no analyser runs)."""
    if not engine.analysed:
        return outcomes
    files: dict[str, dict[str, int]] = {}  # tool -> the given path of each file it reads -> its outcome's index
    for index, (source, outcome) in enumerate(zip(sources, outcomes, strict=True)):
        if source.path is None:
            continue
        for tool in {engine.analysed[policy_id].tool for policy_id in outcome.analysed}:
            files.setdefault(tool, {})[str(source.path.absolute())] = index
    found: dict[int, list[Finding]] = {}
    for tool, indexes in sorted(files.items()):
        rules = _rules(engine, tool)
        for result in analyser(tool).analyse([Path(path) for path in indexes], TIMEOUT_SECONDS):
            at = indexes.get(result.file)
            if at is None:
                continue  # a file the tool found by itself: not one of the run's
            outcome = outcomes[at]
            for policy_id in rules.get(result.rule, ()):
                if policy_id in outcome.analysed:
                    found.setdefault(at, []).extend(_findings(engine, policy_id, outcome, result))
    return [replace(outcome, findings=(*outcome.findings, *found[index])) if index in found else outcome
            for index, outcome in enumerate(outcomes)]


def _rules(engine: Engine, tool: str) -> dict[str, list[str]]:
    """The tool's rules that active policies name, each with those policies' ids."""
    rules: dict[str, list[str]] = {}
    for policy_id, rule in sorted(engine.analysed.items()):
        if rule.tool == tool:
            rules.setdefault(rule.rule, []).append(policy_id)
    return rules


def _findings(engine: Engine, policy_id: str, outcome: FileOutcome, result: ToolResult) -> Iterator[Finding]:
    """The finding at the tool's position; its fingerprint hashes where it is in the document and the offending text
    (never a line number), so it survives edits elsewhere in the file."""
    paths = outcome.paths
    content = Content(paths.file, "", result.where, (result.rule, result.snippet))
    place = Place(paths, 0, json_pointer(result.where))
    yield from engine.finding(policy_id, result.detail, Location(paths.display, *result.span), content, place,
                              result.detail)
