"""What the YAML steps share (a private module: not a step type): reading the document
selector, and editing one file of a tree through a text edit that may refuse."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gitops_tools.lifecycle.tree import Entry, Tree
from gitops_tools.lifecycle.yamledit import Edited, EditError, Selector


def selector(data: Mapping[str, Any]) -> Selector:
    document = data.get("document", {})
    return Selector(document.get("kind"), document.get("name"))


def edit_file(tree: Tree, side: str, path: str, edit: Callable[[str], Edited]) -> tuple[Tree, list[str]]:
    """`tree` with the file at `path` edited, and the notes of what went wrong or needs a look; no file, no change."""
    entry = tree.get(path)
    if entry is None:
        return tree, []
    try:
        edited = edit(entry.data.decode("utf-8"))
    except UnicodeDecodeError:
        return tree, [f"{side}: {path} is not UTF-8 text; not changed"]
    except EditError as err:
        return tree, [f"{side}: {path}: {err}; not changed"]
    data = edited.text.encode("utf-8")
    if data == entry.data:
        return tree, []
    notes = [f"{side}: {path} was re-indented by the edit (no common layout reproduced it)"] if edited.reformatted \
        else []
    return {**tree, path: Entry(data, entry.executable)}, notes
