"""Write a merge's result into a repo, all or nothing.

Every path is checked before anything is touched: relative, inside the repo, not in .git/, no symlink on the way
(a symlinked folder could point out of the repo) and none at the end, no folder where a file goes. Then each new
file is written to a temp file beside its target, and only once all are written are they renamed into place and the
deletions made. On any failure every renamed or deleted file gets its old bytes and mode back, the temp files and
the folders made for them go: the work tree is as it was.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.tree import Entry, Tree

_TEMP_PREFIX = ".gitops-tools-"


@dataclass
class _Undo:
    """What a failed apply puts back: old files (None: the path did not exist), temp files, folders it made."""

    old: dict[Path, Entry | None] = field(default_factory=dict)
    temps: dict[Path, Path] = field(default_factory=dict)  # target -> its temp file, until renamed
    folders: list[Path] = field(default_factory=list)


def apply(repo: Path, writes: Tree, deletes: set[str] | frozenset[str] = frozenset()) -> None:
    """Write `writes` and delete `deletes` under `repo`; raises ConfigError (nothing changed) on a bad path, and
    re-raises an OSError after restoring the work tree."""
    root = repo.resolve()
    targets = {path: target(root, path) for path in [*writes, *deletes]}
    undo = _Undo()
    try:
        for path, entry in sorted(writes.items()):
            _stage(targets[path], entry, undo)
        for path in sorted(writes):
            file = targets[path]
            undo.temps.pop(file).replace(file)
        for path in sorted(deletes):
            file = targets[path]
            if file.exists():
                undo.old.setdefault(file, _read(file))
                file.unlink()
    except BaseException:
        _restore(undo)
        raise
    for path in sorted(deletes):
        _prune(targets[path].parent, root)


def target(root: Path, path: str) -> Path:
    """The file `path` names under `root` (resolved), refused (ConfigError) when it leaves the repo, enters .git/,
    passes through or ends at a symlink, or names a folder."""
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts) or "\\" in path or "\0" in path or parts[0] == ".git":
        raise ConfigError(f"{path}: not a path inside the repository; nothing was written")
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise ConfigError(f"{path}: {current.relative_to(root)} is a symlink; refusing to write through it "
                              "(nothing was written)")
    if current.is_dir():
        raise ConfigError(f"{path}: is a folder in the repository, the update has a file there; nothing was written")
    for parent in current.relative_to(root).parents:
        if (root / parent).exists() and not (root / parent).is_dir():
            raise ConfigError(f"{path}: {parent} is a file in the repository, the update has a folder there; "
                              "nothing was written")
    return current


def _stage(file: Path, entry: Entry, undo: _Undo) -> None:
    missing = [folder for folder in [file.parent, *file.parent.parents] if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir()
        undo.folders.append(folder)
    undo.old.setdefault(file, _read(file) if file.exists() else None)
    handle, name = tempfile.mkstemp(prefix=_TEMP_PREFIX, dir=file.parent)
    undo.temps[file] = Path(name)
    with os.fdopen(handle, "wb") as stream:
        stream.write(entry.data)
    Path(name).chmod(0o755 if entry.executable else 0o644)


def _read(file: Path) -> Entry:
    return Entry(file.read_bytes(), bool(file.stat().st_mode & stat.S_IXUSR))


def _restore(undo: _Undo) -> None:
    """Put back every file the failed apply changed; best effort on each, so one failure does not stop the rest."""
    for temp in undo.temps.values():
        temp.unlink(missing_ok=True)
    for file, entry in undo.old.items():
        try:
            if entry is None:
                file.unlink(missing_ok=True)
            elif file in undo.temps or _read_or_none(file) == entry:
                continue
            else:
                file.write_bytes(entry.data)
                file.chmod(0o755 if entry.executable else 0o644)
        except OSError:
            continue
    for folder in reversed(undo.folders):
        try:
            folder.rmdir()
        except OSError:
            continue


def _read_or_none(file: Path) -> Entry | None:
    try:
        return _read(file)
    except OSError:
        return None


def _prune(folder: Path, root: Path) -> None:
    """Remove the folders a deletion left empty, up to the repo root (git does not keep empty folders either)."""
    while folder != root and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
