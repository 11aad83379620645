"""`api-version`: every document of `kind` whose apiVersion is `from` is at `to`, in the matching files of the base
and of the repo (`files`: globs, default every .yaml and .yml file). Only the characters of that value change, so a
file's layout and comments stay whatever they are (gitops_tools/lifecycle/yamledit.py).

Files that are not YAML (a Helm template under templates/, say) are skipped quietly: a glob over a whole repo meets
them. Idempotent: a document already at `to` no longer matches `from`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.migrations import Locate, Migrated
from gitops_tools.lifecycle.steps import on_both
from gitops_tools.lifecycle.tree import Entry, Tree
from gitops_tools.lifecycle.yamledit import EditError, replace_api_version
from gitops_tools.pathmatch import Globs

DEFAULT_FILES = ("**/*.yaml", "**/*.yml")


@dataclass(frozen=True)
class ApiVersion:
    kind: str
    source: str
    target: str
    files: tuple[str, ...] = DEFAULT_FILES

    def __str__(self) -> str:
        return f"api-version {self.kind} {self.source} -> {self.target}"

    def run(self, state: Migrated) -> Migrated:
        return on_both(state, self._edit)

    def _edit(self, tree: Tree, side: str) -> tuple[Tree, list[str]]:
        globs = Globs(self.files)
        needles = [text.encode() for text in ("apiVersion", self.kind, self.source)]
        edited = dict(tree)
        for path, entry in tree.items():  # parse only files that hold the words a match needs
            if not globs.match(path) or not all(needle in entry.data for needle in needles):
                continue
            try:
                text = entry.data.decode("utf-8")
                new = replace_api_version(text, self.kind, self.source, self.target)
            except (UnicodeDecodeError, EditError):
                continue
            if new != text:
                edited[path] = Entry(new.encode("utf-8"), entry.executable)
        return edited, []


def parse(data: Mapping[str, Any], locate: Locate) -> ApiVersion:
    if data["from"] == data["to"]:
        raise ConfigError("invalid migration file: from and to are the same apiVersion", locate(("to",)))
    return ApiVersion(str(data["kind"]), str(data["from"]), str(data["to"]),
                      tuple(data.get("files", DEFAULT_FILES)))
