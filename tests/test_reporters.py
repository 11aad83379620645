"""Golden output of every reporter: the exact bytes users and machines read."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from gitops_tools import __version__
from gitops_tools.lint import LintResult
from gitops_tools.model import Finding, Location, Severity
from gitops_tools.reporters import Style, available_formats, get_reporter

CliRun = Callable[..., tuple[int, str, str]]
FileWriter = Callable[[Mapping[str, str | bytes]], list[Path]]

RESULT = LintResult(
    findings=[
        Finding("recommended-labels-set", Severity.WARNING, "recommended label app.kubernetes.io/name is missing",
                Location("deploy/web.yaml", 3, 1, 6, 1), "0123456789abcdef0123456789abcdef"),
        Finding("container-image-tag-not-latest", Severity.ERROR, "container image uses the latest tag",
                Location("deploy/web.yaml", 9, 11, 9, 28), "fedcba9876543210fedcba9876543210"),
        Finding("yaml-syntax", Severity.ERROR, "YAML syntax error: mapping values are not allowed in this context",
                Location("values.yaml", 2, 16), "00000000000000000000000000000000"),
        Finding("container-image-pull-policy-always", Severity.INFO, "container image pull policy is not Always",
                Location("worker.json", 12, 7, 14, 8), "11111111111111111111111111111111"),
    ],
    files=3,
    documents=4,
    policies=52,
)
EMPTY = LintResult(files=1, documents=1, policies=1)


def render(name: str, result: LintResult, color: bool = False) -> str:
    stream = io.StringIO()
    get_reporter(name)(result, stream, Style(color=color))
    return stream.getvalue()


def test_formats_are_the_reporter_modules() -> None:
    assert available_formats() == ["json", "text"]
    with pytest.raises(ValueError, match="unknown format"):
        get_reporter("xml")


def test_text_golden() -> None:
    assert render("text", RESULT) == (
        "deploy/web.yaml:3:1: warning [recommended-labels-set] recommended label app.kubernetes.io/name is missing\n"
        "deploy/web.yaml:9:11: error [container-image-tag-not-latest] container image uses the latest tag\n"
        "values.yaml:2:16: error [yaml-syntax] YAML syntax error: mapping values are not allowed in this context\n"
        "worker.json:12:7: info [container-image-pull-policy-always] container image pull policy is not Always\n"
        "Found 4 findings: 2 errors, 1 warning, 1 info (3 files, 4 documents, 52 policies).\n"
    )


def test_text_golden_in_colour() -> None:
    bold, dim, reset, red, yellow = "\x1b[1m", "\x1b[2m", "\x1b[0m", "\x1b[31m", "\x1b[33m"
    lines = render("text", RESULT, color=True).splitlines()
    assert lines[0] == (f"{bold}deploy/web.yaml:3:1{reset}: {yellow}warning{reset} {dim}[recommended-labels-set]{reset}"
                        " recommended label app.kubernetes.io/name is missing")
    assert lines[1] == (f"{bold}deploy/web.yaml:9:11{reset}: {red}error{reset} "
                        f"{dim}[container-image-tag-not-latest]{reset} container image uses the latest tag")
    assert lines[3].startswith(f"{bold}worker.json:12:7{reset}: \x1b[36minfo{reset} ")
    assert lines[4] == "Found 4 findings: 2 errors, 1 warning, 1 info (3 files, 4 documents, 52 policies)."


@pytest.mark.parametrize(
    ("result", "summary"),
    [
        pytest.param(EMPTY, "No findings (1 file, 1 document, 1 policy).", id="singular"),
        pytest.param(LintResult(), "No findings (0 files, 0 documents, 0 policies).", id="zero"),
        pytest.param(LintResult(findings=RESULT.findings[1:2], files=2, documents=0, policies=2),
                     "Found 1 finding: 1 error (2 files, 0 documents, 2 policies).", id="one-finding"),
    ],
)
def test_text_summary_golden(result: LintResult, summary: str) -> None:
    assert render("text", result).splitlines()[-1] == summary


def test_json_golden() -> None:
    assert render("json", RESULT) == f"""\
{{
  "version": 1,
  "tool": {{
    "name": "gitops-tools",
    "version": "{__version__}"
  }},
  "summary": {{
    "files": 3,
    "documents": 4,
    "policies": 52,
    "findings": 4,
    "error": 2,
    "warning": 1,
    "info": 1
  }},
  "findings": [
    {{
      "path": "deploy/web.yaml",
      "line": 3,
      "column": 1,
      "end_line": 6,
      "end_column": 1,
      "policy_id": "recommended-labels-set",
      "severity": "warning",
      "message": "recommended label app.kubernetes.io/name is missing",
      "fingerprint": "0123456789abcdef0123456789abcdef"
    }},
    {{
      "path": "deploy/web.yaml",
      "line": 9,
      "column": 11,
      "end_line": 9,
      "end_column": 28,
      "policy_id": "container-image-tag-not-latest",
      "severity": "error",
      "message": "container image uses the latest tag",
      "fingerprint": "fedcba9876543210fedcba9876543210"
    }},
    {{
      "path": "values.yaml",
      "line": 2,
      "column": 16,
      "end_line": 2,
      "end_column": 16,
      "policy_id": "yaml-syntax",
      "severity": "error",
      "message": "YAML syntax error: mapping values are not allowed in this context",
      "fingerprint": "00000000000000000000000000000000"
    }},
    {{
      "path": "worker.json",
      "line": 12,
      "column": 7,
      "end_line": 14,
      "end_column": 8,
      "policy_id": "container-image-pull-policy-always",
      "severity": "info",
      "message": "container image pull policy is not Always",
      "fingerprint": "11111111111111111111111111111111"
    }}
  ]
}}
"""


def test_json_golden_without_findings() -> None:
    document = json.loads(render("json", EMPTY))
    assert document["summary"] == {"files": 1, "documents": 1, "policies": 1, "findings": 0, "error": 0,
                                   "warning": 0, "info": 0}
    assert document["findings"] == []


def test_json_ignores_colour() -> None:
    assert render("json", RESULT, color=True) == render("json", RESULT)


def test_json_keeps_non_ascii_text_valid() -> None:
    result = LintResult(findings=[Finding("yaml-syntax", Severity.ERROR, "bad “quote” in grüße",
                                          Location("dir/ünïcode.yaml", 1, 2))])
    assert json.loads(render("json", result))["findings"][0]["path"] == "dir/ünïcode.yaml"
    assert json.loads(render("json", result))["findings"][0]["message"] == "bad “quote” in grüße"


# --- end to end: a fixed small input through the real CLI ------------------------------------------------------------

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: app:latest
      securityContext: {privileged: true}
"""
SELECT = "container-image-tag-not-latest,container-not-privileged,container-capabilities-drop-all"


