"""Add-on components: small cookiecutter templates in scaffolds/components/<name>/ applied to a generated repo.

A component renders its own files (they must not exist in the repo yet, or be identical) and changes files others
own only through its `_edits` (gitops_tools/lifecycle/edits.py), which are keyed: applying a component twice is
applying it once, and components applied in order each add their own items to a shared file. Its cookiecutter.json
holds, besides its questions: `_component_version`, `_description`, `_scaffolds` (the scaffolds it applies to),
`_requires` (answers it reads from the repo's scaffold, e.g. service_name: never asked again) and `_edits`.
Components are found by listing the folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.edits import FRAGMENTS, Edit, apply_edits, parse_edits
from gitops_tools.lifecycle.tree import Tree
from gitops_tools.resources import data_root

if TYPE_CHECKING:
    from gitops_tools.lifecycle.state import State
    from gitops_tools.questionnaire import Prompt
    from gitops_tools.scaffold import Scaffold

FOLDER = "components"
Value = TypeVar("Value")


class ComponentError(ConfigError):
    """A component that cannot be applied: unknown, not for this scaffold, or clashing with the repo's files."""


@dataclass(frozen=True)
class Component:
    name: str
    path: Path
    version: str
    description: str
    scaffolds: tuple[str, ...]
    requires: tuple[str, ...]
    edits: tuple[Edit, ...]

    def context(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "cookiecutter.json").read_text(encoding="utf-8"))
        return data

    def questions(self) -> dict[str, Any]:
        """The component's own questions and their defaults: not settings (`_`), not the answers it requires."""
        return {key: value for key, value in self.own(self.context()).items() if not key.startswith("_")}

    def own(self, answers: dict[str, Value]) -> dict[str, Value]:
        """Those of `answers` that are the component's own: not the ones it requires (the scaffold's)."""
        return {key: value for key, value in answers.items() if key not in self.requires}

    def as_scaffold(self) -> Scaffold:
        """The component as the questionnaire and `update` read a template: its name, folder, version, description."""
        from gitops_tools.scaffold import Scaffold

        return Scaffold(self.name, self.path, self.version, self.description)


def read_component(path: Path) -> Component:
    where = path / "cookiecutter.json"
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ComponentError(f"{where}: cannot read the component: {err}") from err
    _validate(data, str(where))
    lists = {key: data.get(key, []) for key in ("_scaffolds", "_requires")}
    if not all(isinstance(value, list) and all(isinstance(v, str) for v in value) for value in lists.values()):
        raise ComponentError(f"{where}: _scaffolds and _requires are lists of names")
    missing = [key for key in lists["_requires"] if key not in data]
    if missing:
        raise ComponentError(f"{where}: required answers {', '.join(missing)} need a default in cookiecutter.json "
                             "(plain cookiecutter renders the component too)")
    return Component(path.name, path, str(data.get("_component_version", "")), str(data.get("_description", "")),
                     tuple(lists["_scaffolds"]), tuple(lists["_requires"]),
                     tuple(parse_edits(data.get("_edits", []), str(where))))


def _validate(data: Any, where: str) -> None:
    """Check the component's settings against schemas/component.schema.json; the first problems, with their place."""
    from jsonschema import Draft202012Validator

    from gitops_tools.resources import schema_path

    schema = json.loads(schema_path("component.schema.json").read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(data), key=lambda error: list(map(str, error.path)))
    if errors:
        def shown(error: Any) -> str:
            return f"at {'/'.join(map(str, error.path)) or '(root)'}: {error.message}"

        raise ComponentError(f"{where}: not a component: {shown(errors[0])}",
                             details=tuple(shown(error) for error in errors[1:5]))


def available_components(root: Path | None = None) -> dict[str, Component]:
    """The components of `root`/scaffolds/components/ (default: the installed package's), by name."""
    folder = (root or data_root()) / "scaffolds" / FOLDER
    return {path.name: read_component(path) for path in sorted(folder.iterdir()) if (path / "cookiecutter.json")
            .is_file()} if folder.is_dir() else {}


