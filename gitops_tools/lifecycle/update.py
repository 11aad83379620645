"""What `gitops-tools update` decides before it writes: the answers for the new version, the merge of the new render
into the repo, and the plan it prints. Pure functions; commands/update.py reads the repo and writes the result.

Answers: the recorded answers of questions the new version still asks are kept (their values are not asked again),
answers of removed questions are dropped, `--set` overrides either, and a new question is asked (a terminal), else
takes its default. A template source that is not trusted is never imported (its answer rules live in its hooks):
there a new question takes its default when that is a plain value, and needs `--set` (or `--trust`) when the
default is a template.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.merge import Labels, Merged
from gitops_tools.lifecycle.tree import Entry

if TYPE_CHECKING:
    from gitops_tools.lifecycle.state import Layer, State
    from gitops_tools.questionnaire import Prompt
    from gitops_tools.scaffold import Scaffold


@dataclass(frozen=True)
class Outcome:
    """An update's result as the command reports it."""

    scaffold: str
    old_version: str
    new_version: str
    merged: Merged  # the merge of the new render into the migrated repo tree: its conflicts and notes
    writes: dict[str, Entry]  # what the work tree gets: the migrations' changes and the merge's
    deletes: set[str]
    old_answers: dict[str, Any]
    new_answers: dict[str, str]
    steps: tuple[str, ...] = ()  # migration steps run, one line each
    old_components: tuple[Layer, ...] = ()  # the components as recorded, and as the update records them
    new_components: tuple[Layer, ...] = ()

    @property
    def changed(self) -> bool:
        """Whether there is anything to write: a component's new version counts even when it renders the same
        files, or the state would keep the old version and `drift` would call the repo behind for ever."""
        return bool(self.writes or self.deletes or self.steps or self.old_answers != self.new_answers or
                    self.old_version != self.new_version or self.old_components != self.new_components)

    def component_versions(self) -> list[str]:
        """`name OLD -> NEW` for each component whose version the update changes, in the recorded order."""
        return [f"{name} {old} -> {new}" for name, old, new in moved(self.old_components, self.new_components)]

    def headline(self) -> str:
        if self.old_version != self.new_version:
            return f"Update scaffold {self.scaffold} {self.old_version} -> {self.new_version}"
        components = self.component_versions()
        if components:
            return f"Update component{'s' if len(components) > 1 else ''} {', '.join(components)}"
        changed = sorted(key for key, value in self.new_answers.items() if self.old_answers.get(key) != value)
        return f"Re-render scaffold {self.scaffold} {self.new_version} with new answers ({', '.join(changed)})"


def labels(old: State, new: State) -> Labels:
    """The conflict markers' names: the scaffold's versions, and those of each component whose version changes."""
    steps = moved(old.components, new.components)
    base = ", ".join([f"{old.scaffold} {old.version}", *(f"{name} {version}" for name, version, _ in steps)])
    theirs = ", ".join([f"{new.scaffold} {new.version}", *(f"{name} {version}" for name, _, version in steps)])
    return Labels(ours="ours (repo)", base=f"base ({base})", theirs=f"theirs ({theirs})")


def moved(old: tuple[Layer, ...], new: tuple[Layer, ...]) -> list[tuple[str, str, str]]:
    """(name, recorded version, new version) of each component whose version changes, in the recorded order."""
    before = {layer.name: layer.version for layer in old}
    return [(layer.name, before[layer.name], layer.version) for layer in new
            if before.get(layer.name, layer.version) != layer.version]


def new_answers(scaffold: Scaffold, recorded: Mapping[str, Any], given: Mapping[str, str], prompt: Prompt | None,
                *, trusted: bool) -> dict[str, str]:
    """The answers the new version renders with (see the module docstring)."""
    context = scaffold.context()
    questions = [key for key in context if not key.startswith("_")]
    unknown = sorted(set(given) - set(questions))
    if unknown:
        raise ConfigError(f"--set: scaffold {scaffold.name} {scaffold.version} has no question "
                          f"{', '.join(map(repr, unknown))}")
    kept = {key: str(value) for key, value in recorded.items() if key in questions}
    chosen = {**kept, **given}
    if trusted:
        from gitops_tools.questionnaire import resolve_answers

        return resolve_answers(scaffold, chosen, prompt)
    answers = {}
    for key in questions:
        default = context[key]
        if key in chosen:
            answers[key] = chosen[key]
        elif isinstance(default, list) and default:
            answers[key] = str(default[0])
        elif isinstance(default, str) and "{" not in default:
            answers[key] = default
        else:
            raise ConfigError(f"scaffold {scaffold.name} {scaffold.version} asks a new question {key!r} whose "
                              f"default is a template; give it with --set {key}=VALUE (or --trust the source)")
    return answers


def plan_lines(outcome: Outcome) -> list[str]:
    """What an update does (or did), one line each: the version steps, answers, migrations, files, conflicts."""
    lines = [outcome.headline()]
    if outcome.old_version != outcome.new_version:  # else the headline names the components' versions
        lines += [f"  component  {step}" for step in outcome.component_versions()]
    lines += _answer_lines(outcome.old_answers, outcome.new_answers, "")
    recorded = {layer.name: layer.answers for layer in outcome.old_components}
    for layer in outcome.new_components:
        lines += _answer_lines(recorded.get(layer.name, {}), layer.answers, f"{layer.name}.")
    lines += [f"  migration  {step}" for step in outcome.steps]
    conflicted = {conflict.path for conflict in outcome.merged.conflicts}
    lines += [f"  {'conflict' if path in conflicted else 'write':<8}  {path}" for path in sorted(outcome.writes)]
    lines += [f"  {'conflict':<8}  {c.path} ({c.kind}: yours kept)" for c in outcome.merged.conflicts
              if c.path not in outcome.writes]
    lines += [f"  {'delete':<8}  {path}" for path in sorted(outcome.deletes)]
    lines += [f"  note      {note}" for note in outcome.merged.notes]
    return lines


def _answer_lines(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> list[str]:
    """The answers an update gives, changes or drops; `prefix` names a component's (`redis.`)."""
    lines = [f"  new answer  {prefix}{key} = {new[key]}" if key not in old else
             f"  answer    {prefix}{key}: {old[key]} -> {new[key]}" for key in sorted(new) if old.get(key) != new[key]]
    return lines + [f"  dropped answer  {prefix}{key} (no longer asked)" for key in sorted(set(old) - set(new))]
