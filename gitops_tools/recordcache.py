"""The context files' object records, kept between runs: a one-file run (pre-commit) reads the other files of its
deployable unit for the workspace checks, and parsing 49 neighbours costs most of its time though they rarely change.

One pickle per repository, in the policy cache's folder (gitops_tools/policycache.py: same trust checks, same
atomic write, same GITOPS_TOOLS_NO_CACHE and GITOPS_TOOLS_CACHE_DIR). It is valid for one run signature: the policy
cache key (package code, schemas, interpreter), the active workspace checks and their collectors, the config's
domains and limits, the things a record depends on besides its file. Inside, a file's records are used only while
its absolute path, its names in the run (display, relpath, fingerprint path), and its size, modification and change
times (ns), inode and device are all unchanged. A file changed less than RACY_SECONDS ago is never stored: an edit
within the file system's timestamp granularity could keep every one of those. Linted files never use it; only
context files do, and a damaged, foreign or unwritable cache means the files are read as before.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from gitops_tools.config import Config
from gitops_tools.digest import sha256
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.model import FilePaths, ObjectRecord
from gitops_tools.pipeline.evaluate import source_paths
from gitops_tools.policycache import read, write

MAX_FILES = 5_000  # files kept per repository; a larger context (a sharded fleet audit) is read without the cache
RACY_SECONDS = 2
Stamp = tuple[int, int, int, int, int]  # size, mtime_ns, ctime_ns, inode, device
Records = tuple[ObjectRecord, ...]


class Entry(NamedTuple):
    """One context file's records, valid while it keeps its stamp and its names."""

    stamp: Stamp
    paths: FilePaths
    records: Records


def signature(engine: Engine, config: Config, key: str) -> str:
    """Changes whenever what a record holds could, for the same file; `key` is the run's policy cache key."""
    from gitops_tools.pipeline.workspace import collectors

    parts = (key, sorted(engine.workspace_checks), sorted(collectors(engine)),
             sorted((name, globs.patterns) for name, globs in config.domains.items()), repr(config.limits),
             str(engine.kubernetes_version))
    return sha256(repr(parts).encode()).hexdigest()


def cache_file(folder: Path, root: Path) -> Path:
    return folder / f"records-{sha256(str(root).encode()).hexdigest()[:16]}.pickle"


def context_records(context: Sequence[SourceFile], read_files: Callable[[Sequence[SourceFile]], Iterable[Records]],
                    path: Path, key: str) -> list[Records]:
    """Each context file's records, in order: from the cache at `path` when it holds them for `key`, the others
    from `read_files` (the run's pool, in one call); the cache is rewritten when a file was read."""
    if len(context) > MAX_FILES:
        return list(read_files(context))
    stored = _entries(read(path, key))
    names = [str(source.path.absolute()) if source.path is not None and source.problem is None else None
             for source in context]
    stamps = [_stamp(Path(name)) if name is not None else None for name in names]
    found: list[Records | None] = []
    for source, name, stamp in zip(context, names, stamps, strict=True):
        entry = stored.get(name) if name is not None and stamp is not None else None
        hit = entry is not None and entry.stamp == stamp and entry.paths == source_paths(source)
        found.append(entry.records if entry is not None and hit else None)
    missing = [source for source, records in zip(context, found, strict=True) if records is None]
    if not missing:
        return [records for records in found if records is not None]
    fresh = iter(read_files(missing))
    result = [records if records is not None else next(fresh) for records in found]
    _store(path, key, stored, zip(context, names, stamps, result, strict=True))
    return result


def _store(path: Path, key: str, stored: dict[str, Entry],
           run: Iterable[tuple[SourceFile, str | None, Stamp | None, Records]]) -> None:
    """This run's files first, then the earlier entries still true of their files, up to MAX_FILES."""
    settled = time.time_ns() - RACY_SECONDS * 1_000_000_000
    kept: dict[str, Entry] = {}
    for source, name, stamp, records in run:
        if name is not None and stamp is not None and max(stamp[1], stamp[2]) < settled:
            kept[name] = Entry(stamp, source_paths(source), records)
    for name, entry in stored.items():
        if len(kept) >= MAX_FILES:
            break
        if name not in kept and _stamp(Path(name)) == entry.stamp:
            kept[name] = entry
    if kept != stored:  # files changed just now, or read in vain: nothing new to keep
        write(path, key, kept)


def _entries(cached: object) -> dict[str, Entry]:
    """What a cache read holds, if it is what this module writes; else nothing."""
    if not isinstance(cached, dict):
        return {}
    return {name: entry for name, entry in cached.items() if isinstance(name, str) and isinstance(entry, Entry)}


def _stamp(path: Path) -> Stamp | None:
    try:
        stat = os.stat(path)  # noqa: PTH116 - the whole stat result, in one call
    except OSError:
        return None
    return stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev
