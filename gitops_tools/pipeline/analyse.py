"""Phase 5b, analyse: external analysers (gitops_tools/analysers/) over the files their policies apply to.

Each tool runs once per run, in this process after the per-file phase (never once per worker), over every linted
file one of its policies applies to, as the per-file phase noted them (FileOutcome.analysed, kept as an Analysed: a
large run's outcomes wait in its temporary file). Each result of a rule a policy names becomes that policy's finding,
at the tool's position, and joins its file's outcome: the filter chain (suppressions, excludes, --diff-lines,
baseline) treats it like any other. Results of rules no policy names, and of policies that do not apply to the file
(`targets.files`, `kinds`), are dropped. Standard input has no file a tool could read: it is not analysed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from gitops_tools.analysers import ToolResult, analyser
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Content, Engine, Place
from gitops_tools.findings import Finding
from gitops_tools.model import FilePaths, Location, json_pointer
from gitops_tools.pipeline.evaluate import Analysed

TIMEOUT_SECONDS = 300.0  # one tool's whole run, over every file of a run


def analyser_findings(engine: Engine, sources: Sequence[SourceFile], noted: Iterable[Analysed],
                      ) -> dict[int, list[Finding]]:
    """Each noted file's analyser findings, by its index: they join its outcome before the filter chain."""
    files: dict[str, dict[str, Analysed]] = {}  # tool -> the given path of each file it reads -> that file
    for file in noted:
        source = sources[file.at]
        if source.path is None:
            continue
        for tool in {engine.analysed[policy_id].tool for policy_id in file.policies}:
            files.setdefault(tool, {})[str(source.path.absolute())] = file
    found: dict[int, list[Finding]] = {}
    for tool, named in sorted(files.items()):
        rules = _rules(engine, tool)
        for result in analyser(tool).analyse([Path(path) for path in named], TIMEOUT_SECONDS):
            hit = named.get(result.file)
            if hit is None:
                continue  # a file the tool found by itself: not one of the run's
            for policy_id in rules.get(result.rule, ()):
                if policy_id in hit.policies:
                    found.setdefault(hit.at, []).extend(_findings(engine, policy_id, hit.paths, result))
    return found


def _rules(engine: Engine, tool: str) -> dict[str, list[str]]:
    """The tool's rules that active policies name, each with those policies' ids."""
    rules: dict[str, list[str]] = {}
    for policy_id, rule in sorted(engine.analysed.items()):
        if rule.tool == tool:
            rules.setdefault(rule.rule, []).append(policy_id)
    return rules


def _findings(engine: Engine, policy_id: str, paths: FilePaths, result: ToolResult) -> Iterator[Finding]:
    """The finding at the tool's position; its fingerprint hashes where it is in the document and the offending text
    (never a line number), so it survives edits elsewhere in the file."""
    content = Content(paths.file, "", result.where, (result.rule, result.snippet))
    place = Place(paths, 0, json_pointer(result.where))
    yield from engine.finding(policy_id, result.detail, Location(paths.display, *result.span), content, place,
                              result.detail)
