"""Paths as a run names them, computed once in the discover phase: how findings show a file (`display_path`),
its path from a root (`relative_posix`) and from the repository (`repository_path`), and the folder that holds
every path given (`common_folder`: where the config is looked for and the repository found). Lexical where it
can be (string work, not Path objects: discovery does it for every file of a run)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from gitops_tools.display import printable
from gitops_tools.fileio import real_path

STDIN = "-"
STDIN_DISPLAY = "<stdin>"  # how findings name standard input without --stdin-filename


def search_paths(paths: Iterable[str], stdin_name: str | None) -> list[str]:
    """Where to look for the config and the repository: the paths, stdin standing for its name's folder."""
    return [str(Path(stdin_name).parent) if path == STDIN and stdin_name is not None else path for path in paths]


def display_path(path: Path) -> str:
    """How findings name a file: as given, normalised (`./a/../b.yaml` is `b.yaml`), safe to print."""
    text = os.path.normpath(path)
    return printable(text if os.sep == "/" else Path(text).as_posix())


def relative_posix(resolved: str | Path, root: str | Path, fallback: str) -> str:
    """`resolved` relative to `root` with forward slashes, or `fallback` when it lies outside `root`."""
    text, base = os.fspath(resolved), os.fspath(root)
    if _normal(text) and _normal(base):  # the common case, by text alone
        prefix = base if base.endswith(os.sep) else base + os.sep
        if text.startswith(prefix):
            return text[len(prefix):].replace(os.sep, "/")
        return "." if text == base else fallback
    resolved, root = Path(resolved), Path(root)
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else fallback


def _normal(path: str) -> bool:
    """An absolute path in normal form, which text comparison treats as Path would."""
    return path.startswith(os.sep) and os.path.normpath(path) == path and not path.startswith("//")


def absolute_text(path: str | Path) -> str:
    """The absolute, normalised path as text: in discovery's per-file work, Path objects cost more than the rest."""
    return os.path.abspath(path)  # noqa: PTH100 - lexical, unlike Path.resolve


def repository_path(display: str, root: Path, resolved: Path | None = None) -> str | None:
    """The file a display path names, as a POSIX path from the repository `root` (CI services match files so);
    None for standard input and for files outside the root. Lexical first: a symlink inside the repository keeps
    its own name. `resolved`: the file's real path, when known."""
    if display == STDIN_DISPLAY:
        return None
    base, path = absolute_text(root), absolute_text(display)
    return relative_posix(path, base, "") or relative_posix(resolved or real_path(Path(path)), base, "") or None


def common_folder(paths: Iterable[str]) -> Path:
    """The deepest folder holding every path given (the working directory for none, or for stdin alone): where the
    config is looked for and the repository found, whatever order the paths come in."""
    folders = [real_path(p) if is_dir(p) else real_path(p).parent for p in map(Path, paths) if str(p) != STDIN
               and exists(p)]
    return Path(os.path.commonpath(folders)) if folders else Path.cwd()


def exists(path: Path) -> bool:
    """Whether anything is at `path`: a dangling or looping link counts (it is read, and reported unreadable)."""
    try:
        path.lstat()
    except OSError:
        return False
    return True


def is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # e.g. no permission to look inside its parent: read as a file, and reported unreadable
        return False
