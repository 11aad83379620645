"""Phase 6, filter: the one ordered chain that decides which findings are reported.

Per file, in this order:
  1. annotation exemptions  (`gitops-tools.io/exempt` on a resource: its document policies' findings)
  2. inline suppressions    (`# gitops-tools: disable-...`; stale or unknown ones become findings, but an unused one
                             in a file an unrendered kustomize overlay reads; identical findings then get distinct
                             fingerprints by their order, once)
  3. config excludes        (a policy's `exclude` globs in .gitops-tools.yaml)
  4. --diff-lines           (only findings on lines changed since --changed-since; a file that could not be checked
                             at all is reported wherever its problem is, and so is the repository as a whole)
The render phase's findings (pipeline/render.py) are exempted on the rendered objects (RENDERED), then join their
source file's outcome; at a file the run does not lint, its suppressions apply without being judged (UNLINTED).
Then over the whole run, with the config's own findings (whose identical ones also get distinct fingerprints):
  5. severity threshold     (also drops exact duplicates, and sorts)
  6. baseline               (only findings not recorded in it; counts the fixed)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import cached_property
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_tools import suppressions
from gitops_tools.aliases import alias_map, current_ids
from gitops_tools.checks import BUILTIN_SOURCES
from gitops_tools.config import Config
from gitops_tools.engine import Engine
from gitops_tools.findings import Finding, touches
from gitops_tools.fingerprint import repeat_fingerprint
from gitops_tools.model import LineRanges, Severity
from gitops_tools.pipeline.evaluate import FileOutcome

if TYPE_CHECKING:
    from gitops_tools.pipeline.spill import Spill


class Chain:
    """What the steps filter by: the run's engine (active policies), config and options. Read-only. (A plain class,
    not a dataclass: see gitops_tools/model.py.)"""

    def __init__(self, engine: Engine, config: Config | None = None, changed: dict[str, LineRanges] | None = None,
                 diff_lines: bool = False, threshold: Severity = Severity.INFO, baseline: Path | None = None,
                 unjudged: frozenset[str] = frozenset()) -> None:
        self.engine = engine
        self.config = config  # None: no config excludes (checking one loaded file on its own)
        self.changed = changed  # display path -> changed lines, with --changed-since
        self.diff_lines = diff_lines
        self.threshold = threshold
        self.baseline = baseline
        # Display paths of linted files that a kustomize entry point the render phase could not render reads (no
        # binary, a failed or refused build): a suppression there may be for a finding only that rendering shows.
        self.unjudged = unjudged

    @cached_property
    def aliases(self) -> dict[str, str]:
        """Former id -> current id of the run's policies (a former id names the renamed policy); once per run."""
        return alias_map(self.engine.policies.values())


FileStep = Callable[[list[Finding], FileOutcome, Chain], list[Finding]]


def exempted(findings: list[Finding], outcome: FileOutcome, chain: Chain) -> list[Finding]:
    """1. Findings of document policies inside a resource whose annotation exempts it from them go."""
    if not outcome.exemptions:
        return findings
    policies = chain.engine.policies
    exemptions = [exemption._replace(ids=current_ids(exemption.ids, chain.aliases)) for exemption in outcome.exemptions]
    return [f for f in findings if policies[f.policy_id].check in BUILTIN_SOURCES
            or not any(exemption.covers(f) for exemption in exemptions)]


UNUSED = "suppression-unused"


def suppressed(findings: list[Finding], outcome: FileOutcome, chain: Chain) -> list[Finding]:
    """2. Findings an inline suppression covers go; suppressions that matched nothing or name no policy come (an
    unused one is not judged in a file an unrendered kustomize entry point reads: Chain.unjudged)."""
    if outcome.suppressions:
        engine = chain.engine
        aliases = chain.aliases  # fresh copies: the outcome is left as it was
        marks = [mark._replace(ids=tuple(dict.fromkeys(aliases.get(i, i) for i in mark.ids)), used=set())
                 for mark in outcome.suppressions]
        findings = suppressions.apply(findings, marks)  # marks which suppressions were used...
        stale = suppressions.problems(marks, engine.known_ids, engine.policies)  # ...so the rest are stale
        if outcome.paths.display in chain.unjudged:  # unless rendering, which did not run, might have used them
            stale = [problem for problem in stale if problem.policy_id != UNUSED]
        findings += list(engine.problem_findings(outcome.paths, stale))
    return unique_fingerprints(findings)


def excluded(findings: list[Finding], outcome: FileOutcome, chain: Chain) -> list[Finding]:
    """3. Findings of a policy whose config `exclude` matches the file go."""
    if chain.config is None:
        return findings
    settings = chain.config.policies
    relpath = outcome.paths.relpath
    return [f for f in findings if f.policy_id not in settings or not settings[f.policy_id].exclude.match(relpath)]


def off_diff(findings: list[Finding], outcome: FileOutcome, chain: Chain) -> list[Finding]:
    """4. With --diff-lines, findings off the changed lines go (unless the file could not be checked at all)."""
    if not chain.diff_lines or chain.changed is None:
        return findings
    ranges = chain.changed.get(outcome.paths.display, ())
    policies = chain.engine.policies
    return [f for f in findings if touches(f, ranges) or policies[f.policy_id].stops_checking]


