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
    state: State  # the state after the update: new versions and answers, the source used
    theirs: Tree  # what the scaffold and its components render for it


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
    return [Layer(state.scaffold, state.version, scaffold.version),
            *(Layer(f"{layer.name} (component)", layer.version,
                    components[layer.name].version if layer.name in components else None)
              for layer in state.components)]


def upstream(state: State, source: TemplateSource, given: Mapping[str, str], prompt: Prompt | None, *,
             trust: bool) -> Upstream:
    """The state an update moves to and its render: the source's versions, the answers for them (update.py)."""
    from gitops_tools.lifecycle.components import available_components
    from gitops_tools.lifecycle.render import compose
    from gitops_tools.lifecycle.update import new_answers

    trusted = trust or source.trusted
    scaffold = scaffold_of(source, state.scaffold)
    answers = new_answers(scaffold, state.answers, given, prompt, trusted=trusted)
    components = available_components(source.scaffolds.parent)
    from gitops_tools.lifecycle.base import BASE_FILE

    layers = tuple(replace(layer, version=components[layer.name].version) if layer.name in components else layer
                   for layer in state.components)
    new = replace(state, version=scaffold.version, answers=answers, source=source.source, components=layers,
                  base=BASE_FILE)
    return Upstream(new, compose(new, replace(source, trusted=trusted)))


def state_files(state: State, theirs: Tree) -> Tree:
    """`.scaffold.json` and the merge base as they are after an update: entries of the same all-or-nothing write
    as the merge's files."""
    from gitops_tools.lifecycle.base import BASE_FILE, archive
    from gitops_tools.lifecycle.state import STATE_FILE, dumps

    return {STATE_FILE: Entry(dumps(state).encode("utf-8")), BASE_FILE: Entry(archive(theirs))}
