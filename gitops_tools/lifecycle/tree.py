"""A repository's files as data: POSIX path relative to the repo root -> content and executable bit.

Every lifecycle step (render, compose components, merge, apply) is a function of Trees, so it can be tested without
touching a work tree and applied to one all or nothing.
"""

from __future__ import annotations

import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gitops_tools.errors import ConfigError

STATE_FILES = frozenset({".scaffold.json", ".scaffold-base.tar.gz"})
GIT_SECONDS = 60


@dataclass(frozen=True)
class Entry:
    """One regular file: its bytes and whether it is executable (the only mode bit a repo keeps)."""

    data: bytes
    executable: bool = False


Tree = dict[str, Entry]  # POSIX path relative to the repo root -> its file


def read_folder(root: Path) -> Tree:
    """Every file under `root` (a render: no .git/), without the state files; a symbolic link is refused."""
    found: Tree = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if ".git" in path.relative_to(root).parts or relative in STATE_FILES:
            continue
        if path.is_symlink():
            raise ConfigError(f"{path} is a symbolic link; scaffolds and repos hold regular files only")
        if path.is_file():
            found[relative] = _entry(path)
    return found


def read_tree(root: Path) -> Tree:
    """The files of the git work tree at `root` that git tracks or would track (`git ls-files -co
    --exclude-standard`: ignored files are never part of a repo's tree), without .git/ and the state files."""
    try:
        listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=root, capture_output=True,
                                timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"cannot list the files of {root}: {err}") from err
    if listed.returncode != 0:
        raise ConfigError(f"{root} is not a git work tree: {listed.stderr.decode(errors='replace').strip()}")
    found: Tree = {}
    for name in sorted(set(listed.stdout.decode("utf-8", errors="surrogateescape").split("\0")) - {""}):
        path = root / name
        if name in STATE_FILES or (not path.exists() and not path.is_symlink()):
            continue  # deleted in the work tree but still in the index: not part of ours
        if path.is_symlink():
            raise ConfigError(f"{path} is a symbolic link; refusing to read the repo through it")
        if path.is_dir():
            continue  # a submodule or a nested repository: another repo's files, never a scaffold's
        found[name] = _entry(path)
    return found


def _entry(path: Path) -> Entry:
    try:
        return Entry(path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from err
