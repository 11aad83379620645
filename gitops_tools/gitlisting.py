"""What git tracks or would track in a folder, ignored files left out: the files a walk of a work tree may lint
(gitops_tools/discovery.py), the files beside a kustomization it may read, and the repository checks' file list.
Outside a git work tree, or without git, nothing is filtered."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple


def git_visible(folder: Path, names: Iterable[str]) -> list[str]:
    """The `names` (of files directly in `folder`) that git does not ignore; all of them outside a work tree."""
    listing = git_files(folder)
    return [name for name in names if listing is None or listing.allows(name)]


def git_listing(top: Path) -> frozenset[str] | None:
    """Every path (relative to `top`) git tracks or would track, ignored ones left out: a submodule or an untracked
    nested repository as its folder. None outside a git work tree, without git, or when git ignores `top`."""
    listing = git_files(top)
    return None if listing is None else listing.files


class GitListing(NamedTuple):
    files: frozenset[str]
    nested_repos: tuple[str, ...]  # an untracked nested repository is listed as its folder only, `nested/`

    def allows(self, relpath: str) -> bool:
        """Tracked or untracked-but-not-ignored; files of a submodule (listed as its folder, `sub`) or of a nested
        repository are allowed too: git does not list them, it does not ignore them."""
        if relpath in self.files or any(relpath.startswith(folder) for folder in self.nested_repos):
            return True
        return any(relpath[:index] in self.files for index, char in enumerate(relpath) if char == "/")


def git_files(top: Path) -> GitListing | None:
    """Paths (relative to `top`) git tracks or would track, ignored ones left out.

    None, meaning "no filter", outside a git work tree, without git, or when `top` itself is ignored (a folder
    named on the command line is linted even if git ignores it).
    """
    ignored = run_git(top, "check-ignore", "-q", ".")
    if ignored is None or ignored[0] == 0:
        return None
    listed = run_git(top, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None or listed[0] != 0:
        return None
    names = [os.fsdecode(name) for name in listed[1].split(b"\0") if name]
    return GitListing(frozenset(names), tuple(name for name in names if name.endswith("/")))


def run_git(top: Path, *args: str) -> tuple[int, bytes] | None:
    """git's exit status and output for `args` in `top`; None without git or past the time limit."""
    import subprocess  # here, not at the top: a run that only looks for a repository's files never starts one

    try:
        done = subprocess.run(["git", *args], cwd=top, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout
