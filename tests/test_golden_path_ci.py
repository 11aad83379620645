"""The service scaffold's golden-path update jobs, run for real: their shell, as the generated CI files hold it, in a
generated repo that records an older scaffold version, with this checkout's gitops-tools on PATH (what their
`pip install` line would install), git, and a local bare repository as the remote. GitHub's pull request step
(`gh`) and GitLab's token and install lines need the forge; everything else runs as written."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitops_tools.cli import main

VENV_BIN = str(Path(sys.executable).parent)
AUTHOR = {"GIT_AUTHOR_NAME": "tests", "GIT_AUTHOR_EMAIL": "tests@example.com", "GIT_COMMITTER_NAME": "tests",
          "GIT_COMMITTER_EMAIL": "tests@example.com"}


def _git(cwd: Path, *argv: str) -> str:
    done = subprocess.run(["git", *argv], cwd=cwd, capture_output=True, text=True, timeout=60, check=True,
                          env={**os.environ, **AUTHOR})
    return done.stdout


def _behind_repo(tmp_path: Path, ci_provider: str) -> tuple[Path, Path, str]:
    """A generated service repo whose state records version 1.0.0 (committed), pushed to a bare remote that takes
    push options; returns the repo, the remote and the version the scaffold is at now."""
    code = main(["new", "service", "--no-input", "-o", str(tmp_path), "--set", f"ci_provider={ci_provider}"],
                io.StringIO(), io.StringIO())
    assert code == 0
    repo = tmp_path / "orders-api"
    state = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))
    current, state["version"] = state["version"], "1.0.0"
    (repo / ".scaffold.json").write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    _git(repo, "commit", "--quiet", "--all", "--message", "Made from service 1.0.0")
    remote = tmp_path / "remote.git"
    _git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    _git(remote, "config", "receive.advertisePushOptions", "true")
    _git(repo, "remote", "add", "origin", str(remote))
    _git(repo, "push", "--quiet", "origin", "main")
    return repo, remote, current


def _shell(script: str, cwd: Path, shell: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([shell, "-e", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}", **env})


@pytest.mark.slow
def test_the_gitlab_job_updates_on_a_branch_and_pushes_it_with_a_merge_request(tmp_path: Path) -> None:
    repo, remote, current = _behind_repo(tmp_path, "gitlab")
    job = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))["golden-path-update"]
    installs = [line for line in job["script"] if "pip " in line]
    token_check, *config_lines, set_url, update = [line for line in job["script"] if line not in installs]
    assert len(installs) == 3 and "set-url origin" in set_url  # the forge's lines, not run here
    script = "\n".join([token_check, *config_lines, update])
    env = {"GOLDEN_PATH_TOKEN": "unused", "CI_DEFAULT_BRANCH": "main", "CI_SERVER_HOST": "gitlab.example.com",
           **job["variables"]}
    done = _shell(script, repo, "sh", env)
    assert done.returncode == 0, done.stdout + done.stderr
    pushed = json.loads(_git(remote, "show", "golden-path/update:.scaffold.json"))
    assert pushed["version"] == current
    assert _git(remote, "rev-parse", "main") != _git(remote, "rev-parse", "golden-path/update")
    head = _git(remote, "log", "-1", "--format=%an", "golden-path/update").strip()
    assert head == "orders-api golden path"
    # the next scheduled run finds the same update on the branch and pushes nothing
    _git(repo, "checkout", "--quiet", "main")
    before = _git(remote, "rev-parse", "golden-path/update")
    done = _shell(script, repo, "sh", env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "golden-path/update already holds this update" in done.stdout
    assert _git(remote, "rev-parse", "golden-path/update") == before


@pytest.mark.slow
def test_a_current_repo_is_left_alone_by_the_gitlab_job(tmp_path: Path) -> None:
    repo, remote, current = _behind_repo(tmp_path, "gitlab")
    _git(repo, "revert", "--no-edit", "--quiet", "HEAD")  # back to the version it was generated at
    job = yaml.safe_load((repo / ".gitlab-ci.yml").read_text(encoding="utf-8"))["golden-path-update"]
    done = _shell(job["script"][-1], repo, "sh", {"CI_DEFAULT_BRANCH": "main", **job["variables"]})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "current: nothing to update" in done.stdout
    assert _git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/main"]
    assert json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))["version"] == current


@pytest.mark.slow
def test_the_github_update_step_commits_the_update_and_writes_the_pull_requests_body(tmp_path: Path) -> None:
    repo, _, current = _behind_repo(tmp_path, "github")
    workflow = yaml.safe_load((repo / ".github/workflows/golden-path.yml").read_text(encoding="utf-8"))
    (job,) = workflow["jobs"].values()
    (step,) = [step for step in job["steps"] if step.get("id") == "update"]
    runner_temp, outputs = tmp_path / "runner", tmp_path / "outputs"
    runner_temp.mkdir()
    env = {"RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(outputs), "BRANCH": job["env"]["BRANCH"],
           "GITOPS_TOOLS_PACKAGE": "gitops-tools @ git+https://github.com/example/gitops-tools@main"}
    done = _shell(step["run"], repo, "bash", env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs.read_text(encoding="utf-8").splitlines() == ["behind=true"]
    assert _git(repo, "branch", "--show-current").strip() == "golden-path/update"
    assert json.loads(_git(repo, "show", "HEAD:.scaffold.json"))["version"] == current
    assert _git(repo, "status", "--porcelain") == ""
    body = (runner_temp / "body.md").read_text(encoding="utf-8")
    assert body.startswith("Opened by the golden-path workflow: `gitops-tools update` with `gitops-tools @ git+")
    assert "**Conflicts:**" not in body
