"""The upgrade `scaffold test components/NAME` runs: a repo with the component's previous release added, with local
edits in the component's files, updated to the component under test by `gitops-tools update`; it must merge without
a conflict, keep the edits, record the new version, be current for `drift`, and lint clean.

The previous release is found as a scaffold's is (upgradetest.py: the newest one releases.json records before the
current version, from the project commit it names with `git archive`, or `--previous SRC@REF`), and added as
`gitops-tools add` adds a component (lifecycle/components.py: its files and keyed edits, on the work tree and the
merge base, recorded in the state file), with its default answers.

The repo is the current release of the scaffold the component is for, rendered with its defaults: the one the
variants are added to, copied. Only the component moves, so a failure is the component's own; the scaffold's upgrade
is the scaffold's check. No earlier scaffold release is the component's either: one component release is used beside
several scaffold releases (the components' 1.0.0 beside service 1.0.0 to 1.2.0).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.lifecycle.scaffoldtest import COMPONENTS, Command, Outcome, Plan
from gitops_tools.lifecycle.upgradetest import NOTES, NOTES_TEXT, previous_root, updated

if TYPE_CHECKING:
    from gitops_tools.lifecycle.components import Component

YAML_EDIT = "# Local note: added after the component was, and kept by updates.\n"
YAML_SUFFIXES = (".yaml", ".yml")


def component_upgrade(plan: Plan, component: Component, repo: Path, work: Path, command: Command) -> Outcome:
    """The check on a copy of `repo` (a scaffold's render the component applies to), in `work`."""
    unit = f"{COMPONENTS}/{component.name}"
    work.mkdir(parents=True)
    try:
        found = previous_root(plan, component.path, f"scaffolds/{unit}", work / "previous")
        if found is None:
            return Outcome(f"upgrade to {unit} {component.version}: no earlier release recorded", False, skipped=True)
        root, label, trusted = found
        if not trusted:
            raise ConfigError(f"the previous release ({label}) is not this project's own: its hooks run only with "
                              "--trust")
        copy = work / "repo" / repo.name
        shutil.copytree(repo, copy, symlinks=True)
        return _upgrade_from(component, _previous(root, component.name, label), label, copy, command)
    except GitopsToolsError as err:
        return Outcome(f"upgrade to {unit} {component.version}", True, "\n".join([err.headline(), *err.details]))


def _previous(root: Path, name: str, label: str) -> Component:
    from gitops_tools.lifecycle.components import read_component

    folder = root / "scaffolds" / COMPONENTS / name
    if not (folder / "cookiecutter.json").is_file():
        raise ConfigError(f"the previous release ({label}) has no component {name!r}")
    return read_component(folder)


def _upgrade_from(component: Component, old: Component, label: str, repo: Path, command: Command) -> Outcome:
    from gitops_tools.lifecycle import worktree
    from gitops_tools.lifecycle.components import add_to_repo, own_answers
    from gitops_tools.lifecycle.state import read_state

    state = read_state(repo)
    name = (f"upgrade from {COMPONENTS}/{component.name} {label} to {component.version} on {state.scaffold} "
            f"{state.version}, with local edits")
    if state.scaffold not in old.scaffolds:
        raise ConfigError(f"the previous release ({label}) of component {old.name} is not for the {state.scaffold} "
                          "scaffold")
    tracked = set(worktree.git(repo, "ls-files", "-z").split("\0"))
    added = add_to_repo(repo, old, state, own_answers(old, state.answers, {}, None))
    worktree.stage(repo, sorted(added))
    worktree.commit(repo, f"Add component {old.name} {old.version}")
    edited = sorted(path for path in added - tracked if path.endswith(YAML_SUFFIXES))  # the files it wrote
    _edit(repo, edited)
    return updated(name, repo, [], command, lambda: _kept_and_current(repo, component, edited))


def _edit(repo: Path, files: list[str]) -> None:
    """The local edits: a comment appended to each of `files` (the YAML files the component wrote, not the ones it
    edits), and a file of the repo's own; committed."""
    from gitops_tools.lifecycle import worktree

    for path in files:
        with (repo / path).open("a", encoding="utf-8") as stream:
            stream.write(YAML_EDIT)
    (repo / NOTES).parent.mkdir(parents=True, exist_ok=True)
    (repo / NOTES).write_text(NOTES_TEXT, encoding="utf-8")
    worktree.stage(repo, [*files, NOTES])
    worktree.commit(repo, "Local edits")


def _kept_and_current(repo: Path, component: Component, edited: list[str]) -> list[str]:
    problems = [f"the comment appended to {path} is gone after the update" for path in edited
                if not (repo / path).is_file() or not (repo / path).read_text(encoding="utf-8").endswith(YAML_EDIT)]
    if (repo / NOTES).read_text(encoding="utf-8") != NOTES_TEXT:
        problems.append(f"{NOTES}, the repo's own file, changed in the update")
    layers = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8")).get("components", [])
    recorded = [layer.get("version") for layer in layers if layer.get("name") == component.name]
    if recorded != [component.version]:
        problems.append(f".scaffold.json records component {component.name} at {recorded} after the update, not "
                        f"[{component.version!r}]")
    return problems
