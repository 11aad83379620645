"""Which files a lint run reads: YAML and JSON under the given paths, minus what is ignored or excluded.

Skipped everywhere: vendored and tool folders, Helm chart templates (not YAML until rendered), anything the config
excludes, and, inside a git work tree, what git ignores. Kustomize patch files are marked `patch`: they are partial
resources, so only their syntax is checked.
"""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gitops_tools.errors import GitopsToolsError
from gitops_tools.kustomize import patch_files
from gitops_tools.pathmatch import Globs

LINTED_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", ".tox", "__pycache__",
    ".terraform", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
STDIN = "-"


@dataclass(frozen=True)
class SourceFile:
    """A file to lint: `display` is how findings name it, `relpath` is what config globs match."""

    path: Path | None  # None for stdin
    display: str
    relpath: str
    patch: bool = False


def discover(paths: Iterable[str], root: Path, exclude: Globs) -> list[SourceFile]:
    found: dict[Path, Path] = {}  # resolved -> as given
    stdin = False
    for given in paths:
        if given == STDIN:
            stdin = True
            continue
        path = Path(given)
        if not path.exists() and not path.is_symlink():  # a dangling link is read, and reported unreadable
            raise GitopsToolsError(f"path not found: {given}")
        for candidate in _walk(path) if path.is_dir() else [path]:
            if not in_helm_templates(candidate):
                found.setdefault(candidate.resolve(), candidate)
    patches = patch_files(found)
    files = [SourceFile(None, "<stdin>", "<stdin>")] if stdin else []
    for resolved, given_path in found.items():
        relpath = relative_posix(resolved, root, given_path.as_posix())
        if not exclude.match(relpath):
            files.append(SourceFile(given_path, Path(os.path.normpath(given_path)).as_posix(), relpath,
                                    resolved in patches))
    return files


def relative_posix(resolved: Path, root: Path, fallback: str) -> str:
    """`resolved` relative to `root` with forward slashes, or `fallback` when it lies outside `root`."""
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else fallback


def common_folder(paths: Iterable[str]) -> Path:
    """The deepest folder holding every path given (the working directory for none, or for stdin alone): where the
    config is looked for and the repository found, whatever order the paths come in."""
    folders = [p.resolve() if p.is_dir() else p.resolve().parent for p in map(Path, paths) if str(p) != STDIN
               and (p.exists() or p.is_symlink())]
    return Path(os.path.commonpath(folders)) if folders else Path.cwd()


def in_helm_templates(path: Path) -> bool:
    """Inside a chart's templates/ folder (a folder beside Chart.yaml)?"""
    parents = path.absolute().parents
    return any(folder.name == "templates" and (folder.parent / "Chart.yaml").is_file() for folder in parents)


def _walk(top: Path) -> Iterator[Path]:
    tracked = _git_files(top)
    for folder, dirnames, filenames in os.walk(top):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(folder, name)
            if path.suffix not in LINTED_SUFFIXES or not _regular(path):
                continue
            if tracked is None or tracked.allows(path.relative_to(top).as_posix()):
                yield path


def _regular(path: Path) -> bool:
    """Only regular files (no FIFOs, sockets, devices, dangling links): reading those can block or fail."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return True  # unreadable: reported as file-unreadable when read


@dataclass(frozen=True)
class _GitListing:
    files: frozenset[str]
    nested_repos: tuple[str, ...]  # git lists a nested repository or submodule as its folder only

    def allows(self, relpath: str) -> bool:
        return relpath in self.files or any(relpath.startswith(folder) for folder in self.nested_repos)


def _git_files(top: Path) -> _GitListing | None:
    """Paths (relative to `top`) git tracks or would track, ignored ones left out.

    None, meaning "no filter", outside a git work tree, without git, or when `top` itself is ignored (a folder
    named on the command line is linted even if git ignores it).
    """
    ignored = _git(top, "check-ignore", "-q", ".")
    if ignored is None or ignored[0] == 0:
        return None
    listed = _git(top, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    if listed is None or listed[0] != 0:
        return None
    names = [os.fsdecode(name) for name in listed[1].split(b"\0") if name]
    return _GitListing(frozenset(names), tuple(name for name in names if name.endswith("/")))


def _git(top: Path, *args: str) -> tuple[int, bytes] | None:
    try:
        done = subprocess.run(["git", *args], cwd=top, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, done.stdout
