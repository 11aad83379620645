"""The repository as a whole: required files (repository-required-files-present, a repository check over the file
list) and the pre-commit config's hooks (pre-commit-gitops-tools-hooks-pinned), on real git repositories."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import git
import pytest
import yaml
from test_reporters import valid_report, valid_sarif

from gitops_tools import __version__
from gitops_tools.cli import main
from gitops_tools.config import load_config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy
from gitops_tools.parameters import configure
from gitops_tools.pipeline.repository import MAX_LISTED, listing
from gitops_tools.pipeline.shard import Shard

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "repository"
ROOT = Path(__file__).resolve().parent.parent
AUTHOR = git.Actor("gitops-tools tests", "tests@example.com")
REQUIRED = "repository-required-files-present"
PINNED = "pre-commit-gitops-tools-hooks-pinned"
NO_CI = ("the repository has no required file: CI configuration (one of .github/workflows/*.yml, "
         ".github/workflows/*.yaml, .gitlab-ci.yml, .gitlab-ci.yaml)")
NO_CODEOWNERS = ("the repository has no required file: CODEOWNERS (one of CODEOWNERS, .github/CODEOWNERS, "
                 "docs/CODEOWNERS, .gitlab/CODEOWNERS)")
BAD = [(".", 1, 1, REQUIRED, NO_CI), (".", 1, 1, REQUIRED, NO_CODEOWNERS),
       (".pre-commit-config.yaml", 8, 5, PINNED,
        "the pre-commit config does not run gitops-tools' hooks at a pinned revision")]


def _repository(source: Path, target: Path) -> Path:
    """A git repository holding a copy of `source`, every file committed."""
    shutil.copytree(source, target)
    repo = git.Repo.init(target, initial_branch="main")
    repo.git.add("--all")
    repo.index.commit("The fixture", author=AUTHOR, committer=AUTHOR)
    return target


def _cli(cwd: Path, monkeypatch: pytest.MonkeyPatch, *argv: str) -> tuple[int, str, str]:
    monkeypatch.chdir(cwd)
    out, err = io.StringIO(), io.StringIO()
    code = main(["lint", *argv], out, err)
    return code, out.getvalue(), err.getvalue()


def _lint(root: Path, policies: dict[str, Policy], *paths: str, **options: Any) -> LintResult:
    """Lint `paths` (default: the root) from the working directory with the root's config, as the CLI would."""
    config = load_config(root / ".gitops-tools.yaml", root)
    return lint(list(paths) or ["."], config, configure(policies, config.policies), LintOptions(**options))


def _found(result: LintResult) -> list[tuple[str, int, int, str, str]]:
    return [(f.location.path, f.location.line, f.location.col, f.policy_id, f.message) for f in result.findings]


@pytest.fixture
def bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = _repository(FIXTURES / "bad", tmp_path / "bad")
    monkeypatch.chdir(root)
    return root


def test_the_good_repository_lints_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(FIXTURES / "good", tmp_path / "good")
    code, out, err = _cli(root, monkeypatch, "--fail-on", "info", ".")
    assert (code, err) == (0, ""), out
    assert out.startswith("No findings (4 files, 4 documents,")


def test_the_bad_repository_has_exactly_its_findings(bad: Path, policies: dict[str, Policy]) -> None:
    assert _found(_lint(bad, policies)) == BAD
    code, out, _ = _cli(bad, pytest.MonkeyPatch(), ".")
    assert code == 1
    assert out.splitlines()[:3] == [f"{path}:{line}:{col}: error [{pid}] {message}"
                                    for path, line, col, pid, message in BAD]


