"""`gitops-tools link`: record the scaffold, version and answers of a repo that has no usable state, so drift and
update work for it: a repo made before the state file existed, by hand, or by plain cookiecutter from another
version (its `.scaffold.json` has no merge base, or names a version the installed package no longer has).

The merge base recorded is what that exact version renders for the answers, so link needs that version's template:
the installed package when its version is the one asked for, else `--template SRC@REF`. Answers start from the ones
the repo's state records (same scaffold), then `--answers`, then `--set`; a question left is asked at a terminal,
else takes its default. How far the render matches the repo is reported: many differing files usually mean answers
that differ from the ones the repo was made with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.base import BASE_FILE
from gitops_tools.lifecycle.state import State
from gitops_tools.lifecycle.tree import Tree

if TYPE_CHECKING:
    from gitops_tools.lifecycle.source import TemplateSource
    from gitops_tools.questionnaire import Prompt
    from gitops_tools.scaffold import Scaffold


@dataclass(frozen=True)
class Linked:
    state: State
    base: Tree
    same: tuple[str, ...]  # rendered files the repo holds unchanged
    differ: tuple[str, ...]  # rendered files the repo holds with other content
    missing: tuple[str, ...]  # rendered files the repo does not hold


def link(ours: Tree, existing: State | None, name: str | None, version: str | None, given: Mapping[str, str],
         source: TemplateSource, prompt: Prompt | None) -> Linked:
    """The state and merge base to record for the repo whose files are `ours` (see the module docstring)."""
    from gitops_tools.lifecycle.render import compose, runnable
    from gitops_tools.questionnaire import resolve_answers

    name = name or (existing.scaffold if existing else None)
    if not name:
        raise ConfigError("link needs --scaffold NAME: the repo records no scaffold")
    same_scaffold = existing is not None and existing.scaffold == name
    scaffold = _scaffold(source, name, version or (existing.version if existing and same_scaffold else None))
    questions = [key for key in scaffold.context() if not key.startswith("_")]
    recorded = {key: str(value) for key, value in (existing.answers if existing and same_scaffold else {}).items()
                if key in questions}
    with runnable(scaffold.path, trust=source.trusted) as code:
        answers = resolve_answers(replace(scaffold, path=code), {**recorded, **given}, prompt)
    state = State(name, scaffold.version, dict(answers), commit=source.source.commit, source=source.source,
                  components=existing.components if existing and same_scaffold else (), base=BASE_FILE)
    base = compose(state, source)
    return Linked(state, base, tuple(path for path in sorted(base) if ours.get(path) == base[path]),
                  tuple(path for path in sorted(base) if path in ours and ours[path] != base[path]),
                  tuple(path for path in sorted(base) if path not in ours))


def _scaffold(source: TemplateSource, name: str, version: str | None) -> Scaffold:
    """The source's scaffold `name`, which must be at `version` (when given): a merge base is that version's render."""
    from gitops_tools.lifecycle.releases import read_releases
    from gitops_tools.scaffold import available_scaffolds

    scaffolds = available_scaffolds(source.scaffolds.parent)
    if name not in scaffolds:
        raise ConfigError(f"{describe(source)} has no scaffold {name!r}; it has: {', '.join(scaffolds) or 'none'}")
    scaffold = scaffolds[name]
    if version is None or version == scaffold.version:
        return scaffold
    release = next((item for item in read_releases(scaffold.path) if item.version == version), None)
    where = f" (release {version} is commit {release.commit} of the gitops-tools repository)" if release and \
        release.commit else ""
    raise ConfigError(f"{describe(source)} has {name} {scaffold.version}, not {version}: the merge base must be what "
                      f"{version} renders, so give its template with --template GIT_URL@REF{where}, or link to "
                      f"{scaffold.version} with --version {scaffold.version}")


def describe(source: TemplateSource) -> str:
    found = source.source
    if found.kind == "package":
        return f"the installed gitops-tools {found.ref}"
    at = f"@{found.ref}" if found.ref else ""
    return f"{found.location}{at}" + (f" ({found.commit[:12]})" if found.commit else "")
