"""A scaffold rendered to a Tree, and the composition the repo's state describes: the scaffold, then each component
in the order it was added. This is "theirs" for update and drift, and the merge base that link records.

Rendering runs cookiecutter in a child process in a scratch folder (gitops_tools/scaffold.py), with no git. A
template from an untrusted source never runs its own code: its hooks and the Python files beside its templates are
replaced by the installed package's (the post-generation hook that finishes a render interprets the scaffold's data;
it runs, as ours), and its `_extensions` by the package's, whose Jinja environment is sandboxed (jinja2.sandbox):
its templates' expressions cannot reach Python's internals (tests/test_lifecycle_source.py shows one refused). A
sandbox is a defence, not a licence: name template sources you trust, or review them first.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.tree import Tree, read_folder

if TYPE_CHECKING:
    from gitops_tools.lifecycle.source import TemplateSource
    from gitops_tools.lifecycle.state import State


def render_tree(template_dir: Path, answers: dict[str, Any], *, trust: bool) -> Tree:
    """What the scaffold at `template_dir` renders for `answers` (questions it no longer asks are left out), without
    the state files it records."""
    from gitops_tools.scaffold import Scaffold, _cookiecutter

    settings = _settings(template_dir)
    questions = {key: value for key, value in answers.items() if key in settings and not key.startswith("_")}
    with runnable(template_dir, trust=trust) as template, \
            tempfile.TemporaryDirectory(prefix="gitops-tools-render-") as work:
        scaffold = Scaffold(template_dir.name, template, str(settings.get("_scaffold_version", "")), "")
        rendered, _ = _cookiecutter(scaffold, questions, Path(work), None)
        return read_folder(rendered)


@contextmanager
def runnable(template_dir: Path, *, trust: bool) -> Iterator[Path]:
    """The template to render or import answer rules from: `template_dir` itself when trusted, else a scratch copy
    running the installed package's code (see the module docstring). Symbolic links are refused either way."""
    _refuse_links(template_dir)
    if trust:
        yield template_dir
        return
    with tempfile.TemporaryDirectory(prefix="gitops-tools-template-") as work:
        yield _with_our_code(template_dir, Path(work) / template_dir.name, _settings(template_dir))


def compose(state: State, source: TemplateSource) -> Tree:
    """The scaffold the state names, from `source`, for its answers, then each of its components in order."""
    from gitops_tools.lifecycle.components import answers_for, apply, read_component

    scaffold = source.scaffolds / state.scaffold
    if not (scaffold / "cookiecutter.json").is_file():
        raise ConfigError(f"the template source {source.source.location} has no scaffold {state.scaffold!r}")
    tree = render_tree(scaffold, state.answers, trust=source.trusted)
    for layer in state.components:
        folder = source.scaffolds / "components" / layer.name
        if not (folder / "cookiecutter.json").is_file():
            raise ConfigError(f"the template source {source.source.location} has no component {layer.name!r}")
        answers = answers_for(read_component(folder), state.answers, layer.answers)
        tree = apply(tree, folder, answers, trust=source.trusted)
    return tree


def _settings(template_dir: Path) -> dict[str, Any]:
    where = template_dir / "cookiecutter.json"
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"{where}: cannot read the scaffold: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: a scaffold's cookiecutter.json is a mapping")
    return data


def _refuse_links(template_dir: Path) -> None:
    """A template's symbolic link would render whatever it points at (a key, a file of the user's) into the repo."""
    for path in [template_dir, *template_dir.rglob("*")]:
        if path.is_symlink():
            raise ConfigError(f"{path} is a symbolic link; a template source holds regular files only")


def _with_our_code(template_dir: Path, copy: Path, settings: dict[str, Any]) -> Path:
    """A copy of the template whose hooks, Python files and extensions are the installed package's."""
    from gitops_tools.lifecycle.source import TRUSTED_EXTENSIONS, TRUSTED_SCAFFOLD
    from gitops_tools.resources import data_root

    ours = data_root() / "scaffolds" / TRUSTED_SCAFFOLD
    shutil.copytree(template_dir, copy, ignore=lambda folder, names: [
        name for name in names if (Path(folder) == template_dir and (name == "hooks" or name.endswith(".py")))
        or name == "__pycache__"])
    shutil.copytree(ours / "hooks", copy / "hooks", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ours / "local_extensions.py", copy / "local_extensions.py")
    (copy / "cookiecutter.json").write_text(json.dumps({**settings, "_extensions": TRUSTED_EXTENSIONS}, indent=2),
                                            encoding="utf-8")
    return copy
