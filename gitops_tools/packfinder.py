"""Where the policy packs a config's `extend:` names live: a folder inside the config's repository, or a Python
package installed in gitops-tools' own environment and announced by an entry point.

Finding a pack runs none of its code: entry points are read from the installed distributions' metadata
(`entry_points.txt`), and the package folder is located by the import system's finders for its top-level name
(`importlib.util.find_spec`, which reads the file system and imports nothing); the pack's files are then read as data.
A folder pack must lie inside the repository (links resolved): a config arrives in pull requests, and may not make
the linter read folders of the machine it runs on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.fileio import real_path
from gitops_tools.model import JsonPath, Location

ENTRY_POINT_GROUP = "gitops_tools.policy_packs"
PACK_FILE = "pack.yaml"
PACK_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")  # an entry point's name, as packages spell them
Locate = Callable[[JsonPath], Location]


@dataclass(frozen=True)
class PackRef:
    """One `extend` entry: the pack's folder (holding pack.yaml), where the entry is, and its optional pin."""

    spec: str  # as written: ./folder, ../folder or an installed pack's name
    folder: Path
    location: Location
    pin: str | None = None  # the pack version whose policies run (None: all of them)
    pin_location: Location | None = None


def is_folder(spec: str) -> bool:
    """Whether an `extend` entry names a folder (it starts with ./ or ../) rather than an installed pack."""
    return spec in (".", "..") or spec.startswith(("./", "../"))


def find_packs(entries: Sequence[Any], root: Path, boundary: Path, locate: Locate) -> tuple[PackRef, ...]:
    """The packs of `extend` (already checked by the config's schema), each found or a ConfigError at its entry."""
    refs: list[PackRef] = []
    for index, entry in enumerate(entries):
        spec: str = entry if isinstance(entry, str) else entry["pack"]
        where: JsonPath = ("extend", index) if isinstance(entry, str) else ("extend", index, "pack")
        location = locate(where)
        if not is_folder(spec) and not PACK_NAME.fullmatch(spec):
            raise ConfigError(f"invalid config: extend: {spec!r} is neither a folder of this repository (./folder or "
                              "../folder, relative to the config) nor an installed pack's name", location)
        folder = _repository_pack(spec, root, boundary, location) if is_folder(spec) else _installed_pack(spec,
                                                                                                         location)
        same = next((ref for ref in refs if ref.folder == folder), None)
        if same is not None:
            raise ConfigError(f"invalid config: extend: {spec!r} names the same pack as {same.spec!r} "
                              f"({same.location})", location)
        pin = None if isinstance(entry, str) else entry.get("policy_set")
        refs.append(PackRef(spec, folder, location, pin, locate(("extend", index, "policy_set")) if pin else None))
    return tuple(refs)


def _repository_pack(spec: str, root: Path, boundary: Path, location: Location) -> Path:
    folder = real_path(root / spec)
    if not folder.is_relative_to(boundary):
        raise ConfigError(f"invalid config: extend: {spec!r} is {folder}, outside the repository {boundary}: a config "
                          "may only extend packs inside it or installed ones", location)
    if not folder.is_dir():
        raise ConfigError(f"invalid config: extend: policy pack folder not found: {root / spec}", location)
    return _with_pack_file(folder, spec, location)


def _with_pack_file(folder: Path, spec: str, location: Location) -> Path:
    """`folder`, if it holds a pack.yaml that is no link out of it."""
    pack_file = folder / PACK_FILE
    if not pack_file.exists():
        raise ConfigError(f"invalid config: extend: {spec!r} is not a policy pack: {folder} has no {PACK_FILE}",
                          location)
    if not real_path(pack_file).is_relative_to(folder):
        raise ConfigError(f"invalid config: extend: {pack_file} links outside its pack; not read", location)
    return folder


def _installed_pack(spec: str, location: Location) -> Path:
    from importlib.metadata import entry_points

    announced = entry_points(group=ENTRY_POINT_GROUP)
    matches = sorted({entry.value for entry in announced if entry.name == spec})
    if not matches:
        names = ", ".join(sorted({entry.name for entry in announced})) or "none"
        raise ConfigError(f"invalid config: extend: no installed policy pack {spec!r} (installed packs: {names}); "
                          "a folder of this repository is written ./folder", location)
    if len(matches) > 1:
        raise ConfigError(f"invalid config: extend: {len(matches)} installed distributions announce a policy pack "
                          f"{spec!r} ({', '.join(matches)}): uninstall one", location)
    value = matches[0]
    if ":" in value:
        raise ConfigError(f"invalid config: extend: the entry point of pack {spec!r} is {value!r}; a pack's entry "
                          "point names the package that holds its pack.yaml, not an object in it", location)
    return _with_pack_file(_package_folder(value, spec, location), spec, location)


def _package_folder(module: str, spec: str, location: Location) -> Path:
    """The folder of package `module` (dotted), found without importing anything: the finders locate the top-level
    package; the rest of the name is folders inside it (a pack folder need not be a Python package)."""
    import importlib.util

    top, *rest = module.strip().split(".")
    try:
        found = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        found = None
    locations = list(found.submodule_search_locations or []) if found is not None else []
    for base in locations:
        folder = real_path(Path(base, *rest))
        if (folder / PACK_FILE).exists():
            return folder
    why = "is not an installed package" if not locations else f"has no {'/'.join([*rest, PACK_FILE])}"
    raise ConfigError(f"invalid config: extend: pack {spec!r} names the package {module!r}, which {why}", location)
