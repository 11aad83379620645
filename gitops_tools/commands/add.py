"""`gitops-tools add`: an add-on component applied to a generated repo and recorded in its state file, or the list
of components.

The component's own files are added and its keyed edits are made to the repo's files as they are now (not through a
line merge with the recorded base): an edit finds its list or document in the user's version of a file, so local
changes to that file stay and there is nothing to conflict. The same component is applied to the recorded merge base
(.scaffold-base.tar.gz), so the base stays what the scaffold and its components render, and a later update merges
the component's own changes too. Refuses a work tree with uncommitted changes; writes the files, the state and the
base all or nothing; commits unless --no-commit.
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path
from typing import BinaryIO, TextIO

from gitops_tools.errors import EXIT_CLEAN, ConfigError

GIT_SECONDS = 60


def run(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: BinaryIO | None) -> int:
    from gitops_tools.commands.new import _set_answers
    from gitops_tools.lifecycle.components import add_to_repo, available_components, own_answers
    from gitops_tools.lifecycle.state import read_state
    from gitops_tools.questionnaire import terminal_prompt

    components = available_components()
    if args.component is None:
        for name, listed in components.items():
            out.write(f"{name:<16} {listed.version:<8} {listed.description}\n")
        return EXIT_CLEAN
    component = components.get(args.component)
    if component is None:
        raise ConfigError(f"unknown component {args.component!r}; available: {', '.join(components)}")
    repo = args.path.resolve()
    state = read_state(repo)
    if state.scaffold not in component.scaffolds:
        raise ConfigError(f"component {component.name} is for repos made by the {', '.join(component.scaffolds)} "
                          f"scaffold; {repo} was made by {state.scaffold!r}")
    if any(layer.name == component.name for layer in state.components):
        raise ConfigError(f"{repo} has component {component.name} already; `gitops-tools update` updates it")
    _refuse_dirty(repo)
    prompt = terminal_prompt(stdin, out, no_input=args.no_input)
    own = own_answers(component, state.answers, _set_answers(args.answers_set), prompt)
    changed = add_to_repo(repo, component, state, own)
    message = f"Add component {component.name} {component.version}"
    if not args.no_commit:
        _commit(repo, sorted(changed), f"{message}\n\nApplied by gitops-tools add; recorded in .scaffold.json.")
    out.write(f"Added component {component.name} {component.version} to {repo}"
              f"{'' if args.no_commit else ' and committed it'}:\n")
    out.writelines(f"  {path}\n" for path in sorted(changed))
    return EXIT_CLEAN


def _refuse_dirty(repo: Path) -> None:
    status = _git(repo, "status", "--porcelain", "--untracked-files=all")
    if status.strip():
        raise ConfigError(f"{repo} has uncommitted changes; commit or stash them first (nothing was changed)")


def _commit(repo: Path, paths: list[str], message: str) -> None:
    _git(repo, "add", "--", *paths)
    name = _git(repo, "config", "user.name", check=False).strip() or "gitops-tools"
    email = _git(repo, "config", "user.email", check=False).strip() or "gitops-tools@localhost"
    _git(repo, "-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "--no-verify",
         "-m", message, "--", *paths)


def _git(repo: Path, *argv: str, check: bool = True) -> str:
    try:
        done = subprocess.run(["git", *argv], cwd=repo, capture_output=True, text=True, timeout=GIT_SECONDS,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"git {argv[0]} failed in {repo}: {err}") from err
    if check and done.returncode != 0:
        raise ConfigError(f"git {argv[0]} failed in {repo}: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout
