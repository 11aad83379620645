"""Part of the discover phase: the deployable units of the linted files, and the files the workspace needs besides
them (context: read for the workspace checks, never reported).

A deployable unit is what is applied to a cluster together:
- the build of a kustomization (not a `kind: Component`) in a linted file's folder or a folder above it, within the
  repository, when that build deploys a linted file or the kustomization's folder holds one: the files its
  `resources:` and `components:` list, following folders with a kustomization of their own;
- else a folder: the YAML and JSON files directly in it that no such build deploys (less what git ignores, the
  config excludes, Helm chart templates and kustomize patches).
Each unit's other files are context. So `lint overlays/prod` reads the base it builds on, a pre-commit run on one
staged file reads the rest of its unit, and a file alone in its folder with no kustomization above costs one
folder listing. A kustomization elsewhere that builds on a linted file (an overlay beside its base) is found only
when a linted file is in or below its folder.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from gitops_tools.config import Config
from gitops_tools.discovery import LINTED_SUFFIXES, SourceFile, helm_chart, source_file
from gitops_tools.fileio import real_path
from gitops_tools.kustomize import KUSTOMIZATION_NAMES, Kustomization, Kustomizations, Placed, patch_files
from gitops_tools.paths import relative_posix


class Member(NamedTuple):
    """A file of a unit, by its repository path (`FilePaths.file`), with what the unit does to its objects: the
    namespace it sets (None: the objects keep their own) and the name prefix and suffix it adds."""

    file: str
    namespace: str | None = None
    prefix: str = ""
    suffix: str = ""


class Unit(NamedTuple):
    name: str  # the kustomization's folder, or the folder, from the repository root ("." for the root)
    kustomization: bool
    members: tuple[Member, ...]  # in the order the unit applies them
    generated: tuple[tuple[str, str], ...] = ()  # (kind, name) its kustomizations' generators make, as written


class Workspace(NamedTuple):
    """What the discover phase found for the workspace: the context files and the units."""

    context: list[SourceFile]
    units: tuple[Unit, ...]


def workspace_files(sources: Sequence[SourceFile], config: Config, repository: Path,
                    kustomizations: Kustomizations) -> Workspace:
    linted = {path: source for source in sources if (path := _resolved(source)) is not None}
    builds = _builds(linted, kustomizations)
    deployed = {placed.file for _, build in builds for placed in build}
    loose = [path for path, source in linted.items()  # a kustomization file holds no object to deploy
             if path not in deployed and not source.patch and path.name not in KUSTOMIZATION_NAMES]
    near = _Neighbours(set(loose), linted.keys() | deployed, config, repository, kustomizations)
    folders = {folder: near.of(folder) for folder in dict.fromkeys(path.parent for path in sorted(loose))}  # once each
    wanted = dict.fromkeys([placed.file for _, build in builds for placed in build]
                           + [path for members in folders.values() for path in members])
    cwd = Path.cwd()
    found = [(path, _context_file(path, config, repository, cwd)) for path in wanted if path not in linted]
    found = [(path, source) for path, source in found if not config.exclude.match(source.relpath)]
    context = [source for _, source in found]
    keys = {path: source.file for path, source in linted.items()} | {
        _real(path): source.file for path, source in found}
    units = [Unit(_name(k.folder, repository), True, tuple(_member(placed, keys) for placed in build
                                                          if placed.file in keys),
                  tuple(dict.fromkeys(made for tree in kustomizations.tree(k) for made in tree.generated)))
             for k, build in builds]
    units += [Unit(_name(folder, repository), False, tuple(Member(keys[path]) for path in members if path in keys))
              for folder, members in folders.items()]
    return Workspace(context, tuple(units))


def _resolved(source: SourceFile) -> Path | None:
    given = source.path or source.named
    return source.real or (None if given is None else real_path(given))


def _builds(linted: dict[Path, SourceFile],
            kustomizations: Kustomizations) -> list[tuple[Kustomization, list[Placed]]]:
    """(kustomization, its build) for each kustomization around the linted files that deploys one of them or whose
    folder holds one."""
    folders = {path.parent for path in linted}
    found = []
    for kustomization in kustomizations.around(folders):
        if kustomization.component:
            continue
        build = kustomizations.build(kustomization)
        if kustomization.folder in folders or any(placed.file in linted for placed in build):
            found.append((kustomization, build))
    return found


class _Neighbours:
    """The manifests directly in a folder that no build deploys; of those not linted, git-ignored and excluded ones,
    kustomize patches and Helm chart templates are left out (git is asked only when some are left)."""

    def __init__(self, loose: set[Path], known: set[Path], config: Config, repository: Path,
                 kustomizations: Kustomizations) -> None:
        self._loose = loose  # linted, deployed by no build
        self._known = known  # linted or deployed by a build
        self._config, self._repository, self._kustomizations = config, repository, kustomizations

    def of(self, folder: Path) -> list[Path]:
        try:
            names = sorted(entry.name for entry in os.scandir(folder)
                           if entry.name.endswith(tuple(LINTED_SUFFIXES)) and entry.is_file())
        except OSError:
            names = []
        paths = [folder / name for name in names]
        extra = [path for path in paths if path not in self._known]
        if extra and helm_chart(folder / names[0]) is None:
            from gitops_tools.gitlisting import git_visible  # here: git is asked only when such files are left

            extra = [path for path in extra if not self._config.exclude.match(
                relative_posix(path, self._config.root, path.as_posix()))]
            patches = patch_files(extra, self._repository, self._kustomizations) if extra else set()
            visible = set(git_visible(folder, [path.name for path in extra if path not in patches]))
            extra = [path for path in extra if path.name in visible]
        else:
            extra = []
        extra = [path for path in extra if path.name not in KUSTOMIZATION_NAMES]
        return [path for path in paths if path in self._loose or path in extra]


def _real(path: Path) -> Path:
    """A wanted file's resolved path: its own but for a symbolic link (its folder is resolved already, and only a
    link costs a walk of every part of the path)."""
    return real_path(path) if path.is_symlink() else path


def _context_file(path: Path, config: Config, repository: Path, cwd: Path) -> SourceFile:
    inside = relative_posix(path, cwd, "")
    given = Path(inside) if inside else path  # relative to the working directory when it lies inside it
    relpath = relative_posix(path, config.root, given.as_posix())
    return source_file(given, path, relpath, repository, False)


def _member(placed: Placed, keys: dict[Path, str]) -> Member:
    return Member(keys[placed.file], placed.namespace, placed.prefix, placed.suffix)


def _name(folder: Path, repository: Path) -> str:
    return relative_posix(folder, repository, folder.as_posix()) if folder != repository else "."
