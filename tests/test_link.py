"""`gitops-tools link` end to end: real git repos, real cookiecutter renders, a template source that is a local git
repository at a tag."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CliRun, git

from gitops_tools.lifecycle.base import BASE_FILE, read_base
from gitops_tools.lifecycle.state import STATE_FILE, Source, read_state
from gitops_tools.lifecycle.tree import read_folder, read_tree
from gitops_tools.scaffold import available_scaffolds

ENV = available_scaffolds()["gitops-env"]
COOKIECUTTER = str(Path(sys.executable).with_name("cookiecutter"))


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)


def made_without_state(tmp_path: Path, run_cli: CliRun, *answers: str) -> Path:
    """A repo rendered from the installed gitops-env, its state and base removed, committed with one local edit."""
    sets = [arg for answer in answers for arg in ("--set", answer)]
    code, _, err = run_cli("new", "gitops-env", "--no-input", "--no-git", "-o", str(tmp_path / "made"), *sets)
    assert code == 0, err
    (repo,) = (tmp_path / "made").iterdir()
    (repo / STATE_FILE).unlink()
    (repo / BASE_FILE).unlink()
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "made by hand long ago")
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nOur own notes.\n", encoding="utf-8")
    commit_all(repo, "notes")
    return repo


def test_link_records_state_and_base_and_commits(tmp_path: Path, run_cli: CliRun) -> None:
    repo = made_without_state(tmp_path, run_cli, "repo_name=envs", "teams=team-a")
    before = read_tree(repo)
    code, out, err = run_cli("link", str(repo), "--scaffold", "gitops-env", "--no-input", "--set", "repo_name=envs",
                             "--set", "teams=team-a")
    assert code == 0, err
    total = len(read_base(repo))
    assert f"Linked {repo.resolve()} to scaffold gitops-env {ENV.version} from the installed gitops-tools" in out
    assert f"The render matches the repo in {total - 1} of {total} files; 1 differ, 0 missing" in out
    assert "  differs  README.md\n" in out
    assert out.rstrip().splitlines()[-1].startswith("Recorded in commit ")
    state = read_state(repo)
    assert (state.scaffold, state.version, state.base) == ("gitops-env", ENV.version, BASE_FILE)
    assert state.answers["repo_name"] == "envs" and state.source is not None and state.source.kind == "package"
    assert read_tree(repo) == before  # only the state files were added
    base = read_base(repo)
    assert {path: entry for path, entry in base.items() if path != "README.md"} == \
        {path: entry for path, entry in before.items() if path != "README.md"}
    assert b"Our own notes." not in base["README.md"].data
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s") == f"Link scaffold gitops-env {ENV.version}"


def test_link_with_wrong_answers_says_how_far_the_render_is_off(tmp_path: Path, run_cli: CliRun) -> None:
    repo = made_without_state(tmp_path, run_cli, "repo_name=envs", "teams=team-a")
    code, out, err = run_cli("link", str(repo), "--scaffold", "gitops-env", "--no-input", "--no-commit")
    assert code == 0, err
    assert "  missing  projects/team-orders.yaml\n" in out  # the default teams, not the repo's
    assert "Staged .scaffold.json and .scaffold-base.tar.gz; not committed (--no-commit)." in out
    assert sorted(git(repo, "diff", "--cached", "--name-only").split()) == [BASE_FILE, STATE_FILE]
    assert git(repo, "log", "-1", "--format=%s") == "notes"


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A local git repository of the project's gitops-env scaffold: tag v1 is version 0.9.0, a commit after it is
    the installed version with a changed README."""
    repo = tmp_path / "gitops-tools"
    scaffold = repo / "scaffolds" / "gitops-env"
    shutil.copytree(ENV.path, scaffold, ignore=shutil.ignore_patterns("__pycache__", "releases.json"))
    settings = scaffold / "cookiecutter.json"
    settings.write_text(settings.read_text(encoding="utf-8").replace(f'"{ENV.version}"', '"0.9.0"'), "utf-8")
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    commit_all(repo, "0.9.0")
    git(repo, "tag", "v1")
    readme = next(scaffold.glob("{{*}}")) / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nVersion two.\n", encoding="utf-8")
    settings.write_text(settings.read_text(encoding="utf-8").replace('"0.9.0"', f'"{ENV.version}"'), "utf-8")
    commit_all(repo, "next")
    return repo


@pytest.mark.slow
def test_link_a_plain_cookiecutter_repo_of_an_older_version(tmp_path: Path, template_repo: Path,
                                                          run_cli: CliRun) -> None:
    """Made by plain cookiecutter from tag v1 (0.9.0), before state files held a source or base: link refuses to
    record the installed version's render as its base, and records v1's when given the template at v1."""
    done = subprocess.run([COOKIECUTTER, f"file://{template_repo}", "--checkout", "v1", "--directory",
                           "scaffolds/gitops-env", "--no-input", "-o", str(tmp_path / "made"), "teams=team-a"],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (repo,) = (tmp_path / "made").iterdir()
    rendered = read_folder(repo)
    old = json.loads((repo / STATE_FILE).read_text(encoding="utf-8"))
    (repo / STATE_FILE).write_text(json.dumps({key: old[key] for key in ("scaffold", "version", "commit", "answers")}))
    (repo / BASE_FILE).unlink()
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "plain cookiecutter, an old state file")

    code, _, err = run_cli("link", str(repo), "--no-input")
    assert code == 2
    assert f"has gitops-env {ENV.version}, not 0.9.0: the merge base must be what 0.9.0 renders" in err
    assert "Traceback" not in err and git(repo, "status", "--porcelain") == ""

    code, out, err = run_cli("link", str(repo), "--no-input", "--template", f"file://{template_repo}@v1")
    assert code == 0, err
    total = len(rendered)
    assert f"The render matches the repo in {total} of {total} files.\n" in out
    state = read_state(repo)
    assert (state.version, state.answers["teams"]) == ("0.9.0", "team-a")
    assert state.source == Source("git", f"file://{template_repo}", "v1", git(template_repo, "rev-parse", "v1"))
    assert read_base(repo) == rendered


def test_link_refuses_a_dirty_tree_and_bad_input_without_touching_anything(tmp_path: Path, run_cli: CliRun) -> None:
    repo = made_without_state(tmp_path, run_cli)
    (repo / "README.md").write_text("uncommitted\n", encoding="utf-8")
    code, _, err = run_cli("link", str(repo), "--scaffold", "gitops-env", "--no-input")
    assert code == 2 and "uncommitted change; commit or stash them before `gitops-tools link`" in err
    git(repo, "checkout", "--", "README.md")
    for argv, message in [
        (["--no-input"], "link needs --scaffold NAME"),
        (["--scaffold", "nope", "--no-input"], "the installed gitops-tools"),
        (["--scaffold", "gitops-env", "--version", "0.1.0", "--no-input"], "not 0.1.0"),
        (["--scaffold", "gitops-env", "--set", "teams=Bad_Team", "--no-input"], "teams"),
        (["--scaffold", "gitops-env", "--template", f"file://{tmp_path}/missing@v1", "--no-input"],
         "git clone failed"),
    ]:
        code, out, err = run_cli("link", str(repo), *argv)
        assert code == 2, (argv, out, err)
        assert message in err and "Traceback" not in err
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / STATE_FILE).exists() and not (repo / BASE_FILE).exists()
    (tmp_path / "plain").mkdir()
    code, _, err = run_cli("link", str(tmp_path / "plain"), "--scaffold", "gitops-env")
    assert code == 2 and "not in a git work tree" in err