def answers_for(component: Component, scaffold_answers: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """What the component renders with: its required answers from the scaffold's, then its own."""
    missing = [key for key in component.requires if key not in scaffold_answers]
    if missing:
        raise ComponentError(f"component {component.name} needs the scaffold's answer(s) {', '.join(missing)}, which "
                             "the repo's state does not record")
    return {**{key: scaffold_answers[key] for key in component.requires}, **own}


def apply(tree: Tree, component_dir: Path, answers: dict[str, Any], *, trust: bool) -> Tree:
    """`tree` with the component at `component_dir` added: its files, then its edits. `answers` holds the answers it
    requires (the scaffold's) and its own; others are ignored, so the scaffold's whole answers merged with the
    component's may be given. Untrusted, the component renders with the installed package's hooks and extension
    instead of its own (as an untrusted scaffold does)."""
    component = read_component(component_dir)
    missing = [key for key in component.requires if key not in answers]
    if missing:
        raise ComponentError(f"component {component.name} needs the scaffold's answer(s) {', '.join(missing)}")
    rendered = render_component(component, answers, trust=trust)  # renders with the answers it asks only
    fragments = {path.removeprefix(FRAGMENTS): entry.data for path, entry in rendered.items()
                 if path.startswith(FRAGMENTS)}
    result = dict(tree)
    for path, entry in rendered.items():
        if path.startswith(FRAGMENTS):
            continue
        if path in result and result[path] != entry:
            raise ComponentError(f"component {component.name} would overwrite {path}, which the repo already has")
        result[path] = entry
    return apply_edits(result, list(component.edits), fragments, answers, component.name)


def render_component(component: Component, answers: dict[str, Any], *, trust: bool) -> Tree:
    """The component's files (fragments included), rendered as a scaffold is (gitops_tools/lifecycle/render.py:
    untrusted, with the installed package's hooks and extension instead of its own)."""
    from gitops_tools.lifecycle.render import render_tree

    return render_tree(component.path, answers, trust=trust)


def own_answers(component: Component, scaffold_answers: dict[str, Any], given: dict[str, str],
                prompt: Prompt | None) -> dict[str, str]:
    """The component's own answers as `add` settles them: `given` (--set), else asked through `prompt`, else the
    defaults. The answers it requires come from the scaffold's (`scaffold_answers`) and cannot be given."""
    from gitops_tools.questionnaire import resolve_answers

    taken = sorted(set(given) & set(component.requires))
    if taken:
        raise ConfigError(f"{', '.join(taken)}: the repo's scaffold answers this; component {component.name} reads "
                          "it from .scaffold.json")
    required = {key: str(value) for key, value in answers_for(component, scaffold_answers, {}).items()}
    return component.own(resolve_answers(component.as_scaffold(), {**required, **given}, prompt))


def layer_answers(component: Component, scaffold_answers: dict[str, Any], recorded: dict[str, Any],
                  prompt: Prompt | None, *, trusted: bool) -> dict[str, str]:
    """The component's own answers for its version available now, settled as the scaffold's are on update
    (lifecycle/update.py: new_answers): recorded answers kept, answers of questions it no longer asks dropped, a new
    question asked through `prompt`, else its default. The answers it requires come from `scaffold_answers`."""
    from gitops_tools.lifecycle.update import new_answers

    required = answers_for(component, scaffold_answers, {})
    return component.own(new_answers(component.as_scaffold(), {**recorded, **required}, {}, prompt, trusted=trusted))


def add_to_repo(repo: Path, component: Component, state: State, own: dict[str, str]) -> set[str]:
    """What `gitops-tools add` writes: the component applied to the work tree at `repo` and to its merge base, and
    recorded in the state file, all or nothing (nothing committed); the changed paths."""
    from dataclasses import replace

    from gitops_tools.lifecycle import apply as writing
    from gitops_tools.lifecycle.base import BASE_FILE, archive, read_base
    from gitops_tools.lifecycle.state import STATE_FILE, Layer, dumps
    from gitops_tools.lifecycle.tree import Entry, read_tree

    answers = answers_for(component, state.answers, own)
    ours = read_tree(repo)
    theirs = apply(ours, component.path, answers, trust=True)
    writes = {path: entry for path, entry in theirs.items() if ours.get(path) != entry}
    if state.base is not None:  # an old repo records none: `gitops-tools link` records one
        base = apply(read_base(repo), component.path, answers, trust=True)
        writes[BASE_FILE] = Entry(archive(base))
    recorded = replace(state, components=(*state.components, Layer(component.name, component.version, own)))
    writes[STATE_FILE] = Entry(dumps(recorded).encode("utf-8"))
    writing.apply(repo, writes)
    return set(writes)
