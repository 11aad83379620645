"""`move-file`: the file `from` (or every file under the folder `from`) is now at `to`, in the base and in the repo.

The file moves with its content, the user's edits included, so the merge then sees no change at all where the
template only moved it. Where `to` is already taken by another file, that tree is left as it is (noted). Idempotent:
once `from` is gone there is nothing to move.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.migrations import Locate, Migrated
from gitops_tools.lifecycle.steps import on_both, repo_path
from gitops_tools.lifecycle.tree import Tree


@dataclass(frozen=True)
class MoveFile:
    source: str
    target: str

    def __str__(self) -> str:
        return f"move-file {self.source} -> {self.target}"

    def run(self, state: Migrated) -> Migrated:
        return on_both(state, self._move)

    def _move(self, tree: Tree, side: str) -> tuple[Tree, list[str]]:
        if self.source in tree:
            moves = {self.source: self.target}
        else:
            moves = {path: self.target + path[len(self.source):] for path in tree if path.startswith(self.source + "/")}
        if not moves:
            return tree, []
        taken = sorted(new for old, new in moves.items() if new in tree and tree[new] != tree[old])
        if taken:
            return tree, [f"{side}: {taken[0]} exists already; {self.source} is left where it is"]
        moved = {path: entry for path, entry in tree.items() if path not in moves}
        moved.update({new: tree[old] for old, new in moves.items()})
        return moved, []


def parse(data: Mapping[str, Any], locate: Locate) -> MoveFile:
    source, target = repo_path(data, "from", locate), repo_path(data, "to", locate)
    if target == source or target.startswith(source + "/"):
        raise ConfigError("invalid migration file: to: a file cannot move to itself or into itself", locate(("to",)))
    return MoveFile(source, target)
