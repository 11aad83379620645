"""Machine output, a stable documented structure (version 1):

    {"version": 1, "tool": {"name": "gitops-tools", "version": "..."},
     "summary": {"files": N, "documents": N, "policies": N, "findings": N, "rendered": N, "error": N, "warning": N,
                 "info": N},
     "findings": [{"path", "line", "column", "end_line", "end_column", "policy_id", "severity", "message",
                   "fingerprint", "repo_path", "document", "pointer", "detail", "overlays"}, ...],
     "skipped": [{"path", "reason"}, ...],   # files not linted, and why (e.g. "Helm chart template")
     "notes": ["..."]}

A skipped Helm chart template also has "chart" (the chart folder) and "hint" (the command that lints the chart
rendered: `helm template CHART | gitops-tools lint -`).

For a fixer: `repo_path` is the file from the repository root (null for stdin and files outside it), `document`
the document's 0-based index in the file and `pointer` the RFC 6901 JSON pointer of the offending value in it (both
null for a problem with the file itself, and for a finding on rendered objects), `detail` the validator's own words
("" when it has none), `overlays` the kustomize entry points whose rendering has the finding ([] for a finding in the
file as written). `summary.rendered` counts the entry points rendered; `notes` holds what the run could not do (the
rendered checks skipped for want of a kustomize binary).

Lines and columns are 1-based; findings are sorted by path, line, column, policy id.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, TextIO

from gitops_tools.discovery import helm_template_command
from gitops_tools.findings import Finding, LintResult
from gitops_tools.model import Severity
from gitops_tools.reporters import Style, _jsonstream


def finding_record(finding: Finding) -> dict[str, Any]:
    loc = finding.location
    return {
        "path": loc.path,
        "line": loc.line,
        "column": loc.col,
        "end_line": loc.end_line or loc.line,
        "end_column": loc.end_col or loc.col,
        "policy_id": finding.policy_id,
        "severity": str(finding.severity),
        "message": finding.message,
        "fingerprint": finding.fingerprint,
        "repo_path": finding.repo_path,
        "document": finding.document,
        "pointer": finding.pointer,
        "detail": finding.detail,
        "overlays": list(finding.overlays),
    }


def skipped_record(path: str, why: str, result: LintResult) -> dict[str, str]:
    chart = result.charts.get(path)
    if chart is None:
        return {"path": path, "reason": why}
    return {"path": path, "reason": why, "chart": chart, "hint": helm_template_command(chart)}


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    counts = Counter(str(f.severity) for f in result.findings)
    document = {
        "version": 1,
        "tool": {"name": result.tool.name, "version": result.tool.version},
        "summary": {
            "files": result.files,
            "documents": result.documents,
            "policies": result.policies,
            "findings": len(result.findings),
            "rendered": result.rendered,
            **{str(severity): counts[str(severity)] for severity in sorted(Severity, reverse=True)},
        },
        "findings": _jsonstream.ITEMS,  # written one finding at a time
        "skipped": [skipped_record(path, why, result) for why, paths in sorted(result.skipped.items())
                    for path in paths],
        "notes": list(result.notes),
    }
    _jsonstream.dump(document, (finding_record(f) for f in result.findings), stream)
