"""Human output: `path:line:col: severity [policy-id] message`, one per line, then a one-line summary."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from gitops_tools.discovery import FOLDER_LINK, HELM_TEMPLATE, helm_template_command
from gitops_tools.display import printable
from gitops_tools.findings import Finding, LintResult, described
from gitops_tools.model import Severity
from gitops_tools.reporters import Style

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"
NOT_RENDERED = "not YAML until rendered"
SKIP_ADVICE = {
    HELM_TEMPLATE: f"{NOT_RENDERED}; lint the rendered chart: `{helm_template_command('CHART')}`",
    FOLDER_LINK: "not followed; name the folder it points to to lint it",
}


def format_finding(finding: Finding, color: bool = False) -> str:
    """One line, whatever the path or message hold: control characters are escaped, never sent to the terminal."""
    severity, policy, message = str(finding.severity), f"[{finding.policy_id}]", printable(described(finding))
    location = printable(str(finding.location))
    if color:
        severity = f"{_COLORS[finding.severity]}{severity}{_RESET}"
        policy = f"{_DIM}{policy}{_RESET}"
        return f"{_BOLD}{location}{_RESET}: {severity} {policy} {message}"
    return f"{location}: {severity} {policy} {message}"


def summary(result: LintResult) -> str:
    checked = (f"{_plural(result.files, 'file')}, {_plural(result.documents, 'document')}, "
               f"{_plural(result.policies, 'policy', 'policies')}"
               + (f", {_plural(result.rendered, 'kustomization')} rendered" if result.rendered else ""))
    fixed = f" {_plural(result.fixed, 'baseline finding')} fixed." if result.fixed else ""
    skipped = "".join(f"\nSkipped {_plural(len(paths), why)}{_skip_advice(why, result)}."
                      for why, paths in sorted(result.skipped.items())) + "".join(f"\n{note}" for note in result.notes)
    if not result.findings:
        return f"No findings ({checked}).{fixed}{skipped}"
    counts = Counter(f.severity for f in result.findings)
    parts = ", ".join(_plural(counts[s], str(s)) for s in sorted(counts, reverse=True))
    return f"Found {_plural(len(result.findings), 'finding')}: {parts} ({checked}).{fixed}{skipped}"


def _skip_advice(why: str, result: LintResult) -> str:
    """Why files were not linted and how to lint them; for Helm templates, in which charts and the commands."""
    charts = sorted(set(result.charts.values())) if why == HELM_TEMPLATE else []
    if not charts:
        return f": {SKIP_ADVICE.get(why, 'not linted')}"
    folders = ", ".join(chart.rstrip("/") + "/" for chart in charts)
    commands = ", ".join(f"`{helm_template_command(chart)}`" for chart in charts)
    each = "the rendered chart" if len(charts) == 1 else "each rendered chart"
    return f" in {folders}: {NOT_RENDERED}; lint {each}: {commands}"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    for finding in result.findings:
        stream.write(format_finding(finding, style.color) + "\n")
    stream.write(summary(result) + "\n")
