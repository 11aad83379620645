"""Golden output of every reporter: the exact bytes users and machines read."""

from __future__ import annotations

import email.message
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import CONSOLE_SCRIPT, CliRun, FileWriter, ReadmeSnippet

from gitops_tools import __version__
from gitops_tools.cli import main
from gitops_tools.commands.lint import write_report
from gitops_tools.findings import Finding
from gitops_tools.fingerprint import repeat_fingerprint
from gitops_tools.lint import LintResult
from gitops_tools.model import Location, Policy, Severity, Targets
from gitops_tools.pipeline import result as result_phase
from gitops_tools.reporters import Style, available_formats, get_format, get_reporter

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
    assert available_formats() == ["github", "gitlab", "json", "junit", "sarif", "text"]
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


def test_skipped_files_are_counted_in_text_and_listed_in_json() -> None:
    skipped = EMPTY._replace(skipped={"Helm chart template": ["chart/templates/a.yaml", "chart/templates/b.yaml"]})
    assert render("text", skipped) == (
        "No findings (1 file, 1 document, 1 policy).\n"
        "Skipped 2 Helm chart templates: not YAML until rendered; lint the rendered chart: "
        "`helm template CHART | gitops-tools lint -`.\n")
    assert json.loads(render("json", skipped))["skipped"] == [
        {"path": "chart/templates/a.yaml", "reason": "Helm chart template"},
        {"path": "chart/templates/b.yaml", "reason": "Helm chart template"},
    ]


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
    "rendered": 0,
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
      "fingerprint": "0123456789abcdef0123456789abcdef",
      "repo_path": null,
      "document": null,
      "pointer": null,
      "detail": "",
      "overlays": []
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
      "fingerprint": "fedcba9876543210fedcba9876543210",
      "repo_path": null,
      "document": null,
      "pointer": null,
      "detail": "",
      "overlays": []
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
      "fingerprint": "00000000000000000000000000000000",
      "repo_path": null,
      "document": null,
      "pointer": null,
      "detail": "",
      "overlays": []
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
      "fingerprint": "11111111111111111111111111111111",
      "repo_path": null,
      "document": null,
      "pointer": null,
      "detail": "",
      "overlays": []
    }}
  ],
  "skipped": [],
  "notes": []
}}
"""


def test_json_golden_without_findings() -> None:
    document = json.loads(render("json", EMPTY))
    assert document["summary"] == {"files": 1, "documents": 1, "policies": 1, "findings": 0, "rendered": 0,
                                   "error": 0, "warning": 0, "info": 0}
    assert document["findings"] == []


def test_json_ignores_colour() -> None:
    assert render("json", RESULT, color=True) == render("json", RESULT)


def test_json_keeps_non_ascii_text_valid() -> None:
    result = LintResult(findings=[Finding("yaml-syntax", Severity.ERROR, "bad “quote” in grüße",
                                          Location("dir/ünïcode.yaml", 1, 2))])
    assert json.loads(render("json", result))["findings"][0]["path"] == "dir/ünïcode.yaml"
    assert json.loads(render("json", result))["findings"][0]["message"] == "bad “quote” in grüße"


# The json format's structure is published as a JSON Schema (schemas/resources/report.schema.json), every field
# described; every json report the tests make is checked against it.

def report_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((ROOT / "schemas" / "resources" / "report.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def valid_report(text: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(text)
    errors = [f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in report_validator().iter_errors(document)]
    assert errors == []
    return document


CHARTED = EMPTY._replace(skipped={"Helm chart template": ["chart/templates/a.yaml"]},
                  charts={"chart/templates/a.yaml": "chart"})


@pytest.mark.parametrize("result", [RESULT, EMPTY, CHARTED, LintResult()],
                         ids=["findings", "clean", "chart", "nothing"])
def test_json_reports_follow_the_published_schema(result: LintResult) -> None:
    assert len(valid_report(render("json", result))["findings"]) == len(result.findings)


def test_the_json_schema_describes_every_field_and_rejects_what_the_format_never_writes() -> None:
    from gitops_tools.reporters.json import finding_record

    schema = report_validator().schema
    finding = schema["$defs"]["finding"]
    assert finding["required"] == list(finding_record(RESULT.findings[0]))  # every field, in the order written
    assert all("description" in field or field.get("enum") for field in finding["properties"].values())
    document = valid_report(render("json", RESULT))
    document["findings"][0]["fingerprint"] = "not-hex"
    del document["findings"][1]["detail"]
    document["findings"][2]["pointer"] = "spec/containers"  # a pointer starts with /
    assert len(list(report_validator().iter_errors(document))) == 3


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
TAG_ID = "container-image-tag-not-latest"


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
    assert valid_report(out) == {
        "version": 1,
        "tool": {"name": "gitops-tools", "version": __version__},
        "summary": {"files": 2, "documents": 2, "policies": 3, "findings": 3, "rendered": 0, "error": 2, "warning": 1,
                    "info": 0},
        "findings": [
            {"path": "pod.yaml", "line": 7, "column": 7, "end_line": 7, "end_column": 24,
             "policy_id": "container-image-tag-not-latest", "severity": "error",
             "message": "container image uses the latest tag", "fingerprint": "95a2cb49ae27059894e574ba974f849c",
             "repo_path": "pod.yaml", "document": 0, "pointer": "/spec/containers/0/image",
             "detail": '{"pattern":"^(?:.*/)?[^/:@]+:latest$"} is not allowed for "app:latest"', "overlays": []},
            {"path": "pod.yaml", "line": 8, "column": 7, "end_line": 8, "end_column": 42,
             "policy_id": "container-capabilities-drop-all", "severity": "warning",
             "message": "container does not drop all capabilities", "fingerprint": "2b1273aa13aadcaf05c19fde0b303fec",
             "repo_path": "pod.yaml", "document": 0, "pointer": "/spec/containers/0/securityContext",
             "detail": '"capabilities" is a required property', "overlays": []},
            {"path": "pod.yaml", "line": 8, "column": 25, "end_line": 8, "end_column": 41,
             "policy_id": "container-not-privileged", "severity": "error",
             "message": "container runs privileged", "fingerprint": "98cf0d13496c3ef838ea2e996edaee60",
             "repo_path": "pod.yaml", "document": 0, "pointer": "/spec/containers/0/securityContext/privileged",
             "detail": '{"const":true} is not allowed for true', "overlays": []},
        ],
        "skipped": [],
        "notes": [],
    }


# --- CI formats: sarif, github, gitlab, junit ------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
SARIF_SCHEMA = ROOT / "schemas" / "vendor" / "sarif-schema-2.1.0.json"
SARIF_SCHEMA_ID = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_SCHEMA_SHA256 = "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")  # RFC 3986 characters, nothing raw


def rule(policy_id: str, severity: Severity, title: str, domain: str = "kubernetes", docs: str = "",
         fix: str | None = None, references: tuple[str, ...] = ()) -> Policy:
    return Policy(policy_id, title, severity, title.lower(), Targets("container"), docs or f"{title}.\n",
                  f"schemas/policies/{domain}/{policy_id}.yaml", fix=fix, references=references)


# Every active rule, one without findings among them; container-image-pull-policy-always is left out on purpose: a
# finding whose rule the result does not describe still gets a rule descriptor.
RULES = {policy.id: policy for policy in [
    rule("container-image-tag-not-latest", Severity.ERROR, "Container images do not use the latest tag",
         docs="`latest` is a moving pointer,\nnot a version.\n\n**How to fix:** deploy an immutable tag.\n",
         fix="replace :latest with a version tag or digest",
         references=("https://kubernetes.io/docs/concepts/containers/images/#image-names",)),
    rule("container-not-privileged", Severity.ERROR, "Containers do not run privileged"),
    rule("recommended-labels-set", Severity.WARNING, "Workloads carry the recommended labels"),
    rule("yaml-syntax", Severity.ERROR, "Files are valid YAML", domain="core",
         fix="correct the YAML at the reported line and column"),
]}
LINTED = ["deploy/web.yaml", "kustomization.yaml", "values.yaml", "worker.json"]


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LintResult:
    """RESULT with its rules and linted files, run from the root of a repository at tmp_path; the tool as the result
    phase describes it for a format with TOOL_LINKS (from the installed package's metadata)."""
    monkeypatch.chdir(tmp_path)
    return RESULT._replace(rules=RULES, root=tmp_path, cwd=tmp_path, paths=LINTED, files=len(LINTED),
                   tool=result_phase.tool(links=True))


def golden(name: str, root: Path) -> str:
    text = (GOLDEN / name).read_text(encoding="utf-8")
    return text.replace("@VERSION@", __version__).replace("@ROOT@", root.as_uri())


@pytest.mark.parametrize(("name", "golden_file"), [("sarif", "sarif.json"), ("github", "github.txt"),
                                                   ("gitlab", "gitlab.json"), ("junit", "junit.xml")])
def test_ci_format_golden(repo: LintResult, name: str, golden_file: str) -> None:
    assert render(name, repo) == golden(golden_file, repo.root)


@pytest.mark.parametrize("name", ["sarif", "github", "gitlab", "junit"])
def test_ci_formats_are_deterministic_and_ignore_colour(repo: LintResult, name: str) -> None:
    assert render(name, repo, color=True) == render(name, repo) == render(name, repo._replace())


# --- sarif ---

def sarif_validator() -> Any:
    from jsonschema.validators import validator_for
    from referencing import Registry

    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    return validator_for(schema)(schema, registry=Registry())  # an empty registry: a remote $ref cannot load


def valid_sarif(text: str) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(text)
    errors = [f"/{'/'.join(map(str, error.absolute_path))}: {error.message}"
              for error in sarif_validator().iter_errors(log)]
    assert errors == []
    for result in log["runs"][0]["results"]:
        for location in result["locations"]:
            assert URI_REFERENCE.fullmatch(location["physicalLocation"]["artifactLocation"]["uri"])
    return log


def test_the_vendored_sarif_schema_is_the_official_one_unmodified() -> None:
    raw = SARIF_SCHEMA.read_bytes()
    schema = json.loads(raw)
    assert hashlib.sha256(raw).hexdigest() == SARIF_SCHEMA_SHA256
    assert (schema["id"], schema["properties"]["version"]["enum"]) == (SARIF_SCHEMA_ID, ["2.1.0"])
    assert SARIF_SCHEMA.with_suffix(".LICENSE").read_text(encoding="utf-8").count(SARIF_SCHEMA_SHA256) == 1
    refs = re.findall(r'"\$ref": "([^"]*)"', raw.decode("utf-8"))
    assert refs and all(ref.startswith("#/definitions/") for ref in refs), "the schema must not need the network"


def test_the_sarif_validator_rejects_a_broken_log(repo: LintResult) -> None:
    log = json.loads(render("sarif", repo))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del log["version"]
    assert len(list(sarif_validator().iter_errors(log))) == 2


@pytest.mark.parametrize("result", [RESULT, EMPTY, LintResult()], ids=["without-rules", "empty", "nothing"])
def test_sarif_is_valid(result: LintResult) -> None:
    log = valid_sarif(render("sarif", result))
    assert len(log["runs"][0]["results"]) == len(result.findings)


def test_sarif_lists_every_active_rule_and_results_point_at_theirs(repo: LintResult) -> None:
    run = valid_sarif(render("sarif", repo))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted({*RULES, "container-image-pull-policy-always"})
    assert "container-not-privileged" not in {result["ruleId"] for result in run["results"]}
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    tag = rules[[r["id"] for r in rules].index("container-image-tag-not-latest")]
    assert tag["fullDescription"] == {"text": "`latest` is a moving pointer, not a version."}
    assert tag["defaultConfiguration"] == {"level": "error"} and tag["properties"] == {"tags": ["kubernetes"]}
    assert tag["helpUri"].endswith("/docs/rules.md#container-image-tag-not-latest")


# The tool's name, version and links come from the installed package's metadata (pyproject's [project.urls]).

def project_urls(meta: Any) -> dict[str, str]:
    return {label.strip(): url.strip() for label, _, url in (entry.partition(",") for entry in
                                                               meta.get_all("Project-URL") or [])}


def test_sarif_names_the_tool_by_the_installed_package_metadata(repo: LintResult) -> None:
    meta = importlib.metadata.metadata("gitops-tools")
    urls = project_urls(meta)
    assert urls == tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"], \
        "the installed metadata is stale: reinstall (make install)"
    driver = valid_sarif(render("sarif", repo))["runs"][0]["tool"]["driver"]
    assert (driver["version"], driver["semanticVersion"], driver["informationUri"]) == (
        meta["Version"], meta["Version"], urls["Homepage"])
    assert [rule["helpUri"] for rule in driver["rules"]] == [f"{urls['Rules']}#{rule['id']}"
                                                              for rule in driver["rules"]]


def test_sarif_tool_links_follow_the_metadata_of_a_fork(repo: LintResult, monkeypatch: pytest.MonkeyPatch) -> None:
    fork = email.message.Message()
    fork["Name"], fork["Version"] = "gitops-tools", "9.8.7"
    fork["Project-URL"] = "homepage, https://git.example.org/platform/gitops-tools"
    fork["Project-URL"] = "Rules, https://docs.example.org/gitops-tools/rules.html"
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: fork)
    forked = repo._replace(tool=result_phase.tool(links=True))  # the result phase reads the metadata, once
    driver = valid_sarif(render("sarif", forked))["runs"][0]["tool"]["driver"]
    assert (driver["version"], driver["informationUri"]) == ("9.8.7", "https://git.example.org/platform/gitops-tools")
    rules = "https://docs.example.org/gitops-tools/rules.html"
    assert driver["rules"][1]["helpUri"] == f"{rules}#{driver['rules'][1]['id']}"
    assert "example/gitops-tools" not in render("sarif", forked)


