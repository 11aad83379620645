"""The gitlab-ci domain: a realistic good repository lints clean, a bad one gets every policy of the domain at its
exact line; `!reference` tags pass the structure check where GitLab allows them; the vendored schema is the one
recorded."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

from conftest import FixtureLint, ToolFinder, folder_spots, sorted_spots

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "gitlab-ci"
BAD = [
    (".gitlab-ci.yml", 3, 5, "gitlab-ci-include-pinned"),  # project: without ref
    (".gitlab-ci.yml", 5, 5, "gitlab-ci-include-pinned"),  # remote: at a branch
    (".gitlab-ci.yml", 7, 12, "gitlab-ci-include-local-exists"),  # local: ci/smoke-tests.yml, not there
    (".gitlab-ci.yml", 11, 1, "gitlab-ci-image-pinned"),  # image: python:latest
    (".gitlab-ci.yml", 15, 14, "gitlab-ci-image-pinned"),  # services: [postgres]
    (".gitlab-ci.yml", 18, 3, "gitlab-ci-structure-valid"),  # when: allways
    (".gitlab/ci/deploy.yml", 4, 5, "gitlab-ci-image-pinned"),  # image: name: without a tag
    (".gitlab/ci/deploy.yml", 6, 7, "gitlab-ci-script-no-secret-echo"),
    ("ci/release.yml", 4, 3, "gitlab-ci-image-pinned"),  # included from outside .gitlab/ci/: linted as GitLab CI
]



def test_the_good_repository_lints_clean(lint_fixture: FixtureLint) -> None:
    result = lint_fixture("good")
    assert sorted_spots(result) == []
    assert result.documents == 3  # ci/jobs/deploy.yml, included by a wildcard, is one of them


def test_the_bad_repository_has_every_finding_at_its_line(lint_fixture: FixtureLint) -> None:
    assert sorted_spots(lint_fixture("bad")) == BAD


def test_every_gitlab_ci_policy_fires_in_the_bad_repository(policies: dict[str, Policy]) -> None:
    """Every policy on by default; the opt-in one (on in the service scaffold) runs in its examples and there."""
    domain = {p.id for p in policies.values() if p.domain == "gitlab-ci" and p.enabled}
    assert {policy_id for *_, policy_id in BAD} == domain
    opt_in = {p.id for p in policies.values() if p.domain == "gitlab-ci" and not p.enabled}
    assert opt_in == {"gitlab-ci-pip-install-pinned-by-hash"}


def test_structure_messages_are_the_closest_branchs(policies: dict[str, Policy]) -> None:
    result = lint([str(FIXTURES / "bad")], Config(root=FIXTURES / "bad"), policies,
                  LintOptions(select=("gitlab-ci-structure-valid",)))
    assert [f.message for f in result.findings] == [
        'invalid GitLab CI configuration: "allways" is not one of "on_success", "on_failure" or 4 other candidates']


def test_a_reference_tag_reads_as_the_list_it_names(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / ".gitlab-ci.yml").write_text(
        ".setup:\n  script: [make deps]\n  rules: [{if: $CI_COMMIT_TAG}]\n"
        "test:\n  image: python:3.12.12-bookworm\n  script:\n    - !reference [.setup, script]\n    - make test\n"
        "  rules:\n    - !reference [.setup, rules]\n"
        "bad:\n  image: python:3.12.12-bookworm\n  script: !reference {job: .setup}\n", encoding="utf-8")
    assert folder_spots(tmp_path, policies) == [(".gitlab-ci.yml", 13, 3, "gitlab-ci-structure-valid")]


def test_a_file_outside_the_domain_paths_is_not_a_pipeline(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "ci.yml").write_text("test:\n  image: python:latest\n  script: [make test]\n", encoding="utf-8")
    assert folder_spots(tmp_path, policies) == []


def test_the_vendored_schema_is_the_recorded_one() -> None:
    source = (ROOT / "schemas" / "vendor" / "gitlab-ci.SOURCE").read_text(encoding="utf-8")
    recorded = dict((name, digest) for digest, name in re.findall(r"([0-9a-f]{64})\s+(\S+\.json)", source))
    assert recorded == {"gitlab-ci.json": hashlib.sha256(
        (ROOT / "schemas" / "vendor" / "gitlab-ci.json").read_bytes()).hexdigest()}
    assert "MIT" in source and (ROOT / "schemas" / "vendor" / "gitlab-ci.LICENSE").is_file()


def _check_jsonschema(path: Path, checker: str) -> bool:
    """check-jsonschema's verdict on one file, with GitLab's schema and its `!reference` transform, as its
    check-gitlab-ci hook runs it."""
    done = subprocess.run([checker, "--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci",
                           "--regex-variant", "nonunicode", str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode in (0, 1), done.stdout + done.stderr
    return done.returncode == 0


def test_structure_verdicts_agree_with_check_jsonschema(policies: dict[str, Policy],
                                                        external_tool: ToolFinder) -> None:
    """Differential: every fixture file is valid for gitlab-ci-structure-valid exactly when check-jsonschema (the
    peer that vendors the same schema) says so."""
    checker = external_tool("check-jsonschema")
    files = sorted(p for p in FIXTURES.rglob("*.yml") if p.is_file())
    ours = {}
    for path in files:
        result = lint([str(path)], Config(root=path.parent), policies,
                      LintOptions(select=("gitlab-ci-structure-valid",)))
        ours[path.relative_to(FIXTURES).as_posix()] = not result.findings
    theirs = {path.relative_to(FIXTURES).as_posix(): _check_jsonschema(path, checker) for path in files}
    assert ours == theirs
    assert sorted(ours.values()) == [False, True, True, True, True, True]  # the bad .gitlab-ci.yml is the invalid one
