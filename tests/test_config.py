"""The `.gitops-tools.yaml` config file: discovery, validation with positions, and its effect on a lint run."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun, FileWriter

from gitops_tools.config import find_config, load_config
from gitops_tools.errors import ConfigError
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy, Severity
from gitops_tools.policies import load_policies

ConfiguredLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]

CONFIG = ".gitops-tools.yaml"
TAG = "container-image-tag-not-latest"
PRIVILEGED = "container-not-privileged"
DIGEST = "container-image-pinned-by-digest"

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: app, image: "app:latest", securityContext: {privileged: true}}
"""
TAG_AT = (6, 19)
PRIVILEGED_AT = (6, 58)

WIDGET_POLICY = """\
id: widget-owner-set
title: Widgets name their owning team
severity: warning
message: widget has no owner label
targets:
  scope: document
  kinds: [Widget]
  files: ["clusters/**"]
schema:
  required: [metadata]
  properties:
    metadata:
      required: [labels]
      properties:
        labels:
          required: [example.com/owner]
docs: |
  Every Widget must carry an `example.com/owner` label so that alerts reach the team that runs it.
examples:
  pass:
    - |
      kind: Widget
      metadata: {name: w, labels: {example.com/owner: team-a}}
  fail:
    - |
      kind: Widget
      metadata: {name: w}
"""


@pytest.fixture
def lint_configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_files: FileWriter) -> ConfiguredLint:
    """Write a config and files, then lint from tmp_path as the CLI would: nearest config, its policy_dirs."""
    monkeypatch.chdir(tmp_path)

    def run(config_text: str, files: Mapping[str, str | bytes], *paths: str, **options: Any) -> LintResult:
        write_files({CONFIG: config_text, **files})
        config = load_config(find_config(Path.cwd()), Path.cwd())
        policies = load_policies(config.policy_dirs)
        return lint(list(paths or files), config, policies, LintOptions(**options))

    return run


def _ids(result: LintResult) -> list[str]:
    return [finding.policy_id for finding in result.findings]


# --- discovery -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".gitops-tools.yaml", ".gitops-tools.yml"])
@pytest.mark.parametrize("git", ["dir", "file"])
def test_config_is_found_upward_up_to_the_repository_root(tmp_path: Path, name: str, git: str) -> None:
    repo = tmp_path / "repo"
    (repo / "apps" / "web").mkdir(parents=True)
    (repo / ".git").mkdir() if git == "dir" else (repo / ".git").write_text("gitdir: ../x\n", encoding="utf-8")
    (repo / name).write_text("exclude: []\n", encoding="utf-8")
    assert find_config(repo / "apps" / "web") == (repo / name).resolve()
    assert find_config(repo) == (repo / name).resolve()


@pytest.mark.parametrize("git", ["dir", "file"])
def test_config_search_stops_at_the_repository_root(tmp_path: Path, git: str) -> None:
    (tmp_path / CONFIG).write_text("exclude: []\n", encoding="utf-8")  # outside the repository: not ours
    repo = tmp_path / "repo"
    (repo / "apps").mkdir(parents=True)
    (repo / ".git").mkdir() if git == "dir" else (repo / ".git").write_text("gitdir: ../x\n", encoding="utf-8")
    assert find_config(repo / "apps") is None


def test_nearest_config_wins(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / CONFIG).write_text("exclude: []\n", encoding="utf-8")
    (tmp_path / "team").mkdir()
    (tmp_path / "team" / CONFIG).write_text("exclude: []\n", encoding="utf-8")
    assert find_config(tmp_path / "team") == (tmp_path / "team" / CONFIG).resolve()


def test_config_found_upward_applies_with_paths_relative_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              write_files: FileWriter) -> None:
    write_files({".git/HEAD": "ref: refs/heads/main\n", CONFIG: "exclude: [apps/legacy]\n",
                 "apps/legacy/old.yaml": POD, "apps/web/pod.yaml": POD})
    monkeypatch.chdir(tmp_path / "apps")
    config = load_config(find_config(Path.cwd()), Path.cwd())
    assert config.root == tmp_path.resolve()
    result = lint(["."], config, load_policies(), LintOptions(select=(TAG,)))
    assert [(f.location.path, f.policy_id) for f in result.findings] == [("web/pod.yaml", TAG)]


@pytest.mark.parametrize(
    ("text", "fail_on"),
    [("fail_on: info\n", Severity.INFO), ("fail_on: warning\n", Severity.WARNING), ("fail_on: error\n", Severity.ERROR),
     ("exclude: []\n", None), ("---\nfail_on: error\n...\n", Severity.ERROR)],
    ids=["info", "warning", "error", "unset", "one-marked-document"],
)
def test_fail_on_is_read_from_the_config(tmp_path: Path, text: str, fail_on: Severity | None) -> None:
    (tmp_path / CONFIG).write_text(text, encoding="utf-8")
    assert load_config(tmp_path / CONFIG, tmp_path).fail_on == fail_on


