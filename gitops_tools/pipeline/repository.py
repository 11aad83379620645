"""Phase 5b, the repository: checks over the repository as a whole (its layout), once per run that lints its root.

When: a run one of whose paths is the root folder itself, the top of the git work tree that holds the paths (outside
git, the run's root: the config's folder, else the folder holding every path), as `gitops-tools lint .` at the top
and CI's full run do. Never a run given files (a pre-commit run with filenames) or a folder below the root: a layout
is the repository's, not a file's, and is checked once, not once per file. Under `--shard`, the shard that owns the
root's key (`.`) reports its findings, so the N shards together report them once.

What it sees: the repository's file list (`Repository`): git's (tracked files and untracked ones git does not ignore,
a submodule as its folder), else a walk that skips the folders discovery skips and stops after MAX_LISTED files,
breadth first (the top folders, where layouts put their files, come first).

Where its findings point: at the root folder, line 1 column 1, named as the user named it (`.`); their fingerprint
hashes the policy and the check's key (what was required, not a line), so a baseline matches them across runs. They
pass the same filter chain as a file's findings (the config's `exclude` matches the root as `.`), but `--diff-lines`:
a layout has no lines, and a pull request that deletes a required file is reported (as a file that cannot be
checked at all is).

A repository check is a module of gitops_tools/checks/ defining `repository_check` (the Check Protocol), named by a
policy with `targets: {scope: repository}` and `check: <module>`; it receives the policy's parameter values.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

from gitops_tools import checks
from gitops_tools.discovery import SKIPPED_DIRS
from gitops_tools.engine import Content, Engine, Place
from gitops_tools.fileio import real_path
from gitops_tools.findings import Finding
from gitops_tools.gitlisting import git_listing
from gitops_tools.model import FilePaths, Location
from gitops_tools.parameters import defaults

MAX_LISTED = 100_000  # files a walk outside git lists, at most: a layout is about the top folders
ROOT_KEY = "."  # the root's path from itself: what its findings' fingerprints and --shard hash


class Repository(NamedTuple):
    """The repository a run checks as a whole: its root and its files (POSIX paths from the root)."""

    root: Path  # the real path of the root folder
    files: frozenset[str]
    complete: bool = True  # False when a walk stopped at MAX_LISTED files

    def present(self, relpath: str) -> bool:
        """Whether a listed file is in the working tree: git lists a deleted file until its deletion is staged."""
        return os.path.lexists(self.root / relpath)


class Report(NamedTuple):
    """A requirement the repository does not meet: `detail` for the message, `key` (what was required) for the
    fingerprint."""

    detail: str
    key: str


class Check(Protocol):
    def __call__(self, repository: Repository, parameters: Mapping[str, Any]) -> Iterator[Report]: ...


def root_named(paths: list[Path], root: Path) -> Path | None:
    """The path given that names the root folder itself, if one does (as given: findings name the root so)."""
    for path in paths:
        try:
            if path.is_dir() and real_path(path) == root:
                return path
        except OSError:  # a path that cannot be looked up names no root
            continue
    return None


def listing(root: Path) -> Repository:
    """The repository's files: git's listing in a work tree, else a bounded walk."""
    files = git_listing(root) if (root / ".git").exists() else None
    if files is not None:
        return Repository(root, files)
    walked, complete = _walk(root)
    return Repository(root, frozenset(walked), complete)


def _walk(root: Path) -> tuple[list[str], bool]:
    """Files under `root`, breadth first, at most MAX_LISTED; links are listed, never followed."""
    found: list[str] = []
    folders = deque([""])
    while folders:
        folder = folders.popleft()
        try:
            with os.scandir(root / folder) as entries:
                names = sorted((entry.name, entry.is_dir(follow_symlinks=False)) for entry in entries)
        except OSError:  # a folder that cannot be listed holds nothing this check can see
            continue
        for name, is_folder in names:
            relpath = f"{folder}/{name}" if folder else name
            if is_folder:
                if name not in SKIPPED_DIRS:
                    folders.append(relpath)
                continue
            found.append(relpath)
            if len(found) >= MAX_LISTED:
                return found, False
    return found, True


def evaluate(engine: Engine, repository: Repository, paths: FilePaths) -> list[Finding]:
    """The findings of the run's repository checks, on the root (`paths`: its names)."""
    found: list[Finding] = []
    location = Location(paths.display, 1, 1, 1, 1)
    for policy in engine.repository_policies:
        check = cast(Check, checks.module(str(policy.check)).repository_check)
        for detail, key in check(repository, defaults(policy.parameters)):
            content = Content(paths.file, "", (), key)
            found += engine.finding(policy.id, detail, location, content, Place(paths), detail)
    return found
