"""GitHub Actions: workflow commands that annotate the pull request diff and the run page, then the summary line.

    ::error file=deploy/web.yaml,line=9,col=11,endLine=9,endColumn=28,title=[id] title::message

(`::warning` for warnings, `::notice` for info). Files are relative to the repository root, as GitHub matches them.
GitHub annotates at most 10 errors, 10 warnings and 10 notices per step, so findings on lines the change touched
(`--changed-since`) come first; the log still lists every one. When GITHUB_STEP_SUMMARY names a file, the caller
appends this format's attachment to it, a markdown summary: counts by severity and a table of the first 200 findings.
"""

from __future__ import annotations

from collections import Counter
from typing import TextIO

from gitops_tools.findings import Finding, LintResult, described
from gitops_tools.model import Severity
from gitops_tools.reporters import Attachment, Style
from gitops_tools.reporters._repopath import STDIN, finding_repo_path
from gitops_tools.reporters.text import summary

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
ANNOTATIONS_SHOWN = 10  # per kind, per step
TABLE_ROWS = 200


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    findings = prioritised(result)
    for finding in findings:
        stream.write(annotation(finding, result) + "\n")
    stream.write(summary(result) + "\n")
    counts = Counter(finding.severity for finding in findings)
    if any(count > ANNOTATIONS_SHOWN for count in counts.values()):
        stream.write(f"GitHub annotates the first {ANNOTATIONS_SHOWN} errors, warnings and notices of a step; "
                     f"the log above lists all {len(findings)} findings.\n")


def prioritised(result: LintResult) -> list[Finding]:
    """Findings on changed lines first, then the rest, each group in the usual order (the sort is stable)."""
    return sorted(result.findings, key=lambda finding: not result.on_changed_line(finding))


def annotation(finding: Finding, result: LintResult) -> str:
    policy = result.rules.get(finding.policy_id)
    title = f"[{finding.policy_id}] {policy.title}" if policy else f"[{finding.policy_id}]"
    loc, message = finding.location, described(finding)
    properties: dict[str, object] = {}
    if loc.path == STDIN:
        message = f"{loc}: {message}"  # no file to attach it to: say where in the message
    else:
        end = max((loc.line, loc.col), (loc.end_line or loc.line, loc.end_col or loc.col))
        properties = {"file": finding_repo_path(result, finding) or loc.path, "line": loc.line, "col": loc.col,
                      "endLine": end[0], "endColumn": end[1]}
    properties["title"] = title
    fields = ",".join(f"{name}={escape_property(str(value))}" for name, value in properties.items())
    return f"::{COMMANDS[finding.severity]} {fields}::{escape_data(message)}"


def escape_data(text: str) -> str:
    """What GitHub's toolkit escapes in a command's message: `%`, carriage return, line feed."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value also escapes `:` and `,`, which would end it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def step_summary(result: LintResult) -> str:
    """The job summary's markdown: counts by severity, then the findings in annotation order, capped."""
    findings = prioritised(result)
    counts = Counter(finding.severity for finding in findings)
    lines = ["## gitops-tools", "", summary(result), "", "| severity | findings |", "| --- | ---: |"]
    lines += [f"| {severity} | {counts[severity]} |" for severity in sorted(Severity, reverse=True)]
    if result.changed_lines is not None:
        lines += ["", f"On changed lines: {sum(map(result.on_changed_line, findings))}."]
    if result.fixed:
        lines += ["", f"Fixed since the baseline: {result.fixed}."]
    if findings:
        lines += ["", "| severity | location | policy | message |", "| --- | --- | --- | --- |"]
        lines += [f"| {finding.severity} | {_cell(str(finding.location))} | {_cell(finding.policy_id)} | "
                  f"{_cell(described(finding))} |" for finding in findings[:TABLE_ROWS]]
    if len(findings) > TABLE_ROWS:
        lines += ["", f"The first {TABLE_ROWS} of {len(findings)} findings are listed; the job log has them all."]
    return "\n".join(lines) + "\n\n"


def _cell(text: str) -> str:
    """Table-cell text: no HTML from file content, `|` escaped, line breaks kept as <br>."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "<br>")


def unwritable_summary(path: str, reason: str) -> str:
    """The warning the log shows when the job summary cannot be appended to."""
    return f"::warning title=gitops-tools::{escape_data(f'cannot append the job summary to {path}: {reason}')}"


ATTACHMENTS = (Attachment("GITHUB_STEP_SUMMARY", step_summary, unwritable_summary),)