def test_sarif_without_package_metadata_leaves_the_links_out(repo: LintResult, monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "metadata", missing)
    bare = repo._replace(tool=result_phase.tool(links=True))
    driver = valid_sarif(render("sarif", bare))["runs"][0]["tool"]["driver"]
    assert (driver["version"], "informationUri" in driver) == (__version__, False)
    assert not any("helpUri" in rule for rule in driver["rules"])
    assert driver["rules"][0]["help"]["text"] == "See `gitops-tools explain container-image-pull-policy-always`"


def test_only_a_format_with_tool_links_has_the_run_read_the_package_metadata(run_cli: CliRun,
                                                                             write_files: FileWriter) -> None:
    """Reading the metadata costs about 16 ms: sarif asks for it (TOOL_LINKS), the others do not and get none."""
    assert [name for name in available_formats() if get_format(name).tool_links] == ["sarif"]
    assert result_phase.tool(links=False) == result_phase.tool(links=True)._replace(homepage=None, rules=None,
                                                                                    version=__version__)
    write_files({"pod.yaml": POD})
    _, out, _ = run_cli("lint", "--format", "sarif", "--select", SELECT, ".")
    urls = project_urls(importlib.metadata.metadata("gitops-tools"))
    assert valid_sarif(out)["runs"][0]["tool"]["driver"]["informationUri"] == urls["Homepage"]


