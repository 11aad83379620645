"""The github-actions domain: a realistic good repository lints clean, a bad one gets every policy of the domain at
its exact line; the expression parser; the vendored public schemas."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import folder_spots

from gitops_tools.checks._expression import ExpressionError, parse
from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "github-actions"
BAD = [
    (".github/actions/setup/action.yml", 6, 7, "action-structure-valid"),
    (".github/workflows/ci.yml", 1, 1, "workflow-permissions-least-privilege"),
    (".github/workflows/ci.yml", 3, 3, "workflow-trigger-not-dangerous"),
    (".github/workflows/ci.yml", 6, 3, "job-timeout-set"),
    (".github/workflows/ci.yml", 8, 5, "workflow-permissions-least-privilege"),
    (".github/workflows/ci.yml", 10, 9, "checkout-credentials-not-persisted"),
    (".github/workflows/ci.yml", 10, 15, "uses-pinned-by-sha"),
    (".github/workflows/ci.yml", 14, 32, "run-no-expression-injection"),
    (".github/workflows/ci.yml", 16, 3, "workflow-permissions-least-privilege"),
    (".github/workflows/ci.yml", 17, 11, "reusable-workflow-secrets-explicit"),
    (".github/workflows/deploy.yml", 1, 1, "workflow-deploy-concurrency-set"),
    (".github/workflows/deploy.yml", 14, 31, "expressions-well-formed"),
    (".github/workflows/deploy.yml", 16, 30, "expressions-well-formed"),
    (".github/workflows/deploy.yml", 17, 3, "workflow-structure-valid"),
    (".github/workflows/release.yml", 4, 3, "workflow-trigger-not-dangerous"),
    (".github/workflows/release.yml", 9, 9, "bot-conditions-not-spoofable"),
    (".github/workflows/release.yml", 12, 5, "insecure-commands-disabled"),
    (".github/workflows/release.yml", 16, 7, "container-credentials-not-hardcoded"),
    (".github/workflows/release.yml", 21, 9, "container-images-pinned"),
    (".github/workflows/release.yml", 23, 9, "release-cache-not-poisonable"),
    (".github/workflows/release.yml", 26, 9, "github-env-writes-safe"),
    (".github/workflows/release.yml", 26, 32, "run-no-expression-injection"),
    (".github/workflows/release.yml", 29, 24, "secrets-not-all-exposed"),
    (".github/workflows/release.yml", 30, 21, "secrets-stay-redacted"),
]


def test_the_good_repository_lints_clean(policies: dict[str, Policy]) -> None:
    assert folder_spots(FIXTURES / "good", policies) == []


def test_the_bad_repository_has_every_finding_at_its_line(policies: dict[str, Policy]) -> None:
    assert folder_spots(FIXTURES / "bad", policies) == BAD


def test_every_github_actions_policy_fires_in_the_bad_repository(policies: dict[str, Policy]) -> None:
    domain = {p.id for p in policies.values() if p.domain == "github-actions"}
    assert {policy_id for *_, policy_id in BAD} == domain


def test_expression_messages_name_the_character(policies: dict[str, Policy]) -> None:
    result = lint([str(FIXTURES / "bad")], Config(root=FIXTURES / "bad"), policies,
                  LintOptions(select=("expressions-well-formed",)))
    assert [f.message for f in result.findings] == [
        "malformed expression: `${{` at character 18 is never closed with `}}`",
        "malformed expression: expected a value, found the end of the expression at character 18 of the value"]


@pytest.mark.parametrize("text", [
    "github.event.pull_request.title", "!cancelled() && hashFiles('a') != ''", "fromJSON(steps.a.outputs.b)['k']",
    "matrix.os == 'ubuntu' || (x.y[0] && z.*.name)", "'it''s'", "0x1F < -1.5e3", "contains(github.event.*.x, 'y')",
    "format('{0}', github.sha)", "null == false",
])
def test_expressions_that_parse(text: str) -> None:
    parse(text)


@pytest.mark.parametrize(("text", "message", "offset"), [
    ("a &&", "expected a value, found the end of the expression", 4),
    ("(a", "expected ')', found the end of the expression", 2),
    ("a b", "unexpected 'b' after the expression", 2),
    ("'open", "unterminated string", 0),
    ("a.", "expected a property name after '.', found the end of the expression", 2),
    ("foo(,)", "expected a value, found ','", 4),
    ("a == #", "unexpected character '#'", 5),
    ("", "empty expression", 0),
    ("(" * 60 + "a" + ")" * 60, "expression nested too deeply", 50),
])
def test_expressions_that_do_not_parse(text: str, message: str, offset: int) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert (caught.value.message, caught.value.offset) == (message, offset)


def test_the_vendored_schemas_are_the_recorded_ones() -> None:
    vendor = ROOT / "schemas" / "vendor"
    source = (vendor / "github-workflow-action.SOURCE").read_text(encoding="utf-8")
    recorded = dict((name, digest) for digest, name in re.findall(r"([0-9a-f]{64})  (\S+\.json)", source))
    assert set(recorded) == {"github-workflow.json", "github-action.json"}
    for name, digest in recorded.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name
    assert "Apache License" in (vendor / "github-workflow-action.LICENSE").read_text(encoding="utf-8")


def test_a_structure_error_names_what_the_closest_branch_lacks(policies: dict[str, Policy]) -> None:
    """The schema's oneOf (steps or a reusable workflow call) says only that no branch matched: the message is the
    closest branch's."""
    result = lint([str(FIXTURES / "bad")], Config(root=FIXTURES / "bad"), policies,
                  LintOptions(select=("workflow-structure-valid",)))
    assert [(f.location.line, f.message, f.pointer) for f in result.findings] == [
        (17, 'invalid workflow: "runs-on" is a required property', "/jobs/notify")]


def test_an_expression_error_in_a_block_script_points_at_its_character(tmp_path: Path,
                                                                       policies: dict[str, Policy]) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n"
                        "    steps:\n      - run: |\n          make build\n          echo \"${{ github.sha ==\"\n",
                        encoding="utf-8")
    result = lint([str(workflow)], Config(root=tmp_path), policies, LintOptions(select=("expressions-well-formed",)))
    assert [(f.location.line, f.location.col) for f in result.findings] == [(10, 17)]
    assert workflow.read_text(encoding="utf-8").splitlines()[9][16:19] == "${{"  # the unclosed one
