"""Human output: `path:line:col: severity [policy-id] message`, one per line, then a one-line summary."""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from gitops_tools.lint import LintResult
from gitops_tools.model import Finding, Severity
from gitops_tools.reporters import Style

_COLORS = {Severity.ERROR: "\033[31m", Severity.WARNING: "\033[33m", Severity.INFO: "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def format_finding(finding: Finding, color: bool = False) -> str:
    severity, policy = str(finding.severity), f"[{finding.policy_id}]"
    if color:
        severity = f"{_COLORS[finding.severity]}{severity}{_RESET}"
        policy = f"{_DIM}{policy}{_RESET}"
        return f"{_BOLD}{finding.location}{_RESET}: {severity} {policy} {finding.message}"
    return f"{finding.location}: {severity} {policy} {finding.message}"


def summary(result: LintResult) -> str:
    checked = (f"{_plural(result.files, 'file')}, {_plural(result.documents, 'document')}, "
               f"{_plural(result.policies, 'policy', 'policies')}")
    fixed = f" {_plural(result.fixed, 'baseline finding')} fixed." if result.fixed else ""
    if not result.findings:
        return f"No findings ({checked}).{fixed}"
    counts = Counter(f.severity for f in result.findings)
    parts = ", ".join(_plural(counts[s], str(s)) for s in sorted(counts, reverse=True))
    return f"Found {_plural(len(result.findings), 'finding')}: {parts} ({checked}).{fixed}"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    for finding in result.findings:
        stream.write(format_finding(finding, style.color) + "\n")
    stream.write(summary(result) + "\n")
