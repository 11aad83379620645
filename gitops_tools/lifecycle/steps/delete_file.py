"""`delete-file`: the file is gone from the base, and from the repo when the user left it as the scaffold rendered it.

A file the user changed is theirs: it is kept, and the note says so (a later version that no longer renders it
then leaves it alone too, as the merge does for any file the template removed and the user edited). Idempotent: a
file that is gone stays gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gitops_tools.lifecycle.migrations import Locate, Migrated
from gitops_tools.lifecycle.steps import repo_path


@dataclass(frozen=True)
class DeleteFile:
    path: str

    def __str__(self) -> str:
        return f"delete-file {self.path}"

    def run(self, state: Migrated) -> Migrated:
        if self.path not in state.base and self.path not in state.ours:
            return state
        base = {path: entry for path, entry in state.base.items() if path != self.path}
        pristine = state.base.get(self.path)
        if self.path in state.ours and state.ours[self.path] != pristine:
            return replace(state, base=base).noted(f"{self.path} differs from what the scaffold rendered; kept")
        ours = {path: entry for path, entry in state.ours.items() if path != self.path}
        return replace(state, base=base, ours=ours)


def parse(data: Mapping[str, Any], locate: Locate) -> DeleteFile:
    return DeleteFile(repo_path(data, "path", locate))