@pytest.mark.parametrize("text", ["", "# nothing configured yet\n", "---\n"], ids=["empty", "comment", "null"])
def test_a_config_without_settings_means_the_defaults(tmp_path: Path, text: str) -> None:
    (tmp_path / CONFIG).write_text(text, encoding="utf-8")
    config = load_config(tmp_path / CONFIG, tmp_path)
    assert config.root == tmp_path.resolve()
    assert (config.policies, config.policy_dirs, config.severity_threshold) == ({}, (), None)


# --- validation errors carry path:line:col ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "col", "words"),
    [
        pytest.param("exclude: []\npolcies: {}\n", 2, 1, "polcies", id="unknown-top-level-key"),
        pytest.param(f"policies:\n  {TAG}:\n    enabeld: false\n", 3, 5, "enabeld", id="unknown-policy-setting"),
        pytest.param("exclude: []\nseverity_threshold: fatal\n", 2, 1, "fatal", id="bad-threshold"),
        pytest.param(f"policies:\n  {TAG}:\n    severity: high\n", 3, 5, "high", id="bad-severity"),
        pytest.param("max_file_bytes: 0\n", 1, 1, "minimum", id="bad-size"),
        pytest.param(f"policies:\n  {TAG}: {{}}\n", 2, 3, "has less than 1 property", id="empty-policy-settings"),
        pytest.param("exclude: []\nfail_on: fatal\n", 2, 1, '"fatal" is not one of', id="bad-fail-on"),
        pytest.param("fail_on: true\n", 1, 1, "fail_on", id="fail-on-not-a-severity"),
        pytest.param("---\n---\npolicies: {}\n", 3, 1, "a config file holds one YAML document",
                     id="second-document-after-an-empty-one"),
        pytest.param("exclude: []\n---\nfail_on: info\n", 3, 1, "a config file holds one YAML document",
                     id="second-document"),
        pytest.param("exclude: []\n---\n", 3, 1, "a config file holds one YAML document", id="empty-second-document"),
    ],
)
def test_invalid_config_is_an_error_at_the_offending_key(tmp_path: Path, text: str, line: int, col: int,
                                                         words: str) -> None:
    path = tmp_path / CONFIG
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, tmp_path)
    assert caught.value.location is not None
    assert (caught.value.location.path, caught.value.location.line, caught.value.location.col) == (str(path), line, col)
    assert str(caught.value).startswith(f"{path}:{line}:{col}: ")
    assert words in str(caught.value)


@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        pytest.param("policies:\n  foo: [\n", 3, 1, id="unclosed-flow"),
        pytest.param("exclude: []\nseverity_threshold: error: now\n", 2, 26, id="colon-in-value"),
        pytest.param("exclude: []\nexclude: [x]\n", 2, 1, id="duplicate-key"),
        pytest.param("exclude:\n\t- x\n", 2, 1, id="tab"),
    ],
)
def test_invalid_yaml_in_config_is_an_error_with_its_position(tmp_path: Path, text: str, line: int,
                                                              col: int) -> None:
    path = tmp_path / CONFIG
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, tmp_path)
    assert str(caught.value).startswith(f"{path}:{line}:{col}: ")


# --- per-policy settings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config_text", "expected"),
    [
        pytest.param("exclude: []\n", [(TAG, Severity.ERROR)], id="default"),
        pytest.param(f"policies:\n  {TAG}: {{enabled: false, reason: tracked in TICKET-1}}\n"
                     f"  {DIGEST}: {{enabled: true}}\n", [(DIGEST, Severity.WARNING)], id="disabled"),
        pytest.param(f"policies:\n  {TAG}: {{severity: info}}\n", [(TAG, Severity.INFO)], id="severity-override"),
        pytest.param(f"policies:\n  {DIGEST}: {{enabled: true}}\n", [(DIGEST, Severity.WARNING), (TAG, Severity.ERROR)],
                     id="opt-in-enabled"),
        pytest.param(f"severity_threshold: error\npolicies:\n  {TAG}: {{severity: warning}}\n", [],
                     id="override-then-threshold"),
    ],
)
def test_policy_settings(lint_configured: ConfiguredLint, policies: dict[str, Policy], config_text: str,
                         expected: list[tuple[str, Severity]]) -> None:
    others = tuple(policy_id for policy_id in policies if policy_id not in {TAG, DIGEST})
    result = lint_configured(config_text, {"pod.yaml": POD}, ignore=others)
    assert [(f.policy_id, f.severity) for f in result.findings] == expected


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param("legacy", id="folder"),
        pytest.param("legacy/**", id="double-star"),
        pytest.param("legacy/*.yaml", id="single-star"),
        pytest.param("{path: legacy, reason: migrated in Q3}", id="object-form"),
        pytest.param("{path: ./legacy/old.yaml}", id="object-dot-slash"),
    ],
)
def test_per_policy_exclude(lint_configured: ConfiguredLint, spots: Spots, rule: str) -> None:
    config_text = f"policies:\n  {TAG}:\n    exclude:\n      - {rule}\n"
    result = lint_configured(config_text, {"legacy/old.yaml": POD, "apps/pod.yaml": POD}, select=(TAG, PRIVILEGED))
    assert spots(result) == [
        ("apps/pod.yaml", *TAG_AT, TAG),
        ("apps/pod.yaml", *PRIVILEGED_AT, PRIVILEGED),
        ("legacy/old.yaml", *PRIVILEGED_AT, PRIVILEGED),  # excluded from one policy only
    ]