def suppressed_quietly(findings: list[Finding], outcome: FileOutcome, chain: Chain) -> list[Finding]:
    """2, for a file the run does not lint (an entry point's kustomization, where the render phase reports a build
    that failed): its suppressions apply; unused ones are not reported (a run that lints the file reports them)."""
    if outcome.suppressions:
        marks = [mark._replace(ids=tuple(dict.fromkeys(chain.aliases.get(i, i) for i in mark.ids)), used=set())
                 for mark in outcome.suppressions]
        findings = suppressions.apply(findings, marks)
    return unique_fingerprints(findings)


PER_FILE: tuple[FileStep, ...] = (exempted, suppressed, excluded, off_diff)
WHOLE: tuple[FileStep, ...] = (exempted, suppressed, excluded)  # the repository's findings: they are on no line
# The render phase's findings on the rendered objects: exempted by the objects' annotations as rendered (kustomize
# keeps the source's, and an overlay's patch may add one); mapped to their sources, they then join those files'
# outcomes and go through PER_FILE there (their pointers name no place in the source: the source's exemptions, seen
# already on the rendered object, do not apply twice).
RENDERED: tuple[FileStep, ...] = (exempted,)
UNLINTED: tuple[FileStep, ...] = (suppressed_quietly, excluded, off_diff)  # render findings at files not linted


def file_findings(outcome: FileOutcome, chain: Chain, steps: tuple[FileStep, ...] = PER_FILE) -> list[Finding]:
    """One file's findings through the per-file steps, in order."""
    findings = list(outcome.findings)
    for step in steps:
        findings = step(findings, outcome, chain)
    return findings


class RunFindings:
    """5 and 6 over the run's findings, handed over file by file after the per-file steps: those at or above the
    threshold, once each, sorted; then those not in the baseline.

    Findings sort by path first, so each path's findings are one block (a list item; in a large run, a Spill's),
    de-duplicated and sorted on their own (identical findings share their path), and the blocks are put in path
    order at the end: a large run's findings are never all in memory at once, nor sorted all together."""

    def __init__(self, chain: Chain, blocks: list[tuple[Finding, ...]] | Spill[tuple[Finding, ...]]) -> None:
        self._chain = chain
        self._blocks = blocks  # a list, or a Spill in a large run
        self._paths: list[str] = []  # each block's path
        self._sizes: list[int] = []  # each block's number of findings

    def add(self, findings: Iterable[Finding], display: str = "") -> None:
        """A file's findings; `display` is its path (the block keeps that string when its findings name it)."""
        by_path: dict[str, set[Finding]] = {}
        for finding in findings:
            if finding.severity >= self._chain.threshold:
                by_path.setdefault(finding.location.path, set()).add(finding)
        for path, found in by_path.items():
            self._keep(display if path == display else path, sorted(found, key=Finding.sort_key))

    def result(self, linted: set[str]) -> tuple[Sequence[Finding], int | None]:
        """The run's findings in order (a SpilledFindings when the blocks are on disk, else a list), and with a
        baseline how many of its entries for the `linted` files (by repository path) were not found."""
        order = self._path_order()
        fixed = None
        if self._chain.baseline is not None:
            from gitops_tools import baseline  # here, not at the top: only a run with --baseline reads one

            subtraction = baseline.Subtraction(baseline.read(self._chain.baseline))
            kept = ((self._paths[block], subtraction.new(self._blocks[block])) for block in order)
            order = [self._keep(path, new) for path, new in kept if new]
            fixed = subtraction.fixed(linted)
        if isinstance(self._blocks, list):
            return [finding for block in order for finding in self._blocks[block]], fixed
        from gitops_tools.pipeline.spill import SpilledFindings

        return SpilledFindings(self._blocks, order, [self._sizes[block] for block in order]), fixed

    def _keep(self, path: str, findings: Sequence[Finding]) -> int:
        """Keeps a block of findings (at least one); returns its index."""
        self._paths.append(path)
        self._sizes.append(len(findings))
        self._blocks.append(tuple(findings))
        return len(self._blocks) - 1

    def _path_order(self) -> list[int]:
        """The blocks in path order, the blocks of one path (a file's and the config's own, when the config file is
        linted too) merged into one."""
        order: list[int] = []
        paths = self._paths
        for _, same in groupby(sorted(range(len(paths)), key=paths.__getitem__), key=paths.__getitem__):
            blocks = list(same)
            if len(blocks) > 1:
                found = {finding for block in blocks for finding in self._blocks[block]}
                blocks = [self._keep(paths[blocks[0]], sorted(found, key=Finding.sort_key))]
            order += blocks
        return order


def unique_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Identical findings (the same unnamed resource twice in a file) get distinct fingerprints by their order:
    code scanning and Code Quality merge findings that share one, and a baseline still counts them one by one.
    Fingerprints hash the file, so findings of one file made unique here are unique in the run: reporters rely on it
    and de-duplicate nothing."""
    seen: Counter[str] = Counter()
    unique = []
    for finding in sorted(findings, key=Finding.sort_key):
        seen[finding.fingerprint] += 1
        if seen[finding.fingerprint] > 1:
            count = seen[finding.fingerprint]
            finding = finding._replace(fingerprint=repeat_fingerprint(finding.fingerprint, count),
                              former_fingerprints=tuple(repeat_fingerprint(f, count)
                                                        for f in finding.former_fingerprints))
        unique.append(finding)
    return unique