# Tags and security-severity come from each policy's category (schemas/resources/categories.yaml).

SECURITY_SEVERITY = re.compile(r"(10|[0-9])\.[0-9]")  # GitHub: "0.0"-"10.0"
TAG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def test_every_sarif_rule_has_tags_and_only_security_rules_a_security_severity(
        run_cli: CliRun, write_files: FileWriter, policies: dict[str, Policy]) -> None:
    write_files({"pod.yaml": POD, ".gitops-tools.yaml": "policies:\n  container-not-privileged: {severity: warning}\n"
                                                       "  container-image-tag-not-latest: {severity: info}\n"})
    code, out, _ = run_cli("lint", "--format", "sarif", ".")
    rules = {rule["id"]: rule for rule in valid_sarif(out)["runs"][0]["tool"]["driver"]["rules"]}
    assert code == 1 and set(rules) == {policy.id for policy in policies.values() if policy.enabled}
    for rule in rules.values():
        properties = rule["properties"]
        assert properties["tags"] and all(TAG.fullmatch(tag) for tag in properties["tags"]), rule["id"]
        if "security" in properties["tags"]:
            score = properties["security-severity"]
            assert SECURITY_SEVERITY.fullmatch(score) and 0.1 <= float(score) <= 10.0, rule["id"]
        else:
            assert "security-severity" not in properties, rule["id"]
    assert sum("security-severity" in rule["properties"] for rule in rules.values()) >= 25
    # An error is a high alert (7.0-8.9), a warning medium (4.0-6.9), info low (0.1-3.9), as the run configures them.
    assert rules["container-capabilities-no-dangerous-add"]["properties"] == {"tags": ["security", "kubernetes"],
                                                                              "security-severity": "8.0"}
    assert rules["container-not-privileged"]["properties"]["security-severity"] == "5.5"
    assert rules["container-image-tag-not-latest"]["properties"] == {"tags": ["reliability", "kubernetes"]}
    assert rules["recommended-labels-set"]["properties"] == {"tags": ["maintainability", "kubernetes"]}
    assert rules["yaml-syntax"]["properties"] == {"tags": ["correctness", "core"]}


def test_a_policy_without_a_category_is_tagged_with_its_domain(repo: LintResult) -> None:
    rules = valid_sarif(render("sarif", repo))["runs"][0]["tool"]["driver"]["rules"]
    assert [rule["properties"] for rule in rules if rule["id"] == "container-not-privileged"] == [
        {"tags": ["kubernetes"]}]


@pytest.mark.parametrize(
    ("path", "artifact"),
    [
        pytest.param("dir/ünï code#1.yaml", {"uri": "dir/%C3%BCn%C3%AF%20code%231.yaml", "uriBaseId": "%SRCROOT%"},
                     id="percent-encoded"),
        pytest.param("./a/../b.yaml", {"uri": "b.yaml", "uriBaseId": "%SRCROOT%"}, id="normalised"),
        pytest.param("<stdin>", {"uri": "%3Cstdin%3E", "description": {"text": "standard input"}}, id="stdin"),
        pytest.param("../elsewhere/c.yaml", {"uri": "file:///outside/elsewhere/c.yaml"}, id="outside-the-root"),
    ],
)
def test_sarif_artifact_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str,
                                  artifact: dict[str, Any]) -> None:
    (tmp_path / "repo").mkdir()
    monkeypatch.chdir(tmp_path / "repo")
    result = LintResult(findings=[Finding("yaml-syntax", Severity.ERROR, "bad", Location(path, 4, 2))],
                        root=tmp_path / "repo")
    location = valid_sarif(render("sarif", result))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    expected = {**artifact, "uri": artifact["uri"].replace("file:///outside", tmp_path.as_uri())}
    assert location == {"artifactLocation": expected,
                        "region": {"startLine": 4, "startColumn": 2, "endLine": 4, "endColumn": 2}}