@pytest.mark.parametrize("rule", ["generated", "generated/**", "'**/*.gen.yaml'", "{path: generated, reason: tool}"])
def test_global_exclude_skips_files_entirely(lint_configured: ConfiguredLint, rule: str) -> None:
    files = {"generated/out.gen.yaml": "broken: [\n", "generated/sub/x.gen.yaml": "\x00", "pod.yaml": POD}
    result = lint_configured(f"exclude:\n  - {rule}\n", files, "generated", "pod.yaml",
                             select=(TAG, "yaml-syntax", "file-binary"))
    assert result.files == 1
    assert [(f.location.path, f.policy_id) for f in result.findings] == [("pod.yaml", TAG)]


def test_config_max_file_bytes(lint_configured: ConfiguredLint) -> None:
    result = lint_configured("max_file_bytes: 64\n", {"pod.yaml": POD})
    assert _ids(result) == ["file-too-large"]


@pytest.mark.parametrize(
    ("config_text", "threshold", "expected"),
    [
        pytest.param("severity_threshold: error\n", None, [PRIVILEGED, TAG], id="config"),
        pytest.param("severity_threshold: error\n", Severity.INFO,
                     ["container-capabilities-drop-all", PRIVILEGED, TAG], id="option-overrides-config"),
        pytest.param("severity_threshold: warning\n", None, ["container-capabilities-drop-all", PRIVILEGED, TAG],
                     id="warning"),
    ],
)
def test_severity_threshold(lint_configured: ConfiguredLint, config_text: str, threshold: Severity | None,
                            expected: list[str]) -> None:
    select = (TAG, PRIVILEGED, "container-capabilities-drop-all")
    result = lint_configured(config_text, {"pod.yaml": POD}, select=select, severity_threshold=threshold)
    assert sorted(_ids(result)) == sorted(expected)


# --- custom policies -------------------------------------------------------------------------------------------------


def test_policy_dirs_add_a_custom_policy_that_fires(lint_configured: ConfiguredLint, spots: Spots) -> None:
    widget = "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"
    files = {
        "team-policies/widget-owner-set.yaml": WIDGET_POLICY,
        "clusters/prod/widget.yaml": widget,
        "clusters/prod/owned.yaml": widget + "  labels: {example.com/owner: team-a}\n",
        "sandbox/widget.yaml": widget,  # outside the policy's `files` globs
    }
    result = lint_configured("policy_dirs: [team-policies]\n", files, "clusters", "sandbox",
                             select=("widget-owner-set",))
    assert spots(result) == [("clusters/prod/widget.yaml", 3, 1, "widget-owner-set")]
    assert result.findings[0].severity == Severity.WARNING
    assert result.findings[0].message == "widget has no owner label"


def test_missing_policy_dir_is_an_error_at_its_entry(tmp_path: Path) -> None:
    path = tmp_path / CONFIG
    (tmp_path / "present").mkdir()
    path.write_text("policy_dirs:\n  - present\n  - absent\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="absent") as caught:
        load_config(path, tmp_path)
    assert str(caught.value).startswith(f"{path}:3:5: ")


def test_policies_entry_for_an_unknown_policy_is_a_finding_at_the_config_line(
    lint_configured: ConfiguredLint, policies: dict[str, Policy]
) -> None:
    config_text = f"policies:\n  {TAG}: {{severity: warning}}\n\n  container-mem-limit: {{enabled: false}}\n"
    others = tuple(policy_id for policy_id in policies if policy_id != "exemption-unknown-policy")
    result = lint_configured(config_text, {"pod.yaml": POD}, ignore=others)
    [finding] = result.findings
    assert finding.policy_id == "exemption-unknown-policy"
    assert Path(finding.location.path).resolve() == (Path.cwd() / CONFIG).resolve()
    assert (finding.location.line, finding.location.col) == (4, 3)
    assert "'container-mem-limit'" in finding.message


def test_the_config_does_not_depend_on_the_order_of_the_paths(write_files: FileWriter, run_cli: CliRun) -> None:
    """Two teams' files in one run use the config above both, whichever comes first (pre-commit batches vary)."""
    service = ("apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  labels: {app.kubernetes.io/name: s, "
               "app.kubernetes.io/instance: s}\nspec: {type: NodePort, ports: [{port: 80}]}\n")
    write_files({"teamA/.gitops-tools.yaml": "policies:\n  service-type-not-node-port: {enabled: false}\n",
                 "teamA/s.yaml": service, "teamB/s.yaml": service})
    first = run_cli("lint", "teamA/s.yaml", "teamB/s.yaml")
    second = run_cli("lint", "teamB/s.yaml", "teamA/s.yaml")
    assert first == second
    assert first[0] == 1
    assert run_cli("lint", "teamA/s.yaml")[0] == 0  # alone, teamA's own config applies
