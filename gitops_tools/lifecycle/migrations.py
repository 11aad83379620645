"""Migrations as data: typed, idempotent steps a scaffold version declares, run by `update` between the versions it
crosses, on the recorded answers, the merge base and the repo's files, before the 3-way merge.

A scaffold (or component) folder may hold `migrations/<version>.yaml` (schemas/migration.schema.json): the steps a
repo needs when it crosses into that version. cookiecutter never renders the folder (it is beside the template).
Each step type is a module of gitops_tools/lifecycle/steps/ named after it (`move-file`: steps/move_file.py),
found by name; the schema lists the names, and a test keeps the two in step.

Why the base is migrated too: the merge compares the repo with what the scaffold rendered. Moving a file in the repo
alone would look like "the user deleted it and added another"; moving it in both makes the move no change at all,
so the user's edits of the moved file merge with the new version's like any other edit.

Nothing here touches a work tree: `run` is a function of answers and Trees. `update` runs it first (before the
answers for the new version are settled, so a renamed answer is kept, not dropped as a removed question), merges
the new render into the migrated trees (base = the migrated base, ours = the migrated repo tree), and writes
`work_tree_changes(...)`: the migration's changes to the repo's files and the merge's, all or nothing.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.tree import Entry, Tree
from gitops_tools.lifecycle.versions import Version, parse_version
from gitops_tools.model import JsonPath, Location
from gitops_tools.resources import schema_path

FOLDER = "migrations"
SUFFIX = ".yaml"

Locate = Callable[[JsonPath], Location]


@dataclass(frozen=True)
class Migrated:
    """The state migration steps pass along: the answers, the merge base, the repo's files, and what was noted."""

    answers: dict[str, Any]
    base: Tree
    ours: Tree
    notes: tuple[str, ...] = ()

    def noted(self, note: str) -> Migrated:
        return replace(self, notes=(*self.notes, note))


class Step(Protocol):
    """One step of a migration, parsed from its file. `run` is pure and idempotent: running it on its own result
    changes nothing. `str(step)` says what it does, for `update --dry-run`."""

    def run(self, state: Migrated) -> Migrated: ...


class StepModule(Protocol):
    """A module of gitops_tools/lifecycle/steps/: builds its step from the (schema-valid) data of one list item."""

    def parse(self, data: Mapping[str, Any], locate: Locate) -> Step: ...


@dataclass(frozen=True)
class Migration:
    """The steps of one `migrations/<version>.yaml`."""

    version: str
    path: Path
    description: str
    steps: tuple[Step, ...] = field(default=())


def plan(scaffold_dir: Path, from_version: str, to_version: str) -> list[Migration]:
    """The migrations a repo at `from_version` runs to reach `to_version`: every file whose version is after the
    first and at most the second, oldest first. None when there is nothing to cross (the same version, or an older
    target: `update` decides what a downgrade means). Raises ConfigError at the position of a bad file."""
    low, high = _version(from_version, "the repo's version"), _version(to_version, "the template's version")
    crossed = [(version, path) for version, path in migration_files(scaffold_dir) if low < version <= high]
    return [read_migration(path) for _, path in sorted(crossed)]


def migration_files(scaffold_dir: Path) -> list[tuple[Version, Path]]:
    """Every migration file of a scaffold folder with its version (by its name), oldest first."""
    folder = scaffold_dir / FOLDER
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") and path.is_file():
            continue
        if path.suffix != SUFFIX or not path.is_file():
            raise ConfigError(f"a migration is a file named <version>{SUFFIX}, e.g. 1.2.0{SUFFIX}", Location(str(path)))
        try:
            found.append((parse_version(path.stem), path))
        except ValueError as err:
            raise ConfigError(f"invalid migration file name: {err}", Location(str(path))) from err
    return sorted(found)


def read_migration(path: Path) -> Migration:
    """The migration file at `path`, checked against schemas/migration.schema.json and each step's own rules."""
    from gitops_tools.loading import load_user_file
    from gitops_tools.validation import SchemaEvaluator, first_violation

    documents = load_user_file(path, "migration file")
    if len(documents) != 1 or not isinstance(documents[0].data, dict):
        raise ConfigError("invalid migration file: it holds one YAML mapping", Location(str(path)))
    document = documents[0]

    def locate(where: JsonPath) -> Location:
        return Location(str(path), *document.locate(where)[:2])

    meta = SchemaEvaluator(json.loads(schema_path("migration.schema.json").read_text(encoding="utf-8")))
    violation = first_violation(meta, document.data)
    if violation is not None:
        where = "/".join(map(str, violation.path))
        raise ConfigError(f"invalid migration file: {where + ': ' if where else ''}{violation.message}",
                          locate(violation.path))
    data: dict[str, Any] = document.data
    steps = tuple(step_module(item["step"]).parse(item, _below(locate, ("steps", index)))
                  for index, item in enumerate(data["steps"]))
    return Migration(path.stem, path, str(data.get("description", "")), steps)


def step_module(name: str) -> StepModule:
    """The module implementing step type `name` (the schema has already checked the name)."""
    module: StepModule = importlib.import_module(f"gitops_tools.lifecycle.steps.{name.replace('-', '_')}")
    return module


def run(migrations: list[Migration], answers: Mapping[str, Any], base: Tree, ours: Tree) -> Migrated:
    """Every step of `migrations` in order, on copies of the answers and trees. The notes say, one line each, which
    steps changed something (`1.1.0 move-file a -> b`) and what a step left undone and why (`1.1.0 delete-file x:
    x differs from what the scaffold rendered; kept`). Running the result through the same migrations again
    changes nothing."""
    state = Migrated(dict(answers), dict(base), dict(ours))
    for migration in migrations:
        for step in migration.steps:
            before = state
            state = step.run(state)
            changed = (state.answers, state.base, state.ours) != (before.answers, before.base, before.ours)
            lines = [f"{migration.version} {step}"] * changed + [
                f"{migration.version} {step}: {note}" for note in state.notes[len(before.notes):]]
            state = replace(state, notes=(*before.notes, *lines))
    return state


def changes(before: Tree, after: Tree) -> tuple[dict[str, Entry], set[str]]:
    """What turns tree `before` into `after`: the files to write and the paths to delete."""
    writes = {path: entry for path, entry in after.items() if before.get(path) != entry}
    return writes, set(before) - set(after)


def work_tree_changes(ours: Tree, migrated: Tree, writes: Mapping[str, Entry],
                      deletes: set[str]) -> tuple[dict[str, Entry], set[str]]:
    """What turns the repo's tree `ours` into the update's result: the merge's `writes` and `deletes` (made on the
    migrated tree `migrated`) on top of what the migration did."""
    after = {path: entry for path, entry in migrated.items() if path not in deletes}
    return changes(ours, {**after, **writes})


def _version(text: str, what: str) -> Version:
    try:
        return parse_version(text)
    except ValueError as err:
        raise ConfigError(f"{what}: {err}") from err


def _below(locate: Locate, prefix: JsonPath) -> Locate:
    return lambda where: locate((*prefix, *where))