@pytest.mark.parametrize(
    ("location", "region"),
    [
        pytest.param(Location("a.yaml", 3, 5), (3, 5, 3, 5), id="point"),
        pytest.param(Location("a.yaml", 3, 5, 3, 9), (3, 5, 3, 9), id="same-line"),
        pytest.param(Location("a.yaml", 3, 5, 7, 2), (3, 5, 7, 2), id="lines"),
        pytest.param(Location("a.yaml", 3, 5, 3, 4), (3, 5, 3, 5), id="end-before-start"),
    ],
)
def test_sarif_regions(location: Location, region: tuple[int, int, int, int]) -> None:
    result = LintResult(findings=[Finding("yaml-syntax", Severity.ERROR, "bad", location)])
    got = valid_sarif(render("sarif", result))["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert tuple(got["region"].values()) == region


# --- github ---

def test_github_escapes_data_and_properties(repo: LintResult) -> None:
    finding = Finding("yaml-syntax", Severity.ERROR, "100% broken:\r\nline two, really", Location("we:ird,d/a%.yaml"))
    policy = rule("yaml-syntax", Severity.ERROR, "Title: with, punctuation 50%")
    out = render("github", repo._replace(findings=[finding], rules={"yaml-syntax": policy}))
    assert out.splitlines()[0] == (
        "::error file=we%3Aird%2Cd/a%25.yaml,line=1,col=1,endLine=1,endColumn=1,"
        "title=[yaml-syntax] Title%3A with%2C punctuation 50%25::100%25 broken:%0D%0Aline two, really")


def test_github_annotation_for_stdin_has_no_file(repo: LintResult) -> None:
    finding = Finding("yaml-syntax", Severity.INFO, "bad", Location("<stdin>", 2, 3))
    out = render("github", repo._replace(findings=[finding]))
    assert out.splitlines()[0] == "::notice title=[yaml-syntax] Files are valid YAML::<stdin>:2:3: bad"


def test_github_puts_findings_on_changed_lines_first(repo: LintResult) -> None:
    result = repo._replace(changed_lines={"worker.json": ((13, 20),), "values.yaml": ((1, 1),),
                                          "deploy/web.yaml": ((5, 5),)})  # 3:1-6:1 ends before line 6
    annotations = [line.split(" ")[1].split(",")[:2] for line in render("github", result).splitlines()[:4]]
    assert annotations == [["file=deploy/web.yaml", "line=3"], ["file=worker.json", "line=12"],
                           ["file=deploy/web.yaml", "line=9"], ["file=values.yaml", "line=2"]]


def test_github_says_when_annotations_are_capped(repo: LintResult) -> None:
    findings = [Finding("yaml-syntax", Severity.ERROR, "bad", Location(f"f{n:02d}.yaml")) for n in range(11)]
    assert render("github", repo._replace(findings=findings)).splitlines()[-1] == (
        "GitHub annotates the first 10 errors, warnings and notices of a step; the log above lists all 11 findings.")
    assert "annotates" not in render("github", repo._replace(findings=findings[:10]))


STEP_SUMMARY = """\
## gitops-tools

Found 4 findings: 2 errors, 1 warning, 1 info (4 files, 4 documents, 52 policies).

| severity | findings |
| --- | ---: |
| error | 2 |
| warning | 1 |
| info | 1 |

| severity | location | policy | message |
| --- | --- | --- | --- |
| warning | deploy/web.yaml:3:1 | recommended-labels-set | recommended label app.kubernetes.io/name is missing |
| error | deploy/web.yaml:9:11 | container-image-tag-not-latest | container image uses the latest tag |
| error | values.yaml:2:16 | yaml-syntax | YAML syntax error: mapping values are not allowed in this context |
| info | worker.json:12:7 | container-image-pull-policy-always | container image pull policy is not Always |

"""


def report_in(environment: dict[str, str], result: LintResult, name: str = "github") -> str:
    """What the CLI writes for `result` where `environment` holds these variables: the report, and the format's
    attachments appended to the files the variables name."""
    stream = io.StringIO()
    write_report(get_format(name), result, stream, Style(), environment)
    return stream.getvalue()


def test_github_appends_a_markdown_step_summary(repo: LintResult, tmp_path: Path) -> None:
    summary_file = tmp_path / "step-summary.md"
    summary_file.write_text("# An earlier step\n", encoding="utf-8")
    environment = {"GITHUB_STEP_SUMMARY": str(summary_file)}
    out = report_in(environment, repo)
    assert out == render("github", repo) == report_in({}, repo), "the annotations do not change"
    report_in(environment, repo)
    assert summary_file.read_text(encoding="utf-8") == "# An earlier step\n" + STEP_SUMMARY * 2
    assert report_in({"GITHUB_STEP_SUMMARY": ""}, repo) == out and report_in(environment, repo, "text") == render(
        "text", repo)  # an empty variable names no file; a format without attachments appends nothing
    assert summary_file.read_text(encoding="utf-8") == "# An earlier step\n" + STEP_SUMMARY * 2


def test_github_step_summary_end_to_end(run_cli: CliRun, write_files: FileWriter, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI appends the summary where GITHUB_STEP_SUMMARY says, with --output too."""
    write_files({"pod.yaml": POD})
    summary_file = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
    code, out, _ = run_cli("lint", "--format", "github", "--select", SELECT, ".")
    assert code == 1 and out.startswith("::error file=pod.yaml,line=7,")
    code, _, _ = run_cli("lint", "--format", "github", "--output", "report.txt", "--select", SELECT, ".")
    assert code == 1 and Path("report.txt").read_text(encoding="utf-8") == out
    summary = summary_file.read_text(encoding="utf-8")
    assert summary.count("## gitops-tools\n") == 2 and "| error | 2 |" in summary


def test_github_step_summary_escapes_cells_and_caps_the_table(repo: LintResult, tmp_path: Path) -> None:
    summary_file = tmp_path / "step-summary.md"
    odd = Finding("yaml-syntax", Severity.ERROR, "a | b <script>&\nnext", Location("<stdin>", 1, 2))
    many = [Finding("yaml-syntax", Severity.WARNING, "bad", Location(f"f{n:03d}.yaml")) for n in range(204)]
    changed = {"f203.yaml": ((1, 1),)}
    report_in({"GITHUB_STEP_SUMMARY": str(summary_file)},
              repo._replace(findings=[odd, *many], changed_lines=changed, fixed=3))
    lines = summary_file.read_text(encoding="utf-8").splitlines()
    rows = [line for line in lines if line.startswith(("| error |", "| warning |"))][2:]
    assert len(rows) == 200
    assert rows[:2] == ["| warning | f203.yaml:1:1 | yaml-syntax | bad |",
                        "| error | &lt;stdin&gt;:1:2 | yaml-syntax | a \\| b &lt;script&gt;&amp;<br>next |"]
    assert "On changed lines: 1." in lines and "Fixed since the baseline: 3." in lines
    assert lines[-2:] == ["The first 200 of 205 findings are listed; the job log has them all.", ""]


def test_github_reports_an_unwritable_step_summary_as_a_warning(repo: LintResult, tmp_path: Path) -> None:
    out = report_in({"GITHUB_STEP_SUMMARY": str(tmp_path)}, repo)  # a folder
    assert out.splitlines()[-1].startswith(f"::warning title=gitops-tools::cannot append the job summary to {tmp_path}")
    assert out.splitlines()[:-1] == render("github", repo).splitlines()


# --- gitlab ---

def test_gitlab_fingerprints_are_the_findings(repo: LintResult) -> None:
    """The filter chain makes fingerprints unique (pipeline/filters.py); Code Quality gets them as they are."""
    issues = json.loads(render("gitlab", repo))
    assert [issue["fingerprint"] for issue in issues] == [finding.fingerprint for finding in repo.findings]


TWICE = ("apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec:\n"
         "  containers: [{name: a, image: 'a:latest'}]\n")


def test_identical_findings_reach_gitlab_with_unique_fingerprints(run_cli: CliRun, write_files: FileWriter) -> None:
    """The same unnamed resource twice in a file, and two identical expired config entries: each pair of identical
    findings leaves the filter chain with two fingerprints, the first one the content's own."""
    write_files({"twice.yaml": TWICE + "---\n" + TWICE,
                 ".gitops-tools.yaml": "exclude:\n  - {path: 'old/*', expires: 2001-01-01}\n"
                                       "  - {path: 'old/*', expires: 2001-01-01}\n"})
    argv = ["--select", "container-image-tag-not-latest", "."]
    code, out, _ = run_cli("lint", "--format", "gitlab", *argv)
    issues = [(issue["location"]["path"], issue["check_name"], issue["fingerprint"]) for issue in json.loads(out)]
    assert code == 1 and [issue[:2] for issue in issues] == [(".gitops-tools.yaml", "exemption-expired")] * 2 + [
        ("twice.yaml", "container-image-tag-not-latest")] * 2
    fingerprints = [issue[2] for issue in issues]
    assert len(set(fingerprints)) == 4 and all(re.fullmatch("[0-9a-f]{32}", fp) for fp in fingerprints)
    _, out, _ = run_cli("lint", "--format", "json", *argv)
    assert [finding["fingerprint"] for finding in json.loads(out)["findings"]] == fingerprints
    assert fingerprints[3] == repeat_fingerprint(fingerprints[2], 2)


@pytest.mark.parametrize(("severity", "gitlab"), [(Severity.ERROR, "critical"), (Severity.WARNING, "major"),
                                                  (Severity.INFO, "info")])
def test_gitlab_severities(severity: Severity, gitlab: str) -> None:
    finding = Finding("yaml-syntax", severity, "bad", Location("a.yaml"))
    assert json.loads(render("gitlab", LintResult(findings=[finding])))[0]["severity"] == gitlab


def test_gitlab_without_findings_is_an_empty_array() -> None:
    assert render("gitlab", EMPTY) == "[]\n"


@pytest.mark.parametrize("name", ["sarif", "github", "gitlab"])
def test_ci_paths_are_relative_to_the_repository_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      name: str) -> None:
    (tmp_path / "apps").mkdir()
    monkeypatch.chdir(tmp_path / "apps")  # findings name files relative to here
    result = LintResult(findings=[Finding("yaml-syntax", Severity.ERROR, "bad", Location("web.yaml"))], root=tmp_path)
    assert "apps/web.yaml" in render(name, result)


# --- junit ---

def junit(result: LintResult) -> ET.Element:
    return ET.fromstring(render("junit", result).encode("utf-8"))


def test_junit_has_a_testcase_per_linted_file(repo: LintResult) -> None:
    suite = junit(repo)
    assert (suite.tag, suite.get("name"), suite.get("tests"), suite.get("failures")) == ("testsuite", "gitops-tools",
                                                                                        "4", "3")
    cases = {case.get("name"): case.findall("failure") for case in suite.iter("testcase")}
    assert list(cases) == LINTED
    assert cases["kustomization.yaml"] == []
    failure = cases["deploy/web.yaml"][1]
    assert (failure.get("message"), failure.get("type")) == (
        "[container-image-tag-not-latest] container image uses the latest tag", "error")
    assert failure.text == "deploy/web.yaml:9:11: error [container-image-tag-not-latest] container image uses the " \
                           "latest tag"


def test_junit_without_the_file_list_has_one_testcase_for_the_clean_files() -> None:
    suite = junit(RESULT._replace(files=5))
    assert [case.get("name") for case in suite] == ["deploy/web.yaml", "values.yaml", "worker.json",
                                                    "all other files (2)"]
    assert (suite.get("tests"), suite.get("failures"), suite[-1].find("failure")) == ("4", "3", None)


def test_junit_escapes_what_xml_cannot_hold() -> None:
    message = 'bad <tag> & "quote" \x1b[31m grüße \ud800'
    finding = Finding("yaml-syntax", Severity.ERROR, message, Location("dir/ü&<.yaml", 1, 2))
    (case,) = junit(LintResult(findings=[finding], files=1))
    assert case.get("name") == "dir/ü&<.yaml"
    assert case[0].get("message") == '[yaml-syntax] bad <tag> & "quote" \\x1b[31m grüße \\ud800'
    assert render("junit", LintResult(findings=[finding])).isascii()


def test_junit_without_findings() -> None:
    suite = junit(EMPTY._replace(paths=["a.yaml"]))
    assert (suite.get("tests"), suite.get("failures"), [case.get("name") for case in suite]) == ("1", "0", ["a.yaml"])


# --- end to end ---

def test_json_end_to_end_follows_the_published_schema(run_cli: CliRun, write_files: FileWriter) -> None:
    """A real run with a syntax error, a Helm chart skipped and every document policy: the report is schema-valid."""
    write_files({"pod.yaml": POD, "bad.yaml": "a: [\n", "chart/Chart.yaml": "name: c\nversion: 1.0.0\n",
                 "chart/templates/cm.yaml": "kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"})
    code, out, _ = run_cli("lint", "--format", "json", ".")
    document = valid_report(out)
    syntax = [finding for finding in document["findings"] if finding["policy_id"] == "yaml-syntax"]
    assert code == 1 and len(document["findings"]) > 5 and document["skipped"][0]["chart"] == "chart"
    assert [(f["path"], f["document"], f["pointer"]) for f in syntax] == [("bad.yaml", None, None)]


def test_sarif_end_to_end_validates(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD, "values.yaml": "replicas: 2\n"})
    code, out, err = run_cli("lint", "--format", "sarif", "--output", "report.sarif", "--select", SELECT, ".")
    assert (code, err) == (1, "")
    assert out == ("Found 3 findings: 2 errors, 1 warning (2 files, 2 documents, 3 policies).\n"
                   "Report (sarif) written to report.sarif.\n")
    run = valid_sarif(Path("report.sarif").read_text(encoding="utf-8"))["runs"][0]
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert set(SELECT.split(",")) < set(rule_ids) and "yaml-syntax" in rule_ids  # file checks always run
    assert [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
             r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]] == [
        ("container-image-tag-not-latest", "error", "pod.yaml", 7),
        ("container-capabilities-drop-all", "warning", "pod.yaml", 8),
        ("container-not-privileged", "error", "pod.yaml", 8),
    ]
    assert run["results"][0]["partialFingerprints"] == {"gitopsTools/v1": "95a2cb49ae27059894e574ba974f849c"}
    assert run["results"][0]["properties"] == {  # what a fixer needs, as the json format has it
        "document": 0, "pointer": "/spec/containers/0/image",
        "detail": '{"pattern":"^(?:.*/)?[^/:@]+:latest$"} is not allowed for "app:latest"'}


