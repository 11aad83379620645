"""Which kustomizations a run renders: the repository's entry points (overlays) whose build reads a linted file.

An entry point is a kustomization that is not a `kind: Component` and that no other kustomization of the repository
builds on (names in its `resources`, `bases` or `components`): what someone runs `kustomize build` on to deploy. A
run renders those whose build reads one of its files (a resource, a patch, a kustomization file on the way), so a
pre-commit run on a base file renders every overlay of that base, and a run on the whole repository every overlay.
The repository's kustomization files are listed by git (tracked and untracked, not ignored), else by a walk.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from pathlib import Path

from gitops_tools.fileio import real_path
from gitops_tools.gitlisting import run_git
from gitops_tools.kustomize import KUSTOMIZATION_NAMES, Kustomization, Kustomizations
from gitops_tools.pathmatch import Globs
from gitops_tools.paths import relative_posix

MAX_FOLDERS = 100_000  # a walk of a repository without git stops there
SKIPPED_FOLDERS = frozenset({".git", "node_modules", ".venv", "__pycache__"})


def entry_points(root: Path, kustomizations: Kustomizations, exclude: Globs, config_root: Path) -> list[Kustomization]:
    """The repository's entry points, by folder; those whose kustomization file the config excludes are left out."""
    found = [kustomization for folder in kustomization_folders(root)
             if folder.is_relative_to(root) and (kustomization := kustomizations.at(folder)) is not None]
    used = {child.folder for kustomization in found for child in kustomizations.children(kustomization)}
    return sorted((kustomization for kustomization in found if not kustomization.component
                   and kustomization.folder not in used and kustomization.file is not None
                   and not exclude.match(relative_posix(kustomization.file, config_root, kustomization.file.name))),
                  key=lambda kustomization: kustomization.folder)


def affected(entries: list[Kustomization], linted: AbstractSet[Path],
             kustomizations: Kustomizations) -> list[Kustomization]:
    """The entry points whose build reads one of the `linted` files (resolved)."""
    return [entry for entry in entries if not linted.isdisjoint(kustomizations.reads(entry))]


def kustomization_folders(root: Path) -> list[Path]:
    """The resolved folders holding a kustomization file in the repository at `root` (resolved)."""
    listed = _git_listed(root)
    names = listed if listed is not None else _walked(root)
    return sorted({real_path(root / name).parent for name in names})


def _git_listed(root: Path) -> list[str] | None:
    """The kustomization files git tracks or would track (ignored ones left out); None outside a work tree."""
    specs = [f":(glob)**/{name}" for name in KUSTOMIZATION_NAMES]
    done = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", *specs)
    if done is None or done[0] != 0:
        return None
    return [os.fsdecode(name) for name in done[1].split(b"\0") if name]


def _walked(root: Path) -> Iterator[str]:
    """The kustomization files under `root` (no git): hidden and dependency folders are not entered."""
    for folders, (top, dirs, files) in enumerate(os.walk(root), 1):
        if folders > MAX_FOLDERS:
            return
        dirs[:] = [name for name in dirs if name not in SKIPPED_FOLDERS and not name.startswith(".")]
        for name in files:
            if name in KUSTOMIZATION_NAMES:
                yield os.path.relpath(Path(top, name), root)