def test_findings_name_the_root_as_the_user_named_it(bad: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, _ = _cli(bad.parent, monkeypatch, "bad")
    assert code == 1
    assert f"bad:1:1: error [{REQUIRED}] {NO_CODEOWNERS}" in out.splitlines()
    assert f"bad/.pre-commit-config.yaml:8:5: error [{PINNED}]" in out


@pytest.mark.parametrize("paths", [["catalog-info.yaml"], ["README.md", ".pre-commit-config.yaml"], ["docs"]],
                         ids=["one-file", "files", "a-folder-below-the-root"])
def test_a_run_that_does_not_name_the_root_never_checks_the_repository(bad: Path, policies: dict[str, Policy],
                                                                       paths: list[str]) -> None:
    (bad / "docs").mkdir()
    (bad / "docs" / "index.yaml").write_text("title: docs\n", encoding="utf-8")
    assert REQUIRED not in {finding.policy_id for finding in _lint(bad, policies, *paths).findings}


def test_repository_checks_the_repository_whatever_the_paths(bad: Path, policies: dict[str, Policy],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """--repository: a pre-commit run given files (or none) still checks the repository, once."""
    found = _found(_lint(bad, policies, "catalog-info.yaml", repository=True))
    assert [spot for spot in found if spot[3] == REQUIRED] == BAD[:2]
    code, out, _ = _cli(bad, monkeypatch, "--repository", "--domain", "repository")
    assert code == 1
    assert out.splitlines() == [f".:1:1: error [{REQUIRED}] {NO_CI}", f".:1:1: error [{REQUIRED}] {NO_CODEOWNERS}",
                                "Found 2 findings: 2 errors (0 files, 0 documents, 2 policies)."]
    (bad / "docs").mkdir()
    code, out, _ = _cli(bad / "docs", monkeypatch, "--repository")
    assert code == 1 and out.startswith(f"..:1:1: error [{REQUIRED}] {NO_CI}"), out


def test_under_shard_one_shard_reports_the_repository(bad: Path, policies: dict[str, Policy]) -> None:
    whole = _found(_lint(bad, policies))
    shards = [_found(_lint(bad, policies, shard=Shard(index, 3))) for index in (1, 2, 3)]
    reporting = [found for found in shards if any(spot[3] == REQUIRED for spot in found)]
    assert len(reporting) == 1
    assert sorted(spot for found in shards for spot in found) == sorted(whole)


def test_a_file_deleted_but_still_in_the_index_is_missing(tmp_path: Path, policies: dict[str, Policy],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(FIXTURES / "good", tmp_path / "good")
    monkeypatch.chdir(root)
    (root / ".github" / "CODEOWNERS").unlink()
    assert _found(_lint(root, policies)) == [(".", 1, 1, REQUIRED, NO_CODEOWNERS)]


def test_a_file_git_ignores_does_not_count(tmp_path: Path, policies: dict[str, Policy],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(FIXTURES / "bad", tmp_path / "bad")
    monkeypatch.chdir(root)
    (root / "CODEOWNERS").write_text("* @acme/orders\n", encoding="utf-8")
    (root / ".gitlab-ci.yml").write_text("test:\n  image: python:3.12-slim\n  script: [make test]\n", "utf-8")
    assert [spot[3] for spot in _found(_lint(root, policies))] == [PINNED]  # untracked files count
    (root / ".gitignore").write_text("CODEOWNERS\n", encoding="utf-8")
    assert _found(_lint(root, policies))[0] == (".", 1, 1, REQUIRED, NO_CODEOWNERS)


def test_outside_git_the_named_folder_is_walked(tmp_path: Path, policies: dict[str, Policy],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "plain"
    shutil.copytree(FIXTURES / "bad", root)
    (root / "node_modules" / ".gitlab").mkdir(parents=True)
    (root / "node_modules" / ".gitlab" / "CODEOWNERS").write_text("* @x\n", encoding="utf-8")  # skipped folder
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "ci.yml").write_text("on: push\n", encoding="utf-8")
    monkeypatch.chdir(root)
    assert not (root / ".git").exists()
    found = _found(_lint(root, policies, select=(REQUIRED,)))
    assert found == [(".", 1, 1, REQUIRED, NO_CODEOWNERS)]


def test_a_walk_is_bounded_breadth_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gitops_tools.pipeline.repository as phase

    (tmp_path / "deep" / "er").mkdir(parents=True)
    for index in range(5):
        (tmp_path / "deep" / "er" / f"{index}.txt").write_text("", encoding="utf-8")
    (tmp_path / "README.md").write_text("", encoding="utf-8")
    (tmp_path / "deep" / "a.txt").write_text("", encoding="utf-8")
    assert listing(tmp_path).complete and len(listing(tmp_path).files) == 7
    monkeypatch.setattr(phase, "MAX_LISTED", 3)
    seen = listing(tmp_path)
    assert (seen.complete, seen.files) == (False, frozenset({"README.md", "deep/a.txt", "deep/er/0.txt"}))
    assert MAX_LISTED == 100_000


def test_exemptions_baselines_and_excludes_treat_repository_findings_as_any(bad: Path, policies: dict[str, Policy],
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = bad.parent / "baseline.json"
    assert _cli(bad, monkeypatch, "--write-baseline", str(baseline), ".")[0] == 0
    code, out, _ = _cli(bad, monkeypatch, "--baseline", str(baseline), ".")
    assert code == 0 and re.fullmatch(r"No findings \(3 files, 3 documents, [0-9]+ policies\)\.\n", out), out
    (bad / "CODEOWNERS").write_text("* @acme/orders\n", encoding="utf-8")
    code, out, _ = _cli(bad, monkeypatch, "--baseline", str(baseline), ".")
    assert code == 0 and re.fullmatch(r"No findings \(3 files, 3 documents, [0-9]+ policies\)\. 1 baseline finding "
                                      r"fixed\.\n", out), out
    config = yaml.safe_load((bad / ".gitops-tools.yaml").read_text(encoding="utf-8"))
    config["policies"][REQUIRED]["exclude"] = [{"path": ".", "reason": "an archive: its layout is frozen"}]
    (bad / ".gitops-tools.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert REQUIRED not in _cli(bad, monkeypatch, ".")[1]


def test_diff_lines_reports_a_deleted_required_file(tmp_path: Path, policies: dict[str, Policy],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repository(FIXTURES / "good", tmp_path / "good")
    monkeypatch.chdir(root)
    repo = git.Repo(root)
    repo.index.remove([".github/CODEOWNERS"], working_tree=True)
    repo.index.commit("Drop CODEOWNERS", author=AUTHOR, committer=AUTHOR)
    found = _found(_lint(root, policies, changed_since="HEAD~1", diff_lines=True))
    assert found == [(".", 1, 1, REQUIRED, NO_CODEOWNERS)]


@pytest.mark.parametrize("fmt", ["json", "sarif", "github", "gitlab", "junit"])
def test_every_format_reports_the_repository_findings(bad: Path, monkeypatch: pytest.MonkeyPatch, fmt: str) -> None:
    code, out, err = _cli(bad, monkeypatch, "--format", fmt, ".")
    assert (code, err) == (1, "")
    assert out.count(REQUIRED) >= 2, out
    if fmt == "json":
        findings = valid_report(out)["findings"]
        assert [(f["path"], f["repo_path"], f["line"]) for f in findings if f["policy_id"] == REQUIRED] == [
            (".", ".", 1), (".", ".", 1)]
    elif fmt == "sarif":
        results = valid_sarif(out)["runs"][0]["results"]
        assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results
                if r["ruleId"] == REQUIRED} == {"."}
    elif fmt == "gitlab":
        assert {entry["location"]["path"] for entry in json.loads(out) if entry["check_name"] == REQUIRED} == {"."}


@pytest.mark.parametrize(("value", "message"), [
    ("[{name: README}]", "5:18: parameter 'required' of 'repository-required-files-present'[0]: \"paths\" is a "
                         "required property"),
    ("[{name: README, paths: []}]", "5:33: parameter 'required' of 'repository-required-files-present'[0]['paths']: "
                                    "[] has less than 1 item"),
    ("README.md", "5:7: parameter 'required' of 'repository-required-files-present': \"README.md\" is not of type "
                  "\"array\""),
])
def test_a_bad_required_list_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str,
                                               message: str) -> None:
    (tmp_path / ".gitops-tools.yaml").write_text(
        f"policies:\n  {REQUIRED}:\n    enabled: true\n    parameters:\n      required: {value}\n", encoding="utf-8")
    code, out, err = _cli(tmp_path, monkeypatch, ".")
    assert (code, out) == (2, ""), err
    assert err == f"gitops-tools: error: .gitops-tools.yaml:{message}\n"


def test_the_pre_commit_policy_accepts_the_scaffolds_answers(policies: dict[str, Policy]) -> None:
    """Its default repos are what the scaffolds write by default; its default pin pattern is their rule for
    `gitops_tools_rev` (so every rev they accept is a pin) and refuses a branch."""
    policy = policies[PINNED]
    repos = {parameter.name: parameter.default for parameter in policy.parameters}["repos"]
    pattern = {parameter.name: parameter.default for parameter in policy.parameters}["pinned_rev_pattern"]
    for scaffold in ("service", "gitops-env"):
        answers = json.loads((ROOT / "scaffolds" / scaffold / "cookiecutter.json").read_text(encoding="utf-8"))
        assert answers["gitops_tools_repo"] in repos
        assert re.search(pattern, answers["gitops_tools_rev"])
        hook = (ROOT / "scaffolds" / scaffold / "hooks" / "pre_gen_project.py").read_text(encoding="utf-8")
        (rule,) = re.findall(r'"git-rev": \(r"([^"]+)"', hook)
        assert pattern == f"^({rule})$"
    for rev in ("main", "master", "HEAD", "release", "0123abc"):
        assert not re.search(pattern, rev), rev
    assert all(re.fullmatch("gitops-tools(-[a-z0-9]+)+", hook["id"]) for hook in yaml.safe_load(
        (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))), "a hook id the policy would not count"


@pytest.mark.parametrize("scaffold", ["service", "gitops-env"])
def test_scaffolds_pin_the_release_whose_hooks_and_policies_they_use(scaffold: str) -> None:
    """A generated repository's hooks run the gitops-tools its default rev names: that must be this version, the one
    shipping the hooks its .pre-commit-config.yaml lists and the policies its .gitops-tools.yaml configures (an older
    rev has no gitops-tools-repository hook, and reads the new policy ids as unknown)."""
    answers = json.loads((ROOT / "scaffolds" / scaffold / "cookiecutter.json").read_text(encoding="utf-8"))
    assert answers["gitops_tools_rev"] == f"v{__version__}"
    shipped = {hook["id"] for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))}
    (folder,) = (ROOT / "scaffolds" / scaffold).glob("{{cookiecutter.*}}")
    used = set(re.findall(r"- id: (gitops-tools-[a-z-]+)", (folder / ".pre-commit-config.yaml").read_text("utf-8")))
    drift = {"gitops-tools-drift"} if scaffold == "service" else set()  # service 1.1.0 checks it is on the golden path
    assert used == {"gitops-tools-lint", "gitops-tools-repository", *drift} and used <= shipped


@pytest.mark.slow
def test_a_repository_check_is_added_by_adding_one_file(tmp_path: Path,
                                                        readme_snippet: Callable[[str, str], str]) -> None:
    """README's example repository check, as one new module in a copy of the package, with README's policy file: it
    runs on the repository's root, with the policy's parameters, and not on a run given a file."""
    copy, work = tmp_path / "copy", tmp_path / "work"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gitops_tools", copy / "gitops_tools", ignore=ignore)
    shutil.copytree(ROOT / "schemas", copy / "schemas", ignore=ignore)
    module = readme_snippet("How lint works", "gitops_tools/checks/licence_present.py")
    (copy / "gitops_tools" / "checks" / "licence_present.py").write_text(module, encoding="utf-8")
    (work / "policies").mkdir(parents=True)
    policy = readme_snippet("How lint works", "schemas/policies/repository/repository-licence-present.yaml")
    (work / "policies" / "repository-licence-present.yaml").write_text(policy, encoding="utf-8")
    (work / "README.md").write_text("# work\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "GITOPS_TOOLS_NO_CACHE": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    assert run("rules", "--check", "--policy-dir", "policies").returncode == 0
    done = run("lint", "--policy-dir", "policies", "--select", "repository-licence-present", ".")
    assert (done.returncode, done.stdout) == (1, ".:1:1: warning [repository-licence-present] the repository has no "
                                                 "licence file: none of LICENSE, LICENSE.md\nFound 1 finding: 1 "
                                                 "warning (1 file, 1 document, 1 policy).\n"), done.stderr
    done = run("lint", "--policy-dir", "policies", "--select", "repository-licence-present", "README.md")
    assert (done.returncode, done.stdout.splitlines()[0]) == (0, "No findings (1 file, 0 documents, 1 policy)."), (
        done.stdout + done.stderr)
    (work / "LICENSE.md").write_text("MIT\n", encoding="utf-8")
    assert run("lint", "--policy-dir", "policies", "--select", "repository-licence-present", ".").returncode == 0
