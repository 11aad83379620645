"""The git work tree a lifecycle command changes: found from a path, refused when dirty, committed afterwards.

`git` runs as a child process with a time bound; its configuration (the user's name and email) is the repo's, with
a fallback so a commit works on a machine without one, as `gitops-tools new` does.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from gitops_tools.errors import ConfigError, GitopsToolsError

GIT_SECONDS = 120
FALLBACK_AUTHOR = ("gitops-tools", "gitops-tools@localhost")


def git(repo: Path, *args: str, check: bool = True) -> str:
    """Run git in `repo` and return its output; a failure raises GitopsToolsError with git's own message."""
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, timeout=GIT_SECONDS,
                              check=False, env=env)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise GitopsToolsError(f"git {args[0]} failed in {repo}: {err}") from err
    if check and done.returncode != 0:
        raise GitopsToolsError(f"git {args[0]} failed in {repo}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def work_tree(path: Path) -> Path:
    """The root of the git work tree holding `path`; ConfigError when there is none."""
    if not path.is_dir():
        raise ConfigError(f"{path} is not a folder")
    try:
        done = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=path, capture_output=True, text=True,
                              timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"cannot run git in {path}: {err}") from err
    if done.returncode != 0 or not done.stdout.strip():
        raise ConfigError(f"{path} is not in a git work tree: the lifecycle commands work on a repo's commits")
    return Path(done.stdout.strip()).resolve()


def refuse_dirty(repo: Path, command: str) -> None:
    """A command that merges into the work tree needs it clean: the user's uncommitted work is never mixed with it."""
    status = git(repo, "status", "--porcelain", "--untracked-files=all")
    if status.strip():
        count = len(status.strip().splitlines())
        raise ConfigError(f"{repo} has {count} uncommitted change{'s' if count != 1 else ''}; commit or stash them "
                          f"before `gitops-tools {command}` (nothing was changed)")


def stage(repo: Path, paths: list[str]) -> None:
    """Stage these paths (written or deleted) as they now are in the work tree."""
    for start in range(0, len(paths), 200):  # a bounded command line however many files changed
        git(repo, "add", "--all", "--", *paths[start:start + 200])


def commit(repo: Path, message: str) -> str:
    """Commit what is staged; returns the new commit's id."""
    name = git(repo, "config", "user.name", check=False).strip() or FALLBACK_AUTHOR[0]
    email = git(repo, "config", "user.email", check=False).strip() or FALLBACK_AUTHOR[1]
    git(repo, "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "--no-verify", "-m",
        message)
    return git(repo, "rev-parse", "HEAD").strip()