def test_ci_formats_from_a_subfolder_name_files_from_the_config_root(run_cli: CliRun, write_files: FileWriter,
                                                                     tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    write_files({".gitops-tools.yaml": "", "apps/pod.yaml": POD})
    monkeypatch.chdir(tmp_path / "apps")
    code, out, _ = run_cli("lint", "--format", "sarif", "--select", SELECT, "pod.yaml")
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in valid_sarif(out)["runs"][0]
            ["results"]}
    assert (code, uris) == (1, {"apps/pod.yaml"})
    code, out, _ = run_cli("lint", "--format", "gitlab", "--select", SELECT, "pod.yaml")
    assert {issue["location"]["path"] for issue in json.loads(out)} == {"apps/pod.yaml"}


def test_junit_end_to_end_lists_every_linted_file(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD, "values.yaml": "replicas: 2\n"})
    code, out, _ = run_cli("lint", "--format", "junit", "--select", SELECT, ".")
    suite = ET.fromstring(out.encode("utf-8"))
    assert (code, suite.get("tests"), suite.get("failures")) == (1, "2", "1")
    assert [(case.get("name"), len(case.findall("failure"))) for case in suite] == [("pod.yaml", 3),
                                                                                     ("values.yaml", 0)]


@pytest.mark.parametrize(("name", "metadata"), [("text", False), ("json", False), ("sarif", True)])
def test_a_run_imports_only_the_chosen_format(tmp_path: Path, name: str, metadata: bool) -> None:
    """Start-up: formats are listed without importing them (nor pkgutil); only sarif's run reads package metadata."""
    (tmp_path / "pod.yaml").write_text(POD, encoding="utf-8")
    code = ("import io, sys\nfrom gitops_tools.cli import main\n"
            f"main(['lint', '--format', {name!r}, 'pod.yaml'], io.StringIO())\n"
            "print(sorted(m for m in sys.modules if m.startswith('gitops_tools.reporters.') and '._' not in m),"
            " 'pkgutil' in sys.modules, 'importlib.metadata' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.stdout == f"['gitops_tools.reporters.{name}'] False {metadata}\n", done.stderr


# --- a format is one file ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_format_is_added_by_adding_one_file(tmp_path: Path, readme_snippet: ReadmeSnippet) -> None:
    """In a copy of the package, one new module in reporters/ (README's example, as written) is a `--format` choice,
    with its attachment: nothing else is edited."""
    copy = tmp_path / "copy"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gitops_tools", copy / "gitops_tools", ignore=ignore)
    shutil.copytree(ROOT / "schemas", copy / "schemas", ignore=ignore)
    tally = readme_snippet("Output formats", "gitops_tools/reporters/tally.py")
    (copy / "gitops_tools" / "reporters" / "tally.py").write_text(tally, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    (work / "pod.yaml").write_text(POD, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "GITOPS_TOOLS_NO_CACHE": "1", "TALLY_TOTAL": "total.txt"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    done = run("lint", "--format", "tally", "--select", SELECT, "pod.yaml")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == ("container-capabilities-drop-all\t1\ncontainer-image-tag-not-latest\t1\n"
                           "container-not-privileged\t1\n")
    assert (work / "total.txt").read_text(encoding="utf-8") == "3 findings\n"
    assert "tally" in run("lint", "--help").stdout
    assert "tally" not in available_formats()  # the checkout is untouched


# --- file names that are not text -------------------------------------------------------------------------------------

ODD_NAMES = [b"d\xff/bad\xfe.yaml", b"new\nline.yaml", b"esc\x1b[31m.yaml", b"rtl\xe2\x80\xaeevil.yaml"]


@pytest.mark.parametrize("name", ["text", "json", "sarif", "github", "gitlab", "junit"])
@pytest.mark.parametrize("to_file", [False, True], ids=["stdout", "output-file"])
def test_file_names_that_are_not_printable_text_are_escaped_in_every_format(tmp_path: Path, name: str,
                                                                            to_file: bool) -> None:
    """Undecodable bytes, a newline, an escape sequence and a right-to-left override in file names: exit 1 with valid
    output, never exit 3 and never a raw control character on a terminal."""
    for raw in ODD_NAMES:
        path = tmp_path / os.fsdecode(raw)  # undecodable bytes travel as surrogates and come back as themselves
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"kind: [\n")
    argv = [str(CONSOLE_SCRIPT), "lint", "--format", name, *(["--output", "report.out"] if to_file else []), "."]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (1, b"")
    report = (tmp_path / "report.out").read_bytes() if to_file else done.stdout
    text = report.decode("utf-8")
    assert not any(char in text for char in "\x1b\u202e"), "a control character reached the report"
    for shown in ("d\\xff/bad\\xfe.yaml", "new\\x0aline.yaml", "esc\\x1b[31m.yaml", "rtl\\u202eevil.yaml"):
        assert shown in text.replace("\\\\", "\\") or quote(shown) in text
    if name in ("json", "gitlab"):
        json.loads(text)
    elif name == "sarif":
        valid_sarif(text)
    elif name == "junit":
        ET.fromstring(report)
    elif name == "text":
        assert len(text.splitlines()) == len(ODD_NAMES) + 1


# --- --stdin-filename: standard input linted and reported as the file it names ----------------------------------------

def run_stdin(argv: list[str], text: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, out, err, io.BytesIO(text.encode("utf-8")))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("name", ["text", "json", "sarif", "github", "gitlab", "junit"])
def test_stdin_with_a_filename_is_reported_as_that_file_in_every_format(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_files: FileWriter, name: str) -> None:
    """From a subfolder of the repository: the same bytes through stdin give the same report as the file itself
    (paths, CI paths from the root, fingerprints, junit test cases)."""
    write_files({".gitops-tools.yaml": "", "apps/web.yaml": POD})
    monkeypatch.chdir(tmp_path / "apps")
    from_file = run_stdin(["lint", "--format", name, "--select", SELECT, "web.yaml"], "")
    from_stdin = run_stdin(["lint", "--format", name, "--select", SELECT, "--stdin-filename", "web.yaml", "-"], POD)
    assert from_stdin == from_file and from_stdin[0] == 1
    assert not any(stdin in from_stdin[1] for stdin in ("<stdin>", "%3Cstdin%3E", "&lt;stdin&gt;"))
    assert "web.yaml" in from_stdin[1]


def test_stdin_with_a_filename_gets_a_sarif_artifact_location_under_the_root(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "", "apps/README.md": ""})
    monkeypatch.chdir(tmp_path / "apps")  # the named file need not exist
    code, out, _ = run_stdin(["lint", "--format", "sarif", "--select", SELECT, "--stdin-filename", "./new/../web.yaml",
                              "-"], POD)
    results = valid_sarif(out)["runs"][0]["results"]
    assert code == 1 and len(results) == 3
    assert {json.dumps(r["locations"][0]["physicalLocation"]["artifactLocation"]) for r in results} == {
        json.dumps({"uri": "apps/web.yaml", "uriBaseId": "%SRCROOT%"})}
    code, out, _ = run_stdin(["lint", "--format", "gitlab", "--select", SELECT, "--stdin-filename", "web.yaml", "-"],
                             POD)
    assert {issue["location"]["path"] for issue in json.loads(out)} == {"apps/web.yaml"}


def test_stdin_with_a_filename_matches_the_files_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                          write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "", "apps/web.yaml": POD})
    monkeypatch.chdir(tmp_path)
    assert run_stdin(["lint", "--write-baseline", "baseline.json", "apps/web.yaml"], "")[0] == 0
    monkeypatch.chdir(tmp_path / "apps")  # the baseline holds paths from the root, whatever the folder
    code, out, _ = run_stdin(["lint", "--baseline", "../baseline.json", "--stdin-filename", "web.yaml", "-"], POD)
    assert code == 0 and out.startswith("No findings (1 file, 1 document, ")
    edited = POD.replace("app:latest", "app:1.2.3").replace("privileged: true", "privileged: false")
    code, out, _ = run_stdin(["lint", "--baseline", "../baseline.json", "--stdin-filename", "web.yaml", "-"], edited)
    assert code == 0 and "baseline findings fixed" in out


