"""Drift: is a repo behind the scaffold (and components) available now, and where has it diverged from what they
rendered? A pure function of Trees and versions; `commands/drift.py` gathers them and `driftformats.py` writes them.

- Behind: a layer (the scaffold or a component) whose available version is newer than the recorded one. The files
  an update would bring are the differences between the merge base and a render of the available versions.
- Divergence: files the scaffold rendered that the repo changed or deleted (base against the work tree). Files the
  repo added are its own business (the app's code) and are not divergence.
- Conflicts: changed files still holding a merge's conflict markers (a `<<<<<<< `, `=======` and `>>>>>>> ` line),
  left by an update not yet resolved.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from gitops_tools.lifecycle.tree import Entry, Tree

MARKER_SCAN_BYTES = 1 << 20  # files larger than this are not scanned for conflict markers
_MARKERS = [re.compile(rb"^<{7} ", re.M), re.compile(rb"^={7}\r?$", re.M), re.compile(rb"^>{7} ", re.M)]


@dataclass(frozen=True)
class Layer:
    """The scaffold or one component: its recorded and available versions."""

    name: str
    recorded: str
    available: str | None  # None: the template source no longer has it
    behind: bool = False  # the available version is newer (upstream.compare decides)
    ahead: bool = False  # the available version is older: the source is behind the repo


@dataclass(frozen=True)
class FileChange:
    path: str
    change: str  # added, changed, deleted


@dataclass(frozen=True)
class Drift:
    layers: tuple[Layer, ...]
    template_changes: tuple[FileChange, ...]  # what an update to the available versions brings (base -> theirs)
    divergence: tuple[FileChange, ...]  # scaffold files the repo changed or deleted (base -> ours)
    conflicts: tuple[tuple[str, int], ...]  # (path, line of the first marker)
    diffs: dict[str, str] = field(default_factory=dict)  # path -> unified diff, with --diff

    @property
    def behind(self) -> bool:
        return any(layer.behind for layer in self.layers)

    def failed(self, strict: bool) -> bool:
        return self.behind or bool(self.conflicts) or (strict and bool(self.divergence))


def measure(layers: list[Layer], base: Tree, ours: Tree, theirs: Tree | None, *, diff: bool = False) -> Drift:
    """The drift of `ours` from `base`; `theirs` is the render of the available versions (None when not behind)."""
    template = changes(base, theirs, own_files=True) if theirs is not None else []
    divergence = changes(base, ours, own_files=False)
    conflicts = [(path, line) for path in sorted(ours) if ours[path] != base.get(path)
                 for line in [conflict_line(ours[path].data)] if line]
    diffs: dict[str, str] = {}
    if diff:
        for change in divergence:
            diffs[change.path] = unified(change.path, base.get(change.path), ours.get(change.path), "repo")
    return Drift(tuple(layers), tuple(template), tuple(divergence), tuple(conflicts), diffs)


def changes(old: Tree, new: Tree, *, own_files: bool) -> list[FileChange]:
    """Per path, how `new` differs from `old`; files only `new` has count when `own_files`."""
    found = []
    for path in sorted(old.keys() | new.keys()):
        before, after = old.get(path), new.get(path)
        if before == after or (before is None and not own_files):
            continue
        found.append(FileChange(path, "added" if before is None else "deleted" if after is None else "changed"))
    return found


def conflict_line(data: bytes) -> int:
    """The line of the first conflict marker when all three kinds are present, else 0."""
    if len(data) > MARKER_SCAN_BYTES or b"\0" in data[:8000]:
        return 0
    found = [pattern.search(data) for pattern in _MARKERS]
    if not all(found):
        return 0
    return data.count(b"\n", 0, min(match.start() for match in found if match)) + 1


def unified(path: str, old: Entry | None, new: Entry | None, new_label: str) -> str:
    """A unified diff of one file, `a/` the scaffold's render and `b/` the other side."""
    texts = []
    for entry in (old, new):
        if entry is not None and b"\0" in entry.data[:8000]:
            return f"Binary file {path} differs\n"
        texts.append([] if entry is None else entry.data.decode("utf-8", errors="replace").splitlines(keepends=True))
    lines = difflib.unified_diff(texts[0], texts[1], f"a/{path} (scaffold)" if old else "/dev/null",
                                 f"b/{path} ({new_label})" if new else "/dev/null")
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
