"""GitLab Code Quality: the JSON array a job publishes as `artifacts:reports:codequality`.

    [{"check_name": "container-image-tag-not-latest", "description": "[container-image-tag-not-latest] ...",
      "fingerprint": "...", "location": {"lines": {"begin": 9, "end": 9}, "path": "deploy/web.yaml"},
      "severity": "critical"}, ...]

Paths are relative to the repository root, as GitLab matches them to the merge request diff. GitLab tells new from
resolved issues by fingerprint and requires each to be unique: the finding's content fingerprint is used as it is,
since the filter chain already gave identical findings distinct ones (pipeline/filters.py, unique_fingerprints).
The output is deterministic: findings in their usual order.
"""

from __future__ import annotations

from typing import Any, TextIO

from gitops_tools.findings import Finding, LintResult, described
from gitops_tools.model import Severity
from gitops_tools.reporters import Style, _jsonstream
from gitops_tools.reporters._repopath import finding_repo_path

# GitLab's scale is info < minor < major < critical < blocker. An error is a manifest that is broken or unsafe to
# deploy: critical. A warning fails the run by default (fail_on: warning) and should be fixed before merging: major.
# Info is advice that never fails a run: info. Blocker is left unused, so GitLab's own worst level stays free for
# analysers that know more than a manifest linter about what blocks a release.
SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def report(result: LintResult, stream: TextIO, style: Style) -> None:
    _jsonstream.dump(_jsonstream.ITEMS, (issue(finding, result) for finding in result.findings), stream)


def issue(finding: Finding, result: LintResult) -> dict[str, Any]:
    loc = finding.location
    return {
        "check_name": finding.policy_id,
        "description": f"[{finding.policy_id}] {described(finding)}",
        "fingerprint": finding.fingerprint,
        "severity": SEVERITIES[finding.severity],
        "location": {"path": finding_repo_path(result, finding) or loc.path,
                     "lines": {"begin": loc.line, "end": max(loc.end_line, loc.line)}},
    }

