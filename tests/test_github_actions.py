"""The github-actions domain: a realistic good repository lints clean, a bad one gets every policy of the domain at
its exact line; the expression parser; the vendored public schemas; and, differentially, our verdicts against the
peers that share a concept with us (check-jsonschema for structure, actionlint for expression syntax)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from conftest import ToolFinder, folder_spots

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
    """Every policy on by default; the opt-in one (on in the service scaffold) runs in its examples and there."""
    domain = {p.id for p in policies.values() if p.domain == "github-actions" and p.enabled}
    assert {policy_id for *_, policy_id in BAD} == domain
    opt_in = {p.id for p in policies.values() if p.domain == "github-actions" and not p.enabled}
    assert opt_in == {"run-pip-install-pinned-by-hash"}


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


STRUCTURE_CASES = {  # workflow text -> whether it is valid (both peers and we must agree; the oracle is asserted too)
    "loose-timeout.yml": ("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    timeout-minutes: ten\n"
                          "    steps: [{run: make}]\n", False),
    "misspelt-key.yml": ("on: push\njobs:\n  a:\n    runs_on: ubuntu-24.04\n    steps: [{run: make}]\n", False),
    "steps-mapping.yml": ("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps: {run: make}\n", False),
    "bad-permission.yml": ("on: push\npermissions: {contents: admin}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n"
                           "    steps: [{run: make}]\n", False),
    "matrix.yml": ("on: [push, pull_request]\njobs:\n  a:\n    strategy: {matrix: {os: [ubuntu-24.04]}}\n"
                   "    runs-on: ${{ matrix.os }}\n    timeout-minutes: 5\n    steps: [{run: make}]\n", True),
}


def _repository(path: Path) -> Path:
    """The folder holding a workflow's or an action's `.github`: the domain finds them by their path below it."""
    return next(folder for folder in path.parents if folder.name == ".github").parent


def _schema_verdicts(checker: str, files: list[Path]) -> dict[Path, bool]:
    """check-jsonschema's verdict on each file, with the public schema it vendors for the file's kind, as its
    check-github-workflows and check-github-actions hooks run it (one run per schema: it starts slowly)."""
    verdicts, actions = {}, [p for p in files if p.name in ("action.yml", "action.yaml")]
    for schema, group in (("vendor.github-actions", actions),
                          ("vendor.github-workflows", [p for p in files if p not in actions])):
        done = subprocess.run([checker, "--builtin-schema", schema, "-o", "json", *map(str, group)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        invalid = {Path(error["filename"]) for error in json.loads(done.stdout)["errors"]}
        verdicts |= {path: path not in invalid for path in group}
    return verdicts


def test_structure_verdicts_agree_with_check_jsonschema(tmp_path: Path, policies: dict[str, Policy],
                                                        external_tool: ToolFinder) -> None:
    """Differential: each fixture workflow and action, and each crafted case, is valid for our structure policies
    exactly when check-jsonschema (the peer that vendors the same SchemaStore schemas) says so."""
    checker = external_tool("check-jsonschema")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name, (text, _) in STRUCTURE_CASES.items():
        (workflows / name).write_text(text, encoding="utf-8")
    files = sorted(p for p in [*FIXTURES.rglob("*.yml"), *workflows.iterdir()] if p.is_file())
    select = LintOptions(select=("workflow-structure-valid", "action-structure-valid"))
    ours = {path: not lint([str(path)], Config(root=_repository(path)), policies, select).findings for path in files}
    theirs = _schema_verdicts(checker, files)
    assert ours == theirs
    assert {path.name: valid for path, valid in ours.items() if path.parent == workflows} == {
        name: valid for name, (_, valid) in STRUCTURE_CASES.items()}
    assert sorted(path.relative_to(FIXTURES).as_posix() for path, valid in ours.items() if not valid and
                  path.is_relative_to(FIXTURES)) == ["bad/.github/actions/setup/action.yml",
                                                     "bad/.github/workflows/deploy.yml"]


EXPRESSIONS = [  # each once in a `run:` line; parse errors are the shared concept, types and contexts are not
    "github.event.pull_request.title", "!cancelled() && hashFiles('a') != ''", "fromJSON(steps.a.outputs.b)['k']",
    "'it''s'", "0x1F < -1.5e3", "contains(github.event.*.x, 'y')", "format('{0}', github.sha)", "null == false",
    "a < b", "!!a", "a.b-c", "-1", "a.*", "NaN", "Infinity", "fromJSON('[]')[0]",
    "a &&", "(a", "a b", "'open", "a.", "foo(,)", "a == #", "", "github.sha ==", "1 +", "a[", "a]", "!", "a === b",
    "a = b", "a || || b", "'a' 'b'", "f(a b)", "a.b.c.", "a..b", "`x`", '"dq"', "1e", "x[*]", "0b101", "a.b[\"c\"]",
    "a.1", ".5", "5.", "(" * 60 + "a" + ")" * 60,
]
# Where the verdicts differ, on purpose: expression -> (ours, actionlint's, why).
EXPRESSION_DIFFERENCES = {
    ".5": (True, False, "GitHub's own lexer reads a number from a leading dot (it parses the token as a double)"),
    "5.": (True, False, "likewise a trailing dot"),
    "(" * 60 + "a" + ")" * 60: (False, True, "our bound: nesting past 50 levels is refused, whatever the input"),
}
SYNTAX_WORDS = ("while lexing", "while parsing", "did not reach end of input")  # actionlint's parse errors, not checks


def test_expression_verdicts_agree_with_actionlint(tmp_path: Path, external_tool: ToolFinder) -> None:
    """Differential: an expression parses for expressions-well-formed exactly when actionlint finds no syntax error in
    it, but for the listed, explained differences (which must still differ: a peer that changes is noticed)."""
    actionlint = external_tool("actionlint")
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for number, text in enumerate(EXPRESSIONS):
        (workflows / f"e{number}.yml").write_text(
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n"
            f"      - run: echo \"${{{{ {text} }}}}\"\n", encoding="utf-8")
    done = subprocess.run([actionlint, "-format", "{{json .}}", *sorted(str(p) for p in workflows.iterdir())],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr
    rejected = {Path(error["filepath"]).stem for error in json.loads(done.stdout or "[]")
                if error["kind"] == "expression" and any(word in error["message"] for word in SYNTAX_WORDS)}
    theirs = {text: f"e{number}" not in rejected for number, text in enumerate(EXPRESSIONS)}
    ours = {text: _parses(text) for text in EXPRESSIONS}
    differing = {text: (ours[text], theirs[text]) for text in EXPRESSIONS if ours[text] != theirs[text]}
    assert differing == {text: (mine, peer) for text, (mine, peer, _) in EXPRESSION_DIFFERENCES.items()}
    assert sum(ours.values()) == 18  # both kinds are well represented


def _parses(text: str) -> bool:
    try:
        parse(text)
    except ExpressionError:
        return False
    return True
