"""What changed in a git repository since a base ref: files and the line ranges added or modified (via gitpython).

Used by `lint --changed-since REF` (lint only changed files) and `--diff-lines` (keep only findings on those lines).
The base is the merge-base of REF and HEAD, as a pull request sees it; the working tree, staged or not, is compared
with it, renames are followed, deleted files are ignored and untracked (not ignored) files count as wholly new.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitops_tools.errors import GitopsToolsError
from gitops_tools.fileio import real_path

if TYPE_CHECKING:
    from git import Repo

LineRanges = tuple[tuple[int, int], ...]
WHOLE_FILE: LineRanges = ((1, 2**31 - 1),)
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


class GitError(GitopsToolsError):
    """The repository, the ref or the paths cannot give a diff."""


class Changes(NamedTuple):
    root: Path  # the work tree, resolved
    base: str  # the merge-base commit
    files: dict[Path, LineRanges]  # resolved path -> added or modified line ranges (first, last)

    def lines(self, path: Path) -> LineRanges | None:
        """Added or modified line ranges; () for a file changed only by deletions or a rename; None if unchanged."""
        return self.files.get(real_path(path))


def repository_root(start: Path) -> Path | None:
    """The enclosing git work tree: what repo-relative report paths (SARIF, GitLab) are relative to."""
    for folder in (real_path(start), *real_path(start).parents):
        if (folder / ".git").exists():
            return folder
    return None


def changes_since(start: Path, ref: str) -> Changes:
    from git import Repo
    from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

    try:
        repo = Repo(start, search_parent_directories=True)
    except (InvalidGitRepositoryError, NoSuchPathError) as err:
        raise GitError(f"--changed-since needs a git repository, and {start} is not in one") from err
    if repo.working_tree_dir is None:
        raise GitError(f"{repo.git_dir} is a bare repository: there is no working tree to lint")
    root = real_path(Path(repo.working_tree_dir))
    try:
        base = _merge_base(repo, ref)
        diff = repo.git.diff(base, "--no-color", "--no-ext-diff", "--unified=0", "-M", "--diff-filter=d",
                             "--src-prefix=a/", "--dst-prefix=b/")
        untracked = repo.git.ls_files("--others", "--exclude-standard", "-z")
    except GitCommandError as err:
        raise GitError(f"git failed: {(err.stderr or str(err)).strip()}") from err
    files = _parse_diff(diff, root)
    files.update({real_path(root / name): WHOLE_FILE for name in untracked.split("\0") if name})
    return Changes(root, base, files)


def _merge_base(repo: Repo, ref: str) -> str:
    from git.exc import BadName, GitCommandError

    if not repo.head.is_valid():
        raise GitError(f"{repo.working_tree_dir} has no commits yet: --changed-since compares with a commit; commit "
                       "first, or lint without it")
    shallow = repo.git.rev_parse("--is-shallow-repository").strip() == "true"
    try:
        target = repo.commit(ref)
    except (BadName, ValueError, GitCommandError) as err:
        branch = _branch(ref)
        fetch = f"git fetch --no-tags origin +refs/heads/{branch}:refs/remotes/origin/{branch}"
        hint = (f" This is a shallow clone: fetch the base first, e.g. `{fetch}`" if shallow
                else f" Check the name, or fetch it: `{fetch}`.")
        raise GitError(f"unknown ref {ref!r}.{hint}") from err
    bases = repo.merge_base(target, "HEAD")
    if not bases:
        hint = (" This is a shallow clone: fetch more history, e.g. `git fetch --unshallow` (or actions/checkout with"
                " fetch-depth: 0)." if shallow else "")
        raise GitError(f"{ref!r} and HEAD have no common ancestor.{hint}")
    return str(bases[0].hexsha)


def _branch(ref: str) -> str:
    return ref.split("/", 1)[1] if ref.startswith("origin/") else ref


def _parse_diff(diff: str, root: Path) -> dict[Path, LineRanges]:
    """Added/modified line ranges per new path, from `git diff --unified=0` output."""
    files: dict[Path, list[tuple[int, int]]] = {}
    current: list[tuple[int, int]] | None = None
    for line in diff.split("\n"):  # content lines may hold \r or U+2028: not line breaks here
        if line.startswith(("+++ ", "rename to ")):  # a pure rename has no +++ line, only its header
            name = _unquote(line.split(" ", 2)[-1] if line.startswith("rename") else line[4:].rstrip("\t"))
            name = name if line.startswith("rename") else name.removeprefix("b/")
            current = None if name == "/dev/null" else files.setdefault(real_path(root / name), [])
        elif line.startswith("@@") and current is not None:
            match = _HUNK.match(line)
            if match:
                first, count = int(match.group(1)), int(match.group(2) if match.group(2) is not None else 1)
                # Lines removed after line `first` touch both neighbours: deleting a limit changes its parent.
                current.append((first, first + count - 1) if count else (max(first, 1), first + 1))
    return {path: tuple(ranges) for path, ranges in files.items()}


def _unquote(name: str) -> str:
    """git quotes paths with unusual characters C-style: "b/caf\\303\\251.yaml"."""
    if not (name.startswith('"') and name.endswith('"')):
        return name
    raw = name[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape").encode("latin-1")
    return raw.decode("utf-8", "replace")
