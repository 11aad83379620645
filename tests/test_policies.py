"""The policy catalogue: every file is valid, and its examples pass and fail as documented."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun

from gitops_tools.checks import BUILTIN_SOURCES, CHECKS
from gitops_tools.errors import PolicyError
from gitops_tools.examples import check_examples, example_findings
from gitops_tools.model import Location, Policy
from gitops_tools.policies import BUILTIN_POLICY_DIR, load_policies, policy_files
from gitops_tools.schemacheck import check_schema

POLICY_FILES = policy_files(BUILTIN_POLICY_DIR)
CATALOGUE = load_policies()
EXAMPLES = [
    pytest.param(policy_id, verdict, index, example, id=f"{policy_id}-{verdict}-{index}")
    for policy_id, policy in sorted(CATALOGUE.items())
    for verdict in ("pass", "fail")
    for index, example in enumerate(policy.examples[verdict])
]


def test_catalogue_has_the_issue_minimum_of_kubernetes_policies() -> None:
    kubernetes = [p for p in CATALOGUE.values() if "/kubernetes/" in p.source]
    assert len(kubernetes) >= 35


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_policy_file_is_named_after_its_id(path: Path) -> None:
    assert CATALOGUE[path.stem].source == str(path)


@pytest.mark.parametrize("policy", CATALOGUE.values(), ids=lambda p: p.id)
def test_coded_checks_exist(policy: Policy) -> None:
    assert policy.check is None or policy.check in CHECKS or policy.check in BUILTIN_SOURCES


@pytest.mark.parametrize(("policy_id", "verdict", "index", "example"), EXAMPLES)
def test_example(tmp_path: Path, policy_id: str, verdict: str, index: int, example: Any) -> None:
    findings = example_findings(CATALOGUE[policy_id], CATALOGUE, example, tmp_path)
    assert {f.policy_id for f in findings} <= {policy_id}
    if verdict == "pass":
        assert findings == []
        return
    assert findings, f"{policy_id}: failing example {index} produced no finding"
    path = next(p for p in tmp_path.rglob("*") if not p.is_dir())
    lines = max(1, path.read_bytes().count(b"\n") + 1) if path.exists() else 1
    for finding in findings:
        assert 1 <= finding.location.line <= lines
        assert finding.location.col >= 1


def test_check_examples_reports_a_policy_whose_examples_disagree() -> None:
    policy = replace(CATALOGUE["container-memory-limit-set"],
                     examples={"pass": CATALOGUE["container-memory-limit-set"].examples["fail"][:1],
                               "fail": CATALOGUE["container-memory-limit-set"].examples["pass"][:1]})
    failures = [str(f) for f in check_examples({policy.id: policy})]
    assert failures == [
        "container-memory-limit-set: pass example 1: gave example.yaml:12:11: container has no memory limit",
        "container-memory-limit-set: fail example 1: gave no finding",
    ]


def test_invalid_policy_is_reported_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "bad-policy.yaml").write_text("id: bad-policy\ntitle: x\nseverity: fatal\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert caught.value.location is not None
    assert caught.value.location.path.endswith("bad-policy.yaml")


def test_policy_id_must_match_file_name(tmp_path: Path) -> None:
    text = Path(CATALOGUE["container-memory-limit-set"].source).read_text(encoding="utf-8")
    (tmp_path / "other-name.yaml").write_text(text.replace("id: container-memory-limit-set", "id: other"), "utf-8")
    with pytest.raises(PolicyError, match="must equal the file name"):
        load_policies([tmp_path])


def test_duplicate_policy_id_across_directories_is_an_error(tmp_path: Path) -> None:
    source = Path(CATALOGUE["container-memory-limit-set"].source)
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PolicyError, match="defined twice"):
        load_policies([tmp_path])


def test_remote_ref_in_policy_schema_is_refused(tmp_path: Path) -> None:
    text = Path(CATALOGUE["container-memory-limit-set"].source).read_text(encoding="utf-8")
    text = text.replace("id: container-memory-limit-set", "id: remote-ref")
    text = text.replace("schema:\n", "schema:\n  $ref: https://example.com/evil.json\n", 1)
    (tmp_path / "remote-ref.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="not local") as caught:
        load_policies([tmp_path])
    assert caught.value.location == Location(str(tmp_path / "remote-ref.yaml"), 8, 1)


@pytest.mark.parametrize("policy", [p for p in CATALOGUE.values() if p.schema is not None], ids=lambda p: p.id)
def test_builtin_schema_is_valid_and_local(policy: Policy) -> None:
    check_schema(policy.schema if policy.schema is not None else True)


def test_every_loader_problem_id_has_a_policy_file() -> None:
    package = Path(__file__).resolve().parent.parent / "gitops_tools"
    source = "\n".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py"))
    emitted = set(re.findall(r'Problem\(\s*"([a-z0-9-]+)"', source))
    emitted |= set(re.findall(r'_located\(\s*"([a-z0-9-]+)"', source))
    assert emitted, "the pattern no longer finds where problems are made"
    assert emitted <= set(CATALOGUE), f"no policy file for {sorted(emitted - set(CATALOGUE))}"


CUSTOM_POLICY = """\
id: team-config-owner-set
title: ConfigMaps name their owner
severity: warning
message: configmap has no owner label
targets:
  scope: document
  kinds: [ConfigMap]
