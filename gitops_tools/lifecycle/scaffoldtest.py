"""`gitops-tools scaffold test`: a scaffold tested by its own data, the way a platform team would before releasing it.

Every variant (matrix.py) is rendered as `gitops-tools new` renders it (a git repository with its state file and
merge base) and linted with our own policies; a component's variants are added to a repo of the scaffold it is for,
with `gitops-tools add`. Then the upgrade from the previous release: a scaffold's (upgradetest.py), a component's
(componentupgrade.py). The commands a user would run (lint, add, update, drift) are run in-process through
`Command`, which the command module owns: what is checked here is exactly what those commands do.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.lifecycle.matrix import Variant, variants

if TYPE_CHECKING:
    from gitops_tools.scaffold import Scaffold

Command = Callable[[list[str]], tuple[int, str]]  # a gitops-tools command line -> (exit code, what it wrote)
COMPONENTS = "components"


@dataclass(frozen=True)
class Plan:
    root: Path  # the folder holding scaffolds/
    unit: str  # a scaffold's name, or components/<name>
    template: str | None = None  # the --template it came from (None: this installation), for update and drift
    previous: str | None = None  # --previous SRC@REF: the release to upgrade from, instead of releases.json's
    trust: bool = False  # --trust: the template's and the previous release's hooks may run

    @property
    def component(self) -> bool:
        return self.unit.startswith(f"{COMPONENTS}/")


@dataclass(frozen=True)
class Outcome:
    """One check: a variant's render and lint, or the upgrade. `report` says what failed; `skipped`: the check could
    not run, and its name says why (a scaffold's first release has nothing to upgrade from)."""

    name: str
    failed: bool
    report: str = ""
    skipped: bool = False


def run_plan(plan: Plan, work: Path, command: Command) -> Iterator[Outcome]:
    """Each check's outcome as it is done: the variants, then the upgrade."""
    from gitops_tools.scaffold import available_scaffolds

    if plan.component:
        yield from _component_checks(plan, plan.unit.removeprefix(f"{COMPONENTS}/"), work, command)
        return
    scaffolds = available_scaffolds(plan.root)
    if plan.unit not in scaffolds:
        raise ConfigError(f"unknown scaffold {plan.unit!r}; available: {', '.join(scaffolds)}, or "
                          f"{COMPONENTS}/<name> for a component")
    scaffold = scaffolds[plan.unit]
    for number, variant in enumerate(variants(scaffold.context(), str(scaffold.path / "cookiecutter.json"))):
        yield _scaffold_variant(scaffold, variant, work / f"variant-{number}", command)
    from gitops_tools.lifecycle.upgradetest import upgrade

    yield upgrade(plan, scaffold, work / "upgrade", command)


def _scaffold_variant(scaffold: Scaffold, variant: Variant, output: Path, command: Command) -> Outcome:
    from gitops_tools.questionnaire import resolve_answers
    from gitops_tools.scaffold import render

    label = f"{scaffold.name} {scaffold.version} {_label(variant)}"
    try:
        repo, _ = render(scaffold, resolve_answers(scaffold, variant.answers, None), output)
    except GitopsToolsError as err:
        return Outcome(label, True, "\n".join([err.headline(), *err.details]))
    return lint(label, repo, command)


def lint(label: str, repo: Path, command: Command) -> Outcome:
    """The repo linted as CI lints it (`gitops-tools lint --fail-on info` at its root): any finding fails."""
    code, report = command(["lint", "--fail-on", "info", str(repo)])
    return Outcome(label, code != 0, report)


def _component_checks(plan: Plan, name: str, work: Path, command: Command) -> Iterator[Outcome]:
    """Each variant of the component added (`gitops-tools add`) to a repo of the first scaffold it is for,
    rendered with that scaffold's defaults, then linted; then the upgrade from its previous release, on a copy of
    that repo (componentupgrade.py)."""
    from gitops_tools.lifecycle.components import available_components
    from gitops_tools.questionnaire import resolve_answers
    from gitops_tools.scaffold import available_scaffolds, render

    components = available_components(plan.root)
    if name not in components:
        raise ConfigError(f"unknown component {name!r}; available: {', '.join(components)}")
    component = components[name]
    scaffold = available_scaffolds(plan.root)[component.scaffolds[0]]
    base, _ = render(scaffold, resolve_answers(scaffold, {}, None), work / "base")
    context = component.own(component.context())
    for number, variant in enumerate(variants(context, str(component.path / "cookiecutter.json"))):
        repo = work / f"variant-{number}" / base.name
        shutil.copytree(base, repo, symlinks=True)
        label = f"{COMPONENTS}/{name} {component.version} {_label(variant)} on {scaffold.name} {scaffold.version}"
        sets = [arg for key, value in variant.answers.items() for arg in ("--set", f"{key}={value}")]
        code, report = command(["add", name, "--no-input", "--path", str(repo), *sets])
        yield lint(label, repo, command) if code == 0 else Outcome(label, True, report)
    from gitops_tools.lifecycle.componentupgrade import component_upgrade

    yield component_upgrade(plan, component, base, work / "upgrade", command)


def _label(variant: Variant) -> str:
    given = " ".join(f"{key}={value}" for key, value in variant.answers.items())
    return f"{variant.name} ({given})" if given else f"{variant.name} (defaults)"

