"""Migration step types, one module each, named after the type (`move-file`: move_file.py); see
gitops_tools/lifecycle/migrations.py. Each module has `parse(data, locate) -> Step`. What every step shares is here:
paths are checked once when the file is read, and a step that edits files does it to the base and to the repo alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from gitops_tools.errors import ConfigError

if TYPE_CHECKING:
    from gitops_tools.lifecycle.migrations import Locate, Migrated
    from gitops_tools.lifecycle.tree import Tree

STATE_FILES = frozenset({".scaffold.json", ".scaffold-base.tar.gz"})

# One tree's edit: the new tree and its notes. `side` is "base" or "repo", for the notes.
TreeEdit = Callable[["Tree", str], tuple["Tree", list[str]]]


def repo_path(data: Mapping[str, Any], key: str, locate: Locate) -> str:
    """The relative path `data[key]` names, refused (at its position) when it climbs out with `..`, has an empty or
    `.` segment, or names the state files, which only gitops-tools writes."""
    path = str(data[key])
    if any(part in ("", ".", "..") for part in path.split("/")) or path in STATE_FILES or path.split("/")[0] == ".git":
        raise ConfigError(f"invalid migration file: {key}: {path!r} must be a path inside the repo without '.' or "
                          "'..' segments, not .git/ nor a state file", locate((key,)))
    return path


def on_both(state: Migrated, edit: TreeEdit) -> Migrated:
    """`edit` run on the base and on the repo's tree, their notes kept in that order."""
    base, base_notes = edit(state.base, "base")
    ours, our_notes = edit(state.ours, "repo")
    result = replace(state, base=base, ours=ours)
    for note in (*base_notes, *our_notes):
        result = result.noted(note)
    return result