schema:
  required: [metadata]
docs: |
  Every ConfigMap carries labels so that the team that owns it can be found from the object alone.
examples:
  pass: ["kind: ConfigMap\\nmetadata: {name: a}\\n"]
  fail: ["kind: ConfigMap\\n"]
"""
SCHEMA = "schema:\n  required: [metadata]\n"
FILE_SCOPE = "  scope: file\n"
FILE_ONLY = "scope 'file' is only for the built-in loader and exemption checks"


@pytest.mark.parametrize(
    ("replacements", "line", "message"),
    [
        pytest.param({SCHEMA: "check: nope\n"}, 8, "unknown check 'nope'; coded checks are: env_names_unique",
                     id="unknown-check"),
        pytest.param({SCHEMA: "check: loader\n"}, 8, "unknown check 'loader'; coded checks are: env_names_unique",
                     id="loader-check"),
        pytest.param({SCHEMA: "check: exemptions\n"}, 8, "unknown check 'exemptions'", id="exemptions-check"),
        pytest.param({"  scope: document\n  kinds: [ConfigMap]\n": FILE_SCOPE}, 7, FILE_ONLY, id="file-scope-schema"),
        pytest.param({"  scope: document\n  kinds: [ConfigMap]\n": FILE_SCOPE, SCHEMA: "check: env_names_unique\n"}, 7,
                     FILE_ONLY, id="file-scope-coded-check"),
    ],
)
def test_a_custom_policy_cannot_use_the_loader_or_an_unknown_check(tmp_path: Path, run_cli: CliRun,
                                                                   replacements: dict[str, str], line: int,
                                                                   message: str) -> None:
    text = CUSTOM_POLICY
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "team-config-owner-set.yaml").write_text(text, encoding="utf-8")
    (tmp_path / ".gitops-tools.yaml").write_text("policy_dirs: [mine]\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([folder])
    path = str(folder / "team-config-owner-set.yaml")
    assert caught.value.location == Location(path, line, 1)
    assert caught.value.message.startswith(message)
    code, out, err = run_cli("lint", "cm.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {(tmp_path / 'mine' / 'team-config-owner-set.yaml').resolve()}:"
                          f"{line}:1: {message}")


def test_a_custom_policy_may_use_a_coded_check(tmp_path: Path) -> None:
    text = CUSTOM_POLICY.replace(SCHEMA, "check: env_names_unique\n").replace("kinds: [ConfigMap]", "kinds: [Pod]")
    (tmp_path / "team-config-owner-set.yaml").write_text(text.replace("  scope: document", "  scope: container"),
                                                         encoding="utf-8")
    policy = load_policies([tmp_path])["team-config-owner-set"]
    assert (policy.check, policy.schema, policy.targets.scope) == ("env_names_unique", None, "container")
