"""Which files a lint run reads: YAML and JSON under the given paths, minus vendored trees and excludes."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gitops_tools.errors import GitopsToolsError
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


def discover(paths: Iterable[str], root: Path, exclude: Globs) -> list[SourceFile]:
    files: dict[str, SourceFile] = {}
    for given in paths:
        if given == STDIN:
            files[STDIN] = SourceFile(None, "<stdin>", "<stdin>")
            continue
        path = Path(given)
        if not path.exists():
            raise GitopsToolsError(f"path not found: {given}")
        candidates = _walk(path) if path.is_dir() else iter([path])
        for candidate in candidates:
            source = SourceFile(candidate, _display(candidate), relative_to_root(candidate, root))
            if not exclude.match(source.relpath):
                files.setdefault(source.display, source)
    return list(files.values())


def relative_to_root(path: Path, root: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else path.as_posix()


def _display(path: Path) -> str:
    text = os.path.normpath(path)
    return Path(text).as_posix()


def _walk(top: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(top):
        skip_templates = "Chart.yaml" in filenames  # Helm templates are not YAML until rendered
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not (skip_templates and d == "templates"))
        for name in sorted(filenames):
            if Path(name).suffix in LINTED_SUFFIXES:
                yield Path(folder, name)
