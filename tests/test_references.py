"""The files a pipeline includes locally are GitLab CI files wherever they are (the gitlab-ci domain's
`references`, followed by the discover phase: gitops_tools/pipeline/references.py), in a run of the whole repository
and in a run of one included file; an include naming no file, or one out of the repository, is a finding at its
line and column, and what lies outside is never read. Real git repositories in temporary folders."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from conftest import CliRun, TreeLint, sorted_spots

from gitops_tools.pipeline.references import _matches, _tokens

PINNED = "python:3.12.12-bookworm"
PIPELINE = f"""\
include:
  - local: ci/build.yml
  - ci/missing.yml
  - local: /ci/jobs/*.yml
  - local: deep/**.yml
  - remote: https://gitlab.example.com/platform/ci/-/raw/main/scan.yml
  - local: $CI_PROJECT_DIR/ci/generated.yml
child:
  trigger:
    include: ci/child.yml
test:
  image: {PINNED}
  script: [make test]
"""
LATEST = "job:\n  image: python:latest\n  script: [make]\n"
REPOSITORY = {
    ".gitlab-ci.yml": PIPELINE,
    "ci/build.yml": LATEST + "include: ci/nested.yml\n",  # a nested include, from the root too
    "ci/nested.yml": LATEST,
    "ci/jobs/lint.yml": LATEST,
    "deep/a/b/release.yml": LATEST,
    "ci/child.yml": LATEST,
    "ci/not-included.yml": LATEST,  # no pipeline includes it: not a GitLab CI file
}


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    return tmp_path


def test_every_form_of_local_include_makes_a_gitlab_ci_file(repository: Path, lint_tree: TreeLint) -> None:
    result = lint_tree(REPOSITORY, ".")
    assert sorted_spots(result) == [
        (".gitlab-ci.yml", 3, 5, "gitlab-ci-include-local-exists"),
        (".gitlab-ci.yml", 6, 5, "gitlab-ci-include-pinned"),
        ("ci/build.yml", 2, 3, "gitlab-ci-image-pinned"),
        ("ci/child.yml", 2, 3, "gitlab-ci-image-pinned"),
        ("ci/jobs/lint.yml", 2, 3, "gitlab-ci-image-pinned"),
        ("ci/nested.yml", 2, 3, "gitlab-ci-image-pinned"),
        ("deep/a/b/release.yml", 2, 3, "gitlab-ci-image-pinned"),
    ]
    assert [f.message for f in result.findings if f.policy_id == "gitlab-ci-include-local-exists"] == [
        "local include names no file of the repository: 'ci/missing.yml' is not a file of the repository"]


@pytest.mark.parametrize("linted", ["ci/nested.yml", "deep/a/b/release.yml"])
def test_a_run_of_one_included_file_knows_it_is_one(repository: Path, lint_tree: TreeLint, linted: str) -> None:
    """As a pre-commit hook given only that file runs: the root .gitlab-ci.yml is read (not linted), and its
    includes followed, in turn."""
    result = lint_tree(REPOSITORY, linted, domains=("gitlab-ci",))
    assert sorted_spots(result) == [(linted, 2, 3, "gitlab-ci-image-pinned")]


def test_the_hook_reports_an_included_file_under_pre_commit(repository: Path, write_files: object,
                                                             run_cli: CliRun) -> None:
    """The gitlab-ci hook's command line on the one staged file, as pre-commit passes it."""
    for name, text in REPOSITORY.items():
        (repository / name).parent.mkdir(parents=True, exist_ok=True)
        (repository / name).write_text(text, encoding="utf-8")
    code, out, _ = run_cli("lint", "--jobs", "1", "--domain", "gitlab-ci", "ci/jobs/lint.yml")
    assert (code, out.splitlines()[0]) == (
        1, "ci/jobs/lint.yml:2:3: error [gitlab-ci-image-pinned] image is not pinned to a version")
    code, out, _ = run_cli("lint", "--jobs", "1", "--domain", "gitlab-ci", "ci/not-included.yml")
    assert code == 0, out


def test_includes_out_of_the_repository_are_findings_and_never_read(tmp_path: Path, lint_tree: TreeLint) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.yml").write_text(LATEST, encoding="utf-8")
    repository = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repository)], check=True)
    (repository / "ci").mkdir()
    (repository / "ci" / "link.yml").symlink_to(outside / "shared.yml")
    files = {"repo/.gitlab-ci.yml": "include:\n  - ../outside/shared.yml\n  - local: ci/link.yml\n"
                                    "  - local: /../outside/*.yml\n  - local: ci/none/*.yml\n"
                                    f"test:\n  image: {PINNED}\n  script: [make]\n"}
    result = lint_tree(files, "repo/.gitlab-ci.yml")
    assert sorted_spots(result) == [
        ("repo/.gitlab-ci.yml", 2, 5, "gitlab-ci-include-local-exists"),
        ("repo/.gitlab-ci.yml", 3, 12, "gitlab-ci-include-local-exists"),
        ("repo/.gitlab-ci.yml", 4, 12, "gitlab-ci-include-local-exists"),
        ("repo/.gitlab-ci.yml", 5, 12, "gitlab-ci-include-local-exists"),
    ]
    assert [f.message.partition(": ")[2] for f in result.findings] == [
        "'../outside/shared.yml' leads out of the repository; it is not read",
        "'ci/link.yml' leads out of the repository (a symbolic link); it is not read",
        "'/../outside/*.yml' leads out of the repository; it is not read",
        "'ci/none/*.yml' matches no file of the repository",
    ]


def test_domain_and_select_narrow_the_include_policy(repository: Path, lint_tree: TreeLint) -> None:
    assert sorted_spots(lint_tree(REPOSITORY, ".gitlab-ci.yml", domains=("kubernetes",))) == []
    assert sorted_spots(lint_tree(REPOSITORY, ".gitlab-ci.yml", select=("gitlab-ci-include-pinned",))) == [
        (".gitlab-ci.yml", 6, 5, "gitlab-ci-include-pinned")]


def test_include_cycles_end(repository: Path, lint_tree: TreeLint) -> None:
    files = {".gitlab-ci.yml": "include: ci/a.yml\n", "ci/a.yml": "include: ci/b.yml\n" + LATEST,
             "ci/b.yml": "include: [ci/a.yml, /.gitlab-ci.yml]\n"}
    assert sorted_spots(lint_tree(files, "ci/b.yml", "ci/a.yml")) == [("ci/a.yml", 3, 3, "gitlab-ci-image-pinned")]


def test_explain_classification_says_a_file_is_included(repository: Path, write_files: object,
                                                        run_cli: CliRun) -> None:
    (repository / ".gitlab-ci.yml").write_text("include: ci/build.yml\n", encoding="utf-8")
    (repository / "ci").mkdir()
    (repository / "ci" / "build.yml").write_text(LATEST, encoding="utf-8")
    code, out, _ = run_cli("lint", "--explain-classification", "ci/build.yml")
    assert code == 0
    assert out.splitlines()[1] == (
        "  gitlab-ci: included (kind Pipeline), a file a pipeline includes locally (`include`, `include: local`, "
        "`trigger: include`): a document the run reads names it (the domain's `references`)")


@pytest.mark.parametrize(("pattern", "path", "matches"), [
    ("ci/*.yml", "ci/a.yml", True),
    ("ci/*.yml", "ci/sub/a.yml", False),  # `*` stays in its folder
    ("ci/**.yml", "ci/a.yml", True),
    ("ci/**.yml", "ci/sub/deeper/a.yml", True),  # `**` crosses folders
    ("ci/**/*.yml", "ci/a.yml", True),  # `**/` is any run of folders, or none
    ("ci/**/*.yml", "ci/sub/a.yml", True),
    ("ci/**/*.yml", "cia.yml", False),
    ("**/*.yml", "a.yml", True),
    ("ci/*.yml", "ci/a.yaml", False),
    ("ci/[ab].yml", "ci/a.yml", False),  # GitLab reads only `*` as a wildcard: `[ab]` is itself
    ("ci/[ab].yml", "ci/[ab].yml", True),
    ("ci/a?.yml", "ci/ab.yml", False),
])
def test_wildcards_are_gitlabs(pattern: str, path: str, matches: bool) -> None:
    """GitLab's grammar (Repository#search_files_by_wildcard_path): `**/` any folders or none, `**` any characters,
    `*` any but `/`, the rest literal; the whole path matches."""
    assert _matches(_tokens(pattern), path) is matches


def test_a_hostile_wildcard_costs_linear_time() -> None:
    """A backtracking matcher takes exponential time on this; the set of positions is linear in the path."""
    pattern, path = "*a" * 40 + "**b", "a" * 1000
    started = time.process_time()
    assert not _matches(_tokens(pattern), path)
    assert time.process_time() - started < 2.0