def test_text_golden_end_to_end(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD, "values.yaml": "replicas: 2\n"})
    assert run_cli("lint", "--select", SELECT, ".") == (1, """\
pod.yaml:7:7: error [container-image-tag-not-latest] container image uses the latest tag
pod.yaml:8:7: warning [container-capabilities-drop-all] container does not drop all capabilities
pod.yaml:8:25: error [container-not-privileged] container runs privileged
Found 3 findings: 2 errors, 1 warning (2 files, 2 documents, 3 policies).
""", "")


def test_json_golden_end_to_end(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD, "values.yaml": "replicas: 2\n"})
    code, out, err = run_cli("lint", "--format", "json", "--select", SELECT, ".")
    assert (code, err) == (1, "")
    assert json.loads(out) == {
        "version": 1,
        "tool": {"name": "gitops-tools", "version": __version__},
        "summary": {"files": 2, "documents": 2, "policies": 3, "findings": 3, "error": 2, "warning": 1, "info": 0},
        "findings": [
            {"path": "pod.yaml", "line": 7, "column": 7, "end_line": 7, "end_column": 24,
             "policy_id": "container-image-tag-not-latest", "severity": "error",
             "message": "container image uses the latest tag", "fingerprint": "0f2d133f9d79473c213c525513ba2e6c"},
            {"path": "pod.yaml", "line": 8, "column": 7, "end_line": 8, "end_column": 42,
             "policy_id": "container-capabilities-drop-all", "severity": "warning",
             "message": "container does not drop all capabilities", "fingerprint": "04674a71a9c8b4659d1f2c57be096a2b"},
            {"path": "pod.yaml", "line": 8, "column": 25, "end_line": 8, "end_column": 41,
             "policy_id": "container-not-privileged", "severity": "error",
             "message": "container runs privileged", "fingerprint": "d4a307f64745744e177ad31f184477c7"},
        ],
    }