CONFIG_GLOBS = """\
exclude: [generated/**]
policies:
  container-not-privileged:
    exclude: [legacy/**]
"""


@pytest.mark.parametrize(
    ("filename", "found", "summary"),
    [
        pytest.param("apps/web.yaml", [f"{TAG_ID}", "container-not-privileged"], "(1 file, 1 document", id="linted"),
        pytest.param("legacy/web.yaml", [TAG_ID], "(1 file, 1 document", id="policy-excluded"),
        pytest.param("generated/web.yaml", [], "No findings (0 files, 0 documents", id="excluded"),
        pytest.param("chart/templates/web.yaml", [], "No findings (0 files, 0 documents", id="helm-template"),
        pytest.param("overlays/prod/patch.yaml", [], "No findings (1 file, 1 document", id="kustomize-patch"),
    ],
)
def test_stdin_with_a_filename_is_linted_as_that_file_would_be(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_files: FileWriter, filename: str, found: list[str],
        summary: str) -> None:
    """Config excludes and per-policy excludes match the name; a Helm template is skipped (and said to be); a file a
    kustomization names as a patch only has its syntax checked."""
    write_files({".gitops-tools.yaml": CONFIG_GLOBS, "chart/Chart.yaml": "name: web\n",
                 "overlays/prod/kustomization.yaml": "resources: [../../apps]\npatches: [{path: patch.yaml}]\n"})
    monkeypatch.chdir(tmp_path)
    code, out, err = run_stdin(["lint", "--format", "json", "--select", f"{TAG_ID},container-not-privileged",
                                "--stdin-filename", filename, "-"], POD)
    document = json.loads(out)
    assert (code, err) == (1 if found else 0, "")
    assert sorted({f["policy_id"] for f in document["findings"]}) == sorted(found)
    assert {f["path"] for f in document["findings"]} <= {filename}
    assert [s["path"] for s in document["skipped"]] == (["chart/templates/web.yaml"] if "chart" in filename else [])
    code, out, _ = run_stdin(["lint", "--select", f"{TAG_ID},container-not-privileged", "--stdin-filename", filename,
                              "-"], POD)
    assert summary in out


