"""Scaffolds: list them, validate answers, render with cookiecutter into place atomically, start the git repo.

A scaffold is a folder of scaffolds/ holding a cookiecutter.json; its hooks are standard-library scripts so plain
cookiecutter can use it too. Its questions are asked and its answers checked by questionnaire.py, with the rules of
the scaffold's own pre-generation hook, before anything is rendered.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tools import interrupts
from gitops_tools.errors import GitopsToolsError
from gitops_tools.resources import data_root

STATE_FILE = ".scaffold.json"
RENDER_SECONDS = 600


class ScaffoldError(GitopsToolsError):
    """Bad answers, an unusable output directory, or a scaffold that failed to render."""


@dataclass(frozen=True)
class Scaffold:
    name: str
    path: Path
    version: str
    description: str

    def context(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "cookiecutter.json").read_text(encoding="utf-8"))
        return data


def available_scaffolds(root: Path | None = None) -> dict[str, Scaffold]:
    folder = (root or data_root()) / "scaffolds"
    found = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if (path / "cookiecutter.json").is_file():
            data = json.loads((path / "cookiecutter.json").read_text(encoding="utf-8"))
            found[path.name] = Scaffold(path.name, path, str(data.get("_scaffold_version", "")),
                                        str(data.get("_description", "")))
    return found


def render(scaffold: Scaffold, answers: dict[str, Any], output_dir: Path, *, force: bool = False,
           git: bool = True, source: dict[str, str | None] | None = None) -> tuple[Path, str | None]:
    """Render (and, with `git`, commit) in a temporary folder beside the target, then move it into place.

    Returns the target and the commit. `source` (kind, location, ref, commit: see lifecycle/state.py) replaces the
    template source the scaffold's hook recorded in the state file, before the commit. A failed or interrupted run
    (SIGINT, or SIGTERM through the CLI) leaves no temporary folder and no half-made repository: the work folder goes
    as a whole. Rendering into an existing folder (`force`) copies the files in and commits there; a repository is
    only created there whole, from the work folder.
    """
    with _work_folder(output_dir) as work:
        rendered, commit = _cookiecutter(scaffold, answers, Path(work), output_dir if git else None, source)
        target = output_dir / rendered.name
        _check_target(target, force)
        if target.exists():
            _refuse_links(rendered, target)
            shutil.copytree(rendered, target, dirs_exist_ok=True)
        else:
            rendered.rename(target)
    if git and commit is None:  # the target already was a repository: the scaffold is applied as a commit there
        commit = commit_initial(target, scaffold.name, scaffold.version, fresh=False)
    return target, commit


def _cookiecutter(scaffold: Scaffold, answers: dict[str, Any], work: Path, commit_for: Path | None,
                  source: dict[str, str | None] | None = None) -> tuple[Path, str | None]:
    """Render with cookiecutter, and commit unless the target in `commit_for` already is a repository, in a child
    process in its own session (see cookiecutter_run): on any exception here, an interrupt included, the child, its
    hooks and its git are stopped and waited for before the exception goes on. Returns the folder and the commit."""
    config = work / "cookiecutter-config.yaml"
    config.write_text(f"replay_dir: {work}/replay\ncookiecutters_dir: {work}/templates\n", encoding="utf-8")
    request = json.dumps({
        "template": str(scaffold.path), "output_dir": str(work / "out"), "config_file": str(config),
        "extra_context": {key: value for key, value in answers.items() if not key.startswith("_")},
        "commit": None if commit_for is None else {"unless_repository_in": str(commit_for), "scaffold": scaffold.name,
                                                   "version": scaffold.version},
        "source": source,
    })
    process = subprocess.Popen([sys.executable, "-m", "gitops_tools.cookiecutter_run"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(request, timeout=RENDER_SECONDS)
    except subprocess.TimeoutExpired as timeout:
        _stop(process)
        raise ScaffoldError(f"scaffold {scaffold.name} took over {RENDER_SECONDS} s to render; stopped") from timeout
    except BaseException:
        _stop(process)
        raise
    if process.returncode != 0:
        raise ScaffoldError(err.strip() or f"scaffold {scaffold.name} failed to render (exit {process.returncode})")
    done = json.loads(out)
    return Path(done["rendered"]), done["commit"]


def _stop(process: subprocess.Popen[str]) -> None:
    """Terminate the render's whole process group (hooks included) and wait for it."""
    for signum, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, None)):
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signum)
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def _work_folder(output_dir: Path) -> Iterator[str]:
    """A temporary folder inside `output_dir` (created if need be), removed however the block ends."""
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        with interrupts.held():  # a signal between creating the folder and owning it would leave the folder behind
            work = tempfile.TemporaryDirectory(prefix=".gitops-tools-new-", dir=output_dir)
    except FileExistsError as err:
        raise ScaffoldError(f"{output_dir} exists and is not a folder") from err
    except OSError as err:
        raise ScaffoldError(f"cannot create a repository in {output_dir}: {err.strerror or err}") from err
    with work as folder:
        yield folder


def _refuse_links(rendered: Path, target: Path) -> None:
    """Copying into an existing folder must not write through a symbolic link already there (to a file or folder
    anywhere): every path the scaffold writes is checked first."""
    for path in rendered.rglob("*"):
        there = target / path.relative_to(rendered)
        if there.is_symlink():
            raise ScaffoldError(f"{there} is a symbolic link; refusing to write the scaffold through it")


def _check_target(target: Path, force: bool) -> None:
    if target.is_symlink():
        raise ScaffoldError(f"{target} is a symbolic link; refusing to render through it")
    if not target.exists():
        return
    if not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a directory")
    if any(target.iterdir()) and not force:
        raise ScaffoldError(f"{target} exists and is not empty; use --force to render into it")
    if (target / ".git").exists():
        from git import Repo

        if Repo(target).is_dirty(untracked_files=True):
            raise ScaffoldError(f"{target} is a git repository with uncommitted changes; commit or stash them first")


def commit_initial(folder: Path, scaffold_name: str, version: str, *, fresh: bool) -> str:
    """Commit everything in `folder`, the state file included, in a new repository (`fresh`) or its own."""
    from git import Actor, Repo
    from git.exc import GitCommandError

    try:
        repo = Repo.init(folder, initial_branch="main") if fresh else Repo(folder)
        repo.git.add("--all")
        reader = repo.config_reader()
        name = reader.get_value("user", "name", "gitops-tools")
        email = reader.get_value("user", "email", "gitops-tools@localhost")
        author = Actor(str(name), str(email))
        message = f"{'Initial commit' if fresh else 'Apply scaffold'}: {scaffold_name} {version}"
        commit = repo.index.commit(f"{message}\n\nRendered by gitops-tools new; answers in {STATE_FILE}.",
                                   author=author, committer=author)
    except GitCommandError as err:
        raise ScaffoldError(f"git failed in {folder}: {(err.stderr or str(err)).strip()}") from err
    return str(commit.hexsha)
