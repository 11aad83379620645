"""The 3-way merge `update` and `add` make: base = what the scaffold rendered last time, ours = the repo, theirs =
what it renders now. A pure function of three Trees; `apply.py` writes its result.

Per path, with b/o/t the base's, ours' and theirs' file (or none):
- o == t, or t == b (the template did not change it): ours stays as it is;
- o == b (the user did not change it): theirs is taken, a removal included;
- the user deleted a file the template changed: it stays deleted (noted);
- the template removed a file the user edited: it is kept (noted);
- both changed a text file: `git merge-file --diff3` line by line; where that conflicts and the file is YAML whose
  changes are structurally disjoint, `yamlmerge` merges the documents instead (noted); else the file is written
  with labelled conflict markers and listed;
- both added a file with different content: the same, against an empty base (add/add);
- a binary file (a NUL byte, as git decides) is never merged: a conflict keeps ours untouched.
The executable bit merges on its own: theirs' change is taken unless the user changed it.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from gitops_tools.errors import GitopsToolsError
from gitops_tools.lifecycle.tree import Entry, Tree

MERGE_TIMEOUT = 60  # seconds for one file's `git merge-file`; a line merge of any sane file takes milliseconds
BINARY_PROBE = 8000  # bytes git looks at for a NUL to call a file binary


@dataclass(frozen=True)
class Labels:
    """The names conflict markers carry: `<<<<<<< ours`, `||||||| base`, `>>>>>>> theirs`."""

    ours: str = "ours (repo)"
    base: str = "base"
    theirs: str = "theirs"


@dataclass(frozen=True)
class Conflict:
    """A path the merge could not decide. `kind`: content (markers written), add/add (markers written), binary (ours
    kept untouched)."""

    path: str
    kind: str


@dataclass
class Merged:
    """What a merge changes in ours: files to write, files to delete, the conflicts among the writes, and notes on
    decisions the user may want to know of (one line each)."""

    writes: dict[str, Entry] = field(default_factory=dict)
    deletes: set[str] = field(default_factory=set)
    conflicts: list[Conflict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def merge(base: Tree, ours: Tree, theirs: Tree, labels: Labels | None = None) -> Merged:
    labels = labels or Labels()
    merged = Merged()
    for path in sorted(base.keys() | ours.keys() | theirs.keys()):
        _merge_path(path, base.get(path), ours.get(path), theirs.get(path), labels, merged)
    return merged


def _merge_path(path: str, b: Entry | None, o: Entry | None, t: Entry | None, labels: Labels, merged: Merged) -> None:
    if o == t or t == b:
        return
    if o == b:
        if t is None:
            merged.deletes.add(path)
        else:
            merged.writes[path] = t
        return
    if o is None:
        merged.notes.append(f"{path}: you deleted it and the template changed it; it stays deleted")
        return
    if t is None:
        merged.notes.append(f"{path}: the template removed it and you changed it; it is kept")
        return
    executable = t.executable if b is not None and o.executable == b.executable else o.executable
    if o.data == t.data or t.data == (b.data if b else None):
        data = o.data
    elif b is not None and o.data == b.data:
        data = t.data
    elif any(b"\0" in e.data[:BINARY_PROBE] for e in (b, o, t) if e is not None):
        merged.conflicts.append(Conflict(path, "binary"))
        return
    else:
        data = _merge_text(path, b.data if b else b"", o.data, t.data, labels, merged)
    if Entry(data, executable) != o:
        merged.writes[path] = Entry(data, executable)


def _merge_text(path: str, base: bytes, ours: bytes, theirs: bytes, labels: Labels, merged: Merged) -> bytes:
    """The merged bytes: clean, YAML-merged, or with conflict markers (then the conflict is listed)."""
    text, clean = line_merge(base, ours, theirs, labels)
    if clean:
        return text
    if path.endswith((".yaml", ".yml")):
        from gitops_tools.lifecycle.yamlmerge import merge_yaml

        structural = merge_yaml(base, ours, theirs)
        if structural is not None:
            merged.notes.append(f"{path}: merged key by key as YAML (a line merge conflicted)")
            return structural
    merged.conflicts.append(Conflict(path, "content" if base else "add/add"))
    return text


def line_merge(base: bytes, ours: bytes, theirs: bytes, labels: Labels) -> tuple[bytes, bool]:
    """`git merge-file -p --diff3` of the three texts: (result, clean). Markers are git's, labelled."""
    with tempfile.TemporaryDirectory(prefix="gitops-tools-merge-") as scratch:
        files = []
        for name, data in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(scratch, name)
            file.write_bytes(data)
            files.append(str(file))
        command = ["git", "merge-file", "-p", "--diff3", "-L", labels.ours, "-L", labels.base, "-L", labels.theirs,
                   *files]
        try:
            done = subprocess.run(command, capture_output=True, timeout=MERGE_TIMEOUT, check=False)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise GitopsToolsError(f"git merge-file failed: {err}") from err
    if done.returncode < 0 or done.returncode > 127:
        raise GitopsToolsError(f"git merge-file failed: {done.stderr.decode(errors='replace').strip()}")
    return done.stdout, done.returncode == 0