def test_stdin_with_a_filename_finds_the_config_from_that_files_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "", "apps/.gitops-tools.yaml": f"policies: {{{TAG_ID}: {{severity: info}}}}\n"})
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_stdin(["lint", "--select", TAG_ID, "--stdin-filename", "apps/web.yaml", "-"], POD)
    assert (code, out.splitlines()[0]) == (0, f"apps/web.yaml:7:7: info [{TAG_ID}] container image uses the latest tag")


def test_stdin_named_json_is_parsed_as_json(run_cli: CliRun) -> None:
    text = '{"apiVersion": "v1", "kind": "Pod",}\n'  # a trailing comma: YAML, not JSON
    code, out, _ = run_stdin(["lint", "--select", TAG_ID, "--stdin-filename", "pod.json", "-"], text)
    assert (code, out.splitlines()[0].split(" [")[1].split("]")[0]) == (1, "json-syntax")
    assert out.startswith("pod.json:1:")
    assert "json-syntax" not in run_stdin(["lint", "--select", TAG_ID, "-"], text)[1]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["--stdin-filename", "web.yaml", "."], "--stdin-filename names what '-' (stdin) holds: give '-' "
                     "too", id="without-dash"),
        pytest.param(["--stdin-filename", "", "-"], "--stdin-filename needs a file name", id="empty"),
        pytest.param(["--stdin-filename", "apps", "-"], "--stdin-filename needs a file name", id="a-folder"),
        pytest.param(["--stdin-filename", "apps/", "-"], "--stdin-filename needs a file name", id="a-folder-name"),
        pytest.param(["--stdin-filename", "apps/web.yaml", "-", "apps"], "--stdin-filename apps/web.yaml is also "
                     "among the paths", id="also-a-path"),
        pytest.param(["--stdin-filename", "x" * 5000 + ".yaml", "-"], None, id="too-long-to-look-up"),
    ],
)
def test_stdin_filename_usage_errors_exit_2(run_cli: CliRun, write_files: FileWriter, argv: list[str],
                                            message: str | None) -> None:
    write_files({"apps/web.yaml": POD})
    code, out, err = run_stdin(["lint", *argv], POD)
    if message is None:  # not an error: only a name, reported as given
        assert code == 1 and f"{'x' * 5000}.yaml:7:7: error [{TAG_ID}]" in out and err == ""
        return
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {message}") and "Traceback" not in err


