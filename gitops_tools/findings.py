"""What a run reports: each Finding, and the LintResult reporters describe (with the tool's name and links).

Finding is a NamedTuple and LintResult a Record (a plain class with slots and `_replace`), for the reason
gitops_tools/model.py gives: a one-file run imports no `dataclasses`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gitops_tools import __version__
from gitops_tools.model import LineRanges, Location, Policy, Record, Severity


class Finding(NamedTuple):
    policy_id: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str = ""
    file: str = ""  # the path fingerprints hash: from the repository root, whatever the working directory
    # What a fixer needs besides the span: the file from the repository root as CI services match it (None for
    # stdin and files outside the repository), the document's index in its file (None for a file-level problem),
    # the RFC 6901 pointer of the offending value in that document, and the validator's own words.
    repo_path: str | None = None
    document: int | None = None
    pointer: str | None = None
    detail: str = ""
    # The fingerprint under each former id of a renamed policy: baselines written before the rename still match.
    former_fingerprints: tuple[str, ...] = ()
    # A finding on rendered objects (pipeline/render.py): the entry points (overlay folders, as display paths name
    # them) whose rendering has it; one finding for all of them. Never hashed into the fingerprint.
    overlays: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str, str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.policy_id, self.message, loc.end_line, loc.end_col, self.fingerprint)


def described(finding: Finding) -> str:
    """The finding's message as reports show it: a finding of the render phase names its overlays."""
    if not finding.overlays:
        return finding.message
    return f"{finding.message} [overlays: {', '.join(finding.overlays)}]"


class ToolInfo(NamedTuple):
    """The linter as reports name it. `homepage` and `rules` (the rule catalogue, one `## <policy-id>` heading per
    rule) are the installed distribution's `[project.urls]`: read only for a run whose format links to them (reading
    package metadata costs about 16 ms, a tenth of a one-file run), else None."""

    name: str = "gitops-tools"
    version: str = __version__
    homepage: str | None = None
    rules: str | None = None


class LintResult(Record):
    """What a run found, plus what reporters need to describe it (the rules, the repository root, the working
    directory, the tool): reporters read nothing else, never the filesystem, the environment or package metadata.

    Every finding of a run has a fingerprint of its own: the filter chain makes identical findings distinct."""

    __slots__ = (
        "changed_lines",
        "charts",
        "cwd",
        "documents",
        "fail_on",
        "files",
        "findings",
        "fixed",
        "notes",
        "paths",
        "policies",
        "rendered",
        "root",
        "rules",
        "skipped",
        "tool",
    )

    def __init__(self, *, findings: Sequence[Finding] = (), files: int = 0, documents: int = 0, policies: int = 0,
                 fail_on: Severity = Severity.WARNING, rules: dict[str, Policy] | None = None,
                 root: Path | None = None, cwd: Path | None = None,
                 changed_lines: dict[str, LineRanges] | None = None, fixed: int | None = None,
                 paths: list[str] | None = None, skipped: dict[str, list[str]] | None = None,
                 charts: dict[str, str] | None = None, tool: ToolInfo | None = None, rendered: int = 0,
                 notes: tuple[str, ...] = ()) -> None:
        # In order; a large run's are read back from its temporary file as they are iterated (pipeline/spill.py).
        self.findings = findings
        self.files = files
        self.documents = documents
        self.policies = policies  # policies run on documents; file checks (syntax, encoding...) always run besides
        self.fail_on = fail_on
        self.rules = {} if rules is None else rules  # every active policy, by id
        self.root = Path.cwd() if root is None else root  # the repository root CI formats name files from
        self.cwd = Path.cwd() if cwd is None else cwd  # the working directory of the run: display paths start there
        # With --changed-since: for each linted file (by its display path), the (first, last) line ranges added or
        # modified since the base; reporters with caps (github) put findings on those lines first.
        self.changed_lines = changed_lines
        self.fixed = fixed  # with --baseline: baseline findings no longer found
        self.paths = [] if paths is None else paths  # every linted file by its display path (junit lists them all)
        self.skipped = {} if skipped is None else skipped  # why -> display paths of files not linted
        self.charts = {} if charts is None else charts  # skipped Helm template -> its chart folder (display paths)
        self.tool = ToolInfo() if tool is None else tool  # the linter's name, version and links, as reports name it
        self.rendered = rendered  # entry points (overlays) rendered and linted (pipeline/render.py)
        self.notes = notes  # lines the summary adds: what the run could not do (rendered checks skipped, and why)

    @property
    def failed(self) -> bool:
        return any(finding.severity >= self.fail_on for finding in self.findings)

    def on_changed_line(self, finding: Finding) -> bool:
        return touches(finding, (self.changed_lines or {}).get(finding.location.path, ()))


def touches(finding: Finding, ranges: LineRanges) -> bool:
    """Whether the finding's lines overlap any of the (first, last) ranges.

    A block mapping or list ends where the next token starts: an end column at or left of the start column is only
    indentation, so that last line is not part of the finding."""
    loc = finding.location
    end = loc.end_line - 1 if loc.end_line > loc.line and loc.end_col <= loc.col else max(loc.end_line, loc.line)
    return any(first <= end and loc.line <= last for first, last in ranges)
