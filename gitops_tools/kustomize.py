"""What kustomize makes of files: which ones are patches (partial resources, not whole manifests)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gitops_tools.fileio import read_regular, real_path
from gitops_tools.loading import Limits, load_bytes

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_BYTES = 1024 * 1024


def patch_files(files: Iterable[Path], boundary: Path) -> set[Path]:
    """Resolved paths of the patch files named by kustomizations beside `files` or in their parent folders up to
    `boundary` (the repository): a kustomization outside it must not turn linted files into unchecked patches."""
    folders = {path.parent for path in files}  # a few folders hold many files: walk up from each folder once
    folders.update({parent for folder in folders for parent in folder.parents if parent.is_relative_to(boundary)})
    patches: set[Path] = set()
    for folder in folders:
        for name in KUSTOMIZATION_NAMES:
            kustomization = folder / name
            if kustomization.is_file():
                patches.update(real_path(folder / entry) for entry in _patch_entries(kustomization))
    return patches


def _patch_entries(kustomization: Path) -> Iterator[str]:
    try:
        raw = read_regular(kustomization, KUSTOMIZATION_BYTES)
    except OSError:
        return  # the file itself is linted and reported
    loaded = load_bytes(raw, str(kustomization), Limits(max_file_bytes=KUSTOMIZATION_BYTES))
    data: Any = loaded.documents[0].data if len(loaded.documents) == 1 else None
    if not isinstance(data, dict):
        return
    for entry in _list(data.get("patchesStrategicMerge")):
        if isinstance(entry, str) and "\n" not in entry:
            yield entry
    for key in ("patches", "patchesJson6902"):
        for entry in _list(data.get(key)):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield entry["path"]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []  # a malformed kustomization names no patch