# The JSON formats write their findings one at a time (reporters/_jsonstream.py) instead of building the whole
# document: the bytes must stay exactly those of json.dump(document, indent=2), whatever the findings hold.

JSON_FORMATS = ["json", "sarif", "gitlab"]
ODD = LintResult(findings=[
    Finding("yaml-syntax", Severity.ERROR, f"odd text {text!r}: {text}", Location(f"dir/{name}.yaml", line, 2),
            f"{line:032x}", detail=text, pointer=f"/{text}", document=0)
    for line, (name, text) in enumerate([("ünï", "“quote” grüße"), ("ctl", "tab\tnul\x00bell\x07"),
                                         ("marker", "\x00items\x00"), ("nl", "line\nbreak \\ \"q\""),
                                         ("emoji", "\U0001f600 [] {} ,")], 1)],
    files=5, documents=5, policies=1, skipped={"Helm chart template": ["chart/templates/a.yaml"]},
    charts={"chart/templates/a.yaml": "chart"})


@pytest.mark.parametrize("name", JSON_FORMATS)
@pytest.mark.parametrize("result", [RESULT, EMPTY, CHARTED, ODD, LintResult()],
                         ids=["findings", "empty", "charted", "odd-text", "nothing"])
def test_json_formats_write_exactly_what_json_dump_writes(repo: LintResult, name: str, result: LintResult) -> None:
    result = result._replace(root=repo.root, cwd=repo.cwd, tool=repo.tool)
    text = render(name, result)
    assert text == json.dumps(json.loads(text), indent=2) + "\n"
    assert len(findings_in(name, json.loads(text))) == len(result.findings)


@pytest.mark.parametrize("name", JSON_FORMATS)
def test_json_formats_of_a_corpus_lint_are_exactly_json_dump(run_cli: CliRun, tmp_path: Path, name: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    from corpus import generate

    generate(tmp_path / "corpus", 60)
    code, text, _ = run_cli("lint", "corpus", "--format", name, "--jobs", "1")
    document = json.loads(text)
    assert code == 1 and len(findings_in(name, document)) > 150 and text == json.dumps(document, indent=2) + "\n"


def findings_in(name: str, document: Any) -> list[Any]:
    """The list a JSON format writes its findings in."""
    return list(document if name == "gitlab" else document["runs"][0]["results"] if name == "sarif"
                else document["findings"])


THREE_DOCUMENTS = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: first, namespace: shop}
data: {a: b}
---
# the second document: a comment above its first key
kind: ConfigMap
data: {a: b}
---
kind: Secret
shared: &shared {a: b}
again: *shared
"""


@pytest.mark.parametrize(("fmt", "positions"), [
    ("text", lambda out: [tuple(map(int, line.split(":")[1:3])) for line in out.splitlines()[:-1]]),
    ("json", lambda out: [(f["line"], f["column"]) for f in json.loads(out)["findings"]]),
    ("sarif", lambda out: [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
                            r["locations"][0]["physicalLocation"]["region"]["startColumn"])
                           for r in json.loads(out)["runs"][0]["results"]]),
    ("github", lambda out: [(int(line), int(col)) for line, col in re.findall(r"^::\w+ .*?,line=(\d+),col=(\d+)", out,
                                                                               re.M)]),
    ("gitlab", lambda out: [(f["location"]["lines"]["begin"], 1) for f in json.loads(out)]),
])
def test_a_whole_document_finding_points_at_its_document(tmp_path: Path, run_cli: CliRun, fmt: str,
                                                         positions: Any) -> None:
    """In a file of three documents, a finding about the second or third document as a whole (no identity) points
    at that document's first key, never at the file's 1:1, in every format that carries a position; the third uses
    aliases (its positions come from a second, alias-preserving tree)."""
    (tmp_path / "three.yaml").write_text(THREE_DOCUMENTS, encoding="utf-8")
    code, out, _ = run_cli("lint", "--format", fmt, "--select", "manifest-identity-complete", "three.yaml")
    assert code == 1
    expected = [(7, 1), (10, 1)]
    assert positions(out) == ([(line, 1) for line, _ in expected] if fmt == "gitlab" else expected)
