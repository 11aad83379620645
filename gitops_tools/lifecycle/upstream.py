"""The two sides `update` and `drift` compare: the repo as it stands (its state, merge base and work tree) and the
template source as it is now (the versions it offers, and its render for the repo's answers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.drift import Layer
from gitops_tools.lifecycle.tree import Entry, Tree

if TYPE_CHECKING:
    from gitops_tools.lifecycle.source import TemplateSource
    from gitops_tools.lifecycle.state import State
    from gitops_tools.questionnaire import Prompt
    from gitops_tools.scaffold import Scaffold


@dataclass(frozen=True)
class Current:
    state: State
    base: Tree
    ours: Tree


@dataclass(frozen=True)
class Upstream:
    """Where an update goes: the new state, its render, and the repo's base and tree after the migrations of the
    versions crossed (what the merge compares), with one note per migration step that changed something."""

    state: State
    theirs: Tree
    base: Tree
    ours: Tree
    steps: tuple[str, ...] = ()


def read_repo(repo: Path) -> Current:
    from gitops_tools.lifecycle.base import read_base
    from gitops_tools.lifecycle.state import read_state
    from gitops_tools.lifecycle.tree import read_tree

    return Current(read_state(repo), read_base(repo), read_tree(repo))


def scaffold_of(source: TemplateSource, name: str) -> Scaffold:
    from gitops_tools.scaffold import available_scaffolds

    scaffolds = available_scaffolds(source.scaffolds.parent)
    if name not in scaffolds:
        raise ConfigError(f"the template source {source.source.location} has no scaffold {name!r}")
    return scaffolds[name]


def available_layers(state: State, source: TemplateSource) -> list[Layer]:
    """The scaffold's and each component's recorded and available versions."""
    from gitops_tools.lifecycle.components import available_components

    scaffold = scaffold_of(source, state.scaffold)
    components = available_components(source.scaffolds.parent)
    return [compare(state.scaffold, state.version, scaffold.version),
            *(compare(f"{layer.name} (component)", layer.version,
                      components[layer.name].version if layer.name in components else None)
              for layer in state.components)]


def upstream(current: Current, source: TemplateSource, given: Mapping[str, str], prompt: Prompt | None, *,
             trust: bool) -> Upstream:
    """The state an update moves to and its render: the source's versions, the migrations crossed on the way
    (scaffold first, then each component in order), the answers for the new versions (the scaffold's: update.py;
    each component's own, settled the same way: components.layer_answers)."""
    from gitops_tools.lifecycle import migrations
    from gitops_tools.lifecycle.base import BASE_FILE
    from gitops_tools.lifecycle.components import available_components, layer_answers
    from gitops_tools.lifecycle.render import compose
    from gitops_tools.lifecycle.update import new_answers

    state, trusted = current.state, trust or source.trusted
    scaffold = scaffold_of(source, state.scaffold)
    if compare(state.scaffold, state.version, scaffold.version).ahead:
        raise ConfigError(f"the template source has {state.scaffold} {scaffold.version}, older than the repo's "
                          f"{state.version}; an update never goes back (nothing was changed)")
    migrated = migrations.run(migrations.plan(scaffold.path, state.version, scaffold.version), state.answers,
                              current.base, current.ours)
    base, ours, steps = migrated.base, migrated.ours, list(migrated.notes)
    answers = new_answers(scaffold, migrated.answers, given, prompt, trusted=trusted)
    components = available_components(source.scaffolds.parent)
    layers = []
    for layer in state.components:
        component = components.get(layer.name)
        if component is None:
            raise ConfigError(f"the template source has no component {layer.name!r}; nothing was changed")
        if compare(layer.name, layer.version, component.version).ahead:
            raise ConfigError(f"the template source has component {layer.name} {component.version}, older than the "
                              f"repo's {layer.version}; an update never goes back (nothing was changed)")
        done = migrations.run(migrations.plan(component.path, layer.version, component.version), layer.answers,
                              base, ours)
        base, ours, steps = done.base, done.ours, [*steps, *done.notes]
        own = layer_answers(component, answers, done.answers, prompt, trusted=trusted)
        layers.append(replace(layer, version=component.version, answers=own))
    new = replace(state, version=scaffold.version, answers=answers, source=source.source,
                  components=tuple(layers), base=BASE_FILE)
    return Upstream(new, compose(new, replace(source, trusted=trusted)), base, ours, tuple(steps))


def compare(name: str, recorded: str, available: str | None) -> Layer:
    """A layer's versions, checked: ConfigError for a version that is not MAJOR.MINOR.PATCH."""
    from gitops_tools.lifecycle.versions import parse_version

    try:
        old = parse_version(recorded)
        new = None if available is None else parse_version(available)
    except ValueError as err:
        raise ConfigError(f"{name}: {err}") from err
    return Layer(name, recorded, available, new is not None and new > old, new is not None and new < old)


def state_files(state: State, theirs: Tree) -> Tree:
    """`.scaffold.json` and the merge base as they are after an update: entries of the same all-or-nothing write
    as the merge's files."""
    from gitops_tools.lifecycle.base import BASE_FILE, archive
    from gitops_tools.lifecycle.state import STATE_FILE, dumps

    return {STATE_FILE: Entry(dumps(state).encode("utf-8")), BASE_FILE: Entry(archive(theirs))}
