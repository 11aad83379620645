"""`yaml-delete`: the key or list item at `path` in a YAML file is gone, in the base and in the repo, with ruamel's
round trip so comments elsewhere and the layout stay (gitops_tools/lifecycle/yamledit.py).

A tree without the file or without the value is left alone; a file that is not YAML is noted. Idempotent: what is
gone stays gone. (Deleting list item 0 twice would delete two items: a path ending in a list index is refused.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.migrations import Locate, Migrated
from gitops_tools.lifecycle.steps import on_both, repo_path
from gitops_tools.lifecycle.steps._yaml_files import edit_file, selector
from gitops_tools.lifecycle.yamledit import Selector, delete_value


@dataclass(frozen=True)
class YamlDelete:
    file: str
    document: Selector
    path: tuple[str | int, ...]

    def __str__(self) -> str:
        return f"yaml-delete {self.file} {'/'.join(map(str, self.path))}"

    def run(self, state: Migrated) -> Migrated:
        return on_both(state, lambda tree, side: edit_file(
            tree, side, self.file, lambda text: delete_value(text, self.document, self.path)))


def parse(data: Mapping[str, Any], locate: Locate) -> YamlDelete:
    path = tuple(data["path"])
    if isinstance(path[-1], int):
        raise ConfigError("invalid migration file: path: deleting a list item by position is not idempotent (a "
                          "second run deletes the next one); set the list with yaml-set instead",
                          locate(("path", len(path) - 1)))
    return YamlDelete(repo_path(data, "file", locate), selector(data), path)
