"""The built-in policies, kept on disk between runs: reading and checking the ~60 policy files is a fifth of a one-file
lint (the pre-commit case), and they only change with the package. The other data files every lint reads (the domain
files, the workload table) are kept the same way, beside them.

The cache is one pickle per installation in the user's cache folder, valid for one key: the package version, the
interpreter, and the path, size and modification time (ns) of every file of the package's code and of schemas/.
A config that extends policy packs gets one pickle per installation and list of packs, whose key also covers every
file of those packs' folders, so an edited pack policy is read again. A run computes the key once (`open_cache`):
it looks at every file of the package, and the record cache (gitops_tools/recordcache.py) uses it too.
Anything else (a missing, stale, unreadable or foreign file) means the policies are read from their files as before,
and the cache is rewritten when it can be; a cache that cannot be written is no error. Only a file the user owns, in
a folder only the user can write to, is unpickled. GITOPS_TOOLS_NO_CACHE=1 turns it off; GITOPS_TOOLS_CACHE_DIR
moves it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple, TypeVar

from gitops_tools import __version__
from gitops_tools.digest import sha256
from gitops_tools.model import Catalogue, Policy
from gitops_tools.resources import BuiltinData, schema_path

T = TypeVar("T")
PACKAGE_DIR = Path(__file__).resolve().parent
STALE_SECONDS = 30 * 24 * 3600  # another installation's cache not rewritten for this long is removed
# One file per installation (two virtualenvs, or pre-commit's environment and a checkout, each keep their own
# instead of replacing each other's on every run); the key inside it says whether it is still valid.
INSTALLATION = sha256(str(PACKAGE_DIR).encode()).hexdigest()[:16]
CACHE_NAME = f"builtin-policies-{INSTALLATION}.pickle"
DATA_NAME = f"builtin-data-{INSTALLATION}.pickle"
CACHE_FILES = ("builtin-policies-*.pickle", "builtin-data-*.pickle", "pack-policies-*.pickle",
               "cel-rules-*.pickle")  # the last: CRD schemas' compiled CEL rules (checks/_cel.py), rebuilt when gone


class Cache(NamedTuple):
    """Where a run's caches are, and the key they must hold their entries under (see `cache_key`)."""

    folder: Path
    key: str


def open_cache(environment: Mapping[str, str], packs: tuple[Path, ...] = ()) -> Cache | None:
    """The run's cache, for a config extending the policy packs in the folders `packs`; None when it is off."""
    folder = cache_dir(environment)
    return None if folder is None else Cache(folder, cache_key(packs))


def cache_dir(environment: Mapping[str, str]) -> Path | None:
    """Where the cache lives, or None when it is turned off."""
    if environment.get("GITOPS_TOOLS_NO_CACHE", "") not in ("", "0"):
        return None
    if environment.get("GITOPS_TOOLS_CACHE_DIR"):
        return Path(environment["GITOPS_TOOLS_CACHE_DIR"])
    home = environment.get("HOME")
    base = environment.get("XDG_CACHE_HOME") or (str(Path(home, ".cache")) if home else "")
    return Path(base, "gitops-tools") if base else None


def cache_key(packs: tuple[Path, ...] = ()) -> str:
    """Changes whenever the package's code, its schemas (policies included), the interpreter or a file of one of the
    policy-pack folders `packs` (in order) do."""
    stamps = [__version__, sys.version, sys.implementation.cache_tag]
    for top, suffix in ((PACKAGE_DIR, ".py"), (schema_path(), ""), *((pack, "") for pack in packs)):
        stamps.append(str(top))
        _stamp_files(str(top), suffix, stamps)
    return sha256("\0".join(stamps).encode()).hexdigest()


def _stamp_files(folder: str, suffix: str, stamps: list[str]) -> None:
    """Appends the path, size and modification time (ns) of every file under `folder` whose name ends with `suffix`,
    in name order (a symbolic link to a folder is not followed; an unreadable folder adds nothing). One string per
    file and one hash for all: a run stamps ~600 files, and a digest update for each cost as much as their stats."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if not entry.is_symlink() and (not suffix or entry.name != "__pycache__"):  # holds no .py
                _stamp_files(entry.path, suffix, stamps)
        elif entry.name.endswith(suffix):
            stat = entry.stat()
            stamps.append(f"{entry.path}\0{stat.st_size}\0{stat.st_mtime_ns}")


def builtin_policies(load: Callable[[], dict[str, Policy]], cache: Cache | None) -> dict[str, Policy]:
    """`load()` (the built-in policies), from the cache when it holds them."""
    return _cached(load, cache, CACHE_NAME, dict)


def builtin_data(load: Callable[[], BuiltinData], cache: Cache | None) -> BuiltinData:
    """`load()` (the parsed data files every lint reads besides the policies), from the cache when it holds them."""
    return _cached(load, cache, DATA_NAME, BuiltinData)


def pack_catalogue(load: Callable[[], Catalogue], cache: Cache | None, packs: tuple[Path, ...]) -> Catalogue:
    """`load()` (the policies with those of the pack folders `packs`), from the cache when it holds them (its key
    covers those packs: see `open_cache`): one file per installation and list of packs, so repositories extending
    different packs do not replace each other's cache."""
    name = f"pack-policies-{sha256(str((PACKAGE_DIR, packs)).encode()).hexdigest()[:16]}.pickle"
    return _cached(load, cache, name, Catalogue)


def _cached(load: Callable[[], T], cache: Cache | None, name: str, kind: type[T]) -> T:
    if cache is None:
        return load()
    cached = read(cache.folder / name, cache.key)
    if isinstance(cached, kind):
        return cached
    loaded = load()
    if write(cache.folder / name, cache.key, loaded):
        _prune(cache.folder, name, time.time() - STALE_SECONDS)
    return loaded


def read(path: Path, key: str) -> object:
    """What the cache at `path` holds for `key`, else None."""
    try:
        with path.open("rb") as stream:
            if not _trusted(os.fstat(stream.fileno())) or not _trusted(path.parent.stat()):
                return None
            stored_key, stored = pickle.load(stream)  # trusted: our own file, in a folder only we can write
    except Exception:  # noqa: BLE001 - whatever is wrong with the cache, the policy files are read instead
        return None
    return stored if stored_key == key else None


def _trusted(stat: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    return stat.st_uid == os.getuid() and not stat.st_mode & 0o022


def write(path: Path, key: str, value: object) -> bool:
    """Store `value` for `key` at `path` atomically (a temporary file, then a rename); False when it cannot be."""
    folder = path.parent
    temporary = folder / f".{path.name}.{os.getpid()}.tmp"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        with os.fdopen(fd, "wb") as stream:
            pickle.dump((key, value), stream, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except (OSError, pickle.PicklingError):  # a read-only home or a full disk: the next run reads the files again
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        return False
    return True


def _prune(folder: Path, keep: str, before: float) -> None:
    """Remove the caches (of other installations, or lists of packs) not written since `before` (gone, or rewritten
    when next used): one file per virtualenv or list of packs ever used would otherwise pile up."""
    for path in (path for pattern in CACHE_FILES for path in folder.glob(pattern)):
        with contextlib.suppress(OSError):
            if path.name != keep and path.stat().st_mtime < before:
                path.unlink()
