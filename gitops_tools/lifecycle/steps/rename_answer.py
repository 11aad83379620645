"""`rename-answer`: the question `from` is now called `to`; `values` renames its choices on the way (old -> new).

Idempotent: once `from` is gone there is nothing to rename, and a value map may not chain (`a -> b` with `b -> c`
would change the value again on a second run; the file is refused).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.migrations import Locate, Migrated


@dataclass(frozen=True)
class RenameAnswer:
    source: str
    target: str
    values: tuple[tuple[str, str], ...] = ()

    def __str__(self) -> str:
        return f"rename-answer {self.source} -> {self.target}"

    def run(self, state: Migrated) -> Migrated:
        if self.source not in state.answers:
            return state
        answers = dict(state.answers)
        value = answers.pop(self.source)
        if self.source != self.target and self.target in answers:
            return replace(state, answers=answers).noted(
                f"both {self.source} and {self.target} are recorded; {self.source} is dropped")
        answers[self.target] = dict(self.values).get(value, value) if isinstance(value, str) else value
        return replace(state, answers=answers)


def parse(data: Mapping[str, Any], locate: Locate) -> RenameAnswer:
    values: dict[str, str] = dict(data.get("values", {}))
    for old in values:  # YAML 1.1 reads yes, no, on, off as booleans: a choice must be written quoted
        if not isinstance(old, str):
            raise ConfigError(f"invalid migration file: values: {old} is not a string; quote it",
                              locate(("values", old)))
    chained = sorted(old for old, new in values.items() if new in values and values[new] != new)
    if chained:
        raise ConfigError(f"invalid migration file: values: {chained[0]!r} maps to a value that is renamed again; "
                          "map every old value to its final one", locate(("values", chained[0])))
    if data["from"] == data["to"] and not values:
        raise ConfigError("invalid migration file: from and to are the same answer and no values are renamed",
                          locate(("to",)))
    return RenameAnswer(str(data["from"]), str(data["to"]), tuple(values.items()))
