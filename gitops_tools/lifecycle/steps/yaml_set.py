"""`yaml-set`: the value at `path` in a YAML file is `value` (mappings missing on the way are made), in the base and in
the repo, with ruamel's round trip so comments and layout stay (gitops_tools/lifecycle/yamledit.py).

A tree without the file is left alone (a variant that does not render it, or a user who deleted it); a file that is
not YAML, or whose structure no longer has a mapping where `path` goes, is left as it is and noted. Idempotent: a
value already set changes nothing, byte for byte.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_tools.lifecycle.migrations import Locate, Migrated
from gitops_tools.lifecycle.steps import on_both, repo_path
from gitops_tools.lifecycle.steps._yaml_files import edit_file, selector
from gitops_tools.lifecycle.yamledit import Selector, set_value


@dataclass(frozen=True)
class YamlSet:
    file: str
    document: Selector
    path: tuple[str | int, ...]
    value: Any

    def __str__(self) -> str:
        return f"yaml-set {self.file} {'/'.join(map(str, self.path))}"

    def run(self, state: Migrated) -> Migrated:
        return on_both(state, lambda tree, side: edit_file(
            tree, side, self.file, lambda text: set_value(text, self.document, self.path, self.value)))


def parse(data: Mapping[str, Any], locate: Locate) -> YamlSet:
    return YamlSet(repo_path(data, "file", locate), selector(data), tuple(data["path"]), data["value"])
