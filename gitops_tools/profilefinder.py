"""Where the profiles a run may name live: the built-in ones (the files of schemas/profiles/, found by listing), those
a policy pack ships (the files of a `profiles/` folder beside its pack.yaml), and any file a path names.

Nothing here is read unless a profile is named (`--profile`, the config's `profile:`, `rules --profiles`): a run
without one lists no folder. A name is a profile's `name`, equal to its file's name; a spec holding a `/` or ending
in .yaml/.yml is a path instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from gitops_tools.errors import ConfigError
from gitops_tools.fileio import real_path
from gitops_tools.model import Location
from gitops_tools.resources import schema_path

PROFILE_FOLDER = "profiles"  # beside a pack's pack.yaml
SUFFIXES = (".yaml", ".yml")


class Known(NamedTuple):
    """A profile that can be named: its file, and who ships it (None: built-in; else the pack's name)."""

    path: Path
    pack: str | None = None


def builtin_profile_dir() -> Path:
    return schema_path("profiles")


def is_path(spec: str) -> bool:
    """Whether a profile spec names a file (it holds a / or ends in .yaml/.yml) rather than a profile by name."""
    return "/" in spec or spec.endswith(SUFFIXES)


def known_profiles(packs: Iterable[tuple[str, Path]] = ()) -> dict[str, Known]:
    """Every profile by name: the built-in ones, then those of the `packs` (each its name and folder), in order; a
    name defined twice is a ConfigError naming both files."""
    found: dict[str, Known] = {}
    sources: list[tuple[Path, str | None]] = [(builtin_profile_dir(), None),
                                              *((folder / PROFILE_FOLDER, name) for name, folder in packs)]
    for folder, pack in sources:
        for path in _profile_files(folder):
            twin = found.get(path.stem)
            if twin is not None:
                raise ConfigError(f"profile {path.stem!r} is defined twice: {_shown(twin.path)} and {_shown(path)}",
                                  Location(str(_shown(path))))
            found[path.stem] = Known(path, pack)
    return found


def _profile_files(folder: Path) -> list[Path]:
    """The profile files of `folder` (none when it does not exist); a file may not be a link out of it."""
    if not folder.is_dir():
        return []
    top = real_path(folder)
    files = sorted(path for path in folder.iterdir() if path.suffix in SUFFIXES)
    for path in files:
        if not real_path(path).is_relative_to(top):
            raise ConfigError(f"{_shown(path)} links outside its profiles folder {_shown(folder)}; not read",
                              Location(str(_shown(path))))
    return files


def find_profile(spec: str, known: dict[str, Known], base: Path, boundary: Path | None,
                 location: Location | None) -> Path:
    """The file `spec` names: a known profile's, or a path relative to `base` (inside `boundary` when one is given:
    a config, which may come from a pull request, names files of its repository only)."""
    if not is_path(spec):
        entry = known.get(spec)
        if entry is None:
            names = ", ".join(sorted(known)) or "none"
            raise ConfigError(f"unknown profile {spec!r}; profiles: {names} (a file of the repository is named by "
                              "its path, e.g. ./profiles/team.yaml)", location)
        return entry.path
    path = base / spec
    if boundary is not None and not real_path(path).is_relative_to(boundary):
        raise ConfigError(f"profile {spec!r} is {real_path(path)}, outside the repository {boundary}: name a file "
                          "inside it", location)
    if not path.is_file():
        raise ConfigError(f"profile file not found: {_shown(path)}", location)
    return _shown(path)


def _shown(path: Path) -> Path:
    """A profile file as errors show it: relative to the working directory when it is inside it."""
    resolved = real_path(path)
    return resolved.relative_to(Path.cwd()) if resolved.is_relative_to(Path.cwd()) else path
