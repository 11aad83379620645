"""The upgrade `scaffold test` runs: a repo made from the previous release, with local edits, updated to the scaffold
under test; it must merge without a conflict, keep the edits, record the new version, be current for `drift`, and
lint clean.

The previous release is the newest one releases.json records before the current version, taken from the project
commit it names with `git archive` (the folder holding scaffolds/ must then be a git checkout holding that commit),
or from `--previous SRC@REF` (lifecycle/source.py). Its repo is made as it was then: rendered by that version with
its defaults (hooks trusted only as the source is), and given the state and merge base `gitops-tools link` would
record when that version's hooks did not write them.
"""

from __future__ import annotations

import io
import json
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.lifecycle.base import BASE_FILE
from gitops_tools.lifecycle.scaffoldtest import Command, Outcome, Plan, lint

if TYPE_CHECKING:
    from gitops_tools.scaffold import Scaffold

GIT_SECONDS = 120
MAX_ARCHIVE_BYTES = 64 << 20  # a scaffold is a few hundred KiB
README_EDIT = "\nLocal note: this paragraph was added after the repo was generated, and survives updates.\n"
NOTES = "docs/local-notes.md"
NOTES_TEXT = "# Local notes\n\nA file the scaffold never wrote: an update leaves it alone.\n"


def upgrade(plan: Plan, scaffold: Scaffold, work: Path, command: Command) -> Outcome:
    work.mkdir(parents=True)
    try:
        found = previous_root(plan, scaffold.path, f"scaffolds/{scaffold.name}", work / "previous")
        if found is None:
            return Outcome(f"upgrade to {scaffold.name} {scaffold.version}: no earlier release recorded", False,
                           skipped=True)
        root, label, trusted = found
        return _upgrade_from(plan, scaffold, root, label, trusted, work, command)
    except GitopsToolsError as err:
        return Outcome(f"upgrade to {scaffold.name} {scaffold.version}", True,
                       "\n".join([err.headline(), *err.details]))


def previous_root(plan: Plan, unit: Path, folder: str, into: Path) -> tuple[Path, str, bool] | None:
    """(folder holding the previous release's scaffolds/, how it is named in the report, whether it is trusted) for
    the scaffold or component at `unit`, which is `folder` (scaffolds/NAME, scaffolds/components/NAME) in the
    project's history; None when it has no earlier release."""
    if plan.previous is not None:
        from shutil import copytree

        from gitops_tools.lifecycle.source import open_source

        with open_source(plan.previous) as source:
            copytree(source.scaffolds, into / "scaffolds", symlinks=True)
            return into, plan.previous, plan.trust or source.trusted
    from gitops_tools.lifecycle.releases import previous_release

    release = previous_release(unit)
    if release is None:
        return None
    if release.commit is None:
        raise ConfigError(f"{unit / 'releases.json'}: release {release.version} names no commit; run "
                          "`make scaffold-release` in the checkout to fill it in")
    _extract(plan.root, release.commit, folder, into)
    return into, f"{release.version} (commit {release.commit[:12]})", True


def _extract(checkout: Path, commit: str, folder: str, into: Path) -> None:
    """`folder` as it was at `commit` of the git checkout `checkout`, written under `into` (git archive)."""
    try:
        done = subprocess.run(["git", "-C", str(checkout), "archive", "--format=tar", commit, "--", folder],
                              capture_output=True, timeout=GIT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise ConfigError(f"cannot read the previous release from {checkout}: {err}") from err
    if done.returncode != 0 or len(done.stdout) > MAX_ARCHIVE_BYTES:
        raise ConfigError(f"the previous release is {folder} at commit {commit[:12]}, which {checkout} does not hold "
                          f"({done.stderr.decode(errors='replace').strip() or 'too large'}); give it with "
                          "--previous GIT_URL@COMMIT")
    into.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(into, filter="data")  # no links out, no absolute paths, no devices


def _upgrade_from(plan: Plan, scaffold: Scaffold, root: Path, label: str, trusted: bool, work: Path,
                  command: Command) -> Outcome:
    from gitops_tools.questionnaire import resolve_answers
    from gitops_tools.scaffold import available_scaffolds, render

    name = f"upgrade from {scaffold.name} {label} to {scaffold.version}, with local edits"
    old = available_scaffolds(root).get(scaffold.name)
    if old is None:
        raise ConfigError(f"the previous release ({label}) has no scaffold {scaffold.name!r}")
    if not trusted:
        raise ConfigError(f"the previous release ({label}) is not this project's own: its hooks run only with "
                          "--trust")
    answers = resolve_answers(old, {}, None)
    repo, _ = render(old, answers, work / "repo")
    trust = ["--trust"] if plan.trust and plan.template is not None else []
    if not (repo / BASE_FILE).exists():
        _record(repo, old, answers, root)
    _edit(repo)
    template = ["--template", plan.template] if plan.template is not None else []
    return updated(name, repo, [*template, *trust], command, lambda: _kept_and_current(repo, scaffold))


def updated(name: str, repo: Path, options: list[str], command: Command, kept: Callable[[], list[str]]) -> Outcome:
    """The check's verdict on the edited `repo`: `gitops-tools update --no-input` merges without a conflict, `kept`
    finds nothing lost, `gitops-tools drift` says current (both run with `options`), and the result lints clean."""
    code, report = command(["update", str(repo), "--no-input", *options])
    if code != 0:
        what = "conflicts (none expected)" if code == 1 else f"exit {code}"
        return Outcome(name, True, f"gitops-tools update: {what}\n{report}")
    problems = kept()
    code, report = command(["drift", str(repo), *options])
    if code != 0:
        problems.append(f"gitops-tools drift after the update: exit {code}\n{report}")
    if problems:
        return Outcome(name, True, "\n".join(problems))
    return lint(name, repo, command)


def _record(repo: Path, old: Scaffold, answers: dict[str, str], root: Path) -> None:
    """The state and merge base of a repo made by a version whose hooks wrote neither (before the merge base
    existed): what `gitops-tools link` records, from the render itself (the repo is untouched since), committed."""
    from gitops_tools.lifecycle import worktree
    from gitops_tools.lifecycle.base import write_base
    from gitops_tools.lifecycle.state import STATE_FILE, Source, State, write_state
    from gitops_tools.lifecycle.tree import read_tree

    rendered = read_tree(repo)
    write_state(repo, State(old.name, old.version, dict(answers), source=Source("dir", str(root)), base=BASE_FILE))
    write_base(repo, rendered)
    worktree.stage(repo, [STATE_FILE, BASE_FILE])
    worktree.commit(repo, f"Record the state and merge base of {old.name} {old.version}")


def _edit(repo: Path) -> None:
    """The local edits: a paragraph appended to README.md (when the scaffold writes one), a file of the repo's own;
    committed."""
    from git import Actor, Repo

    if (repo / "README.md").is_file():
        with (repo / "README.md").open("a", encoding="utf-8") as readme:
            readme.write(README_EDIT)
    (repo / NOTES).parent.mkdir(parents=True, exist_ok=True)
    (repo / NOTES).write_text(NOTES_TEXT, encoding="utf-8")
    git = Repo(repo)
    git.git.add("--all")
    author = Actor("gitops-tools scaffold test", "scaffold-test@localhost")
    git.index.commit("Local edits", author=author, committer=author)


def _kept_and_current(repo: Path, scaffold: Scaffold) -> list[str]:
    problems = []
    readme = repo / "README.md"
    if readme.is_file() and not readme.read_text(encoding="utf-8").endswith(README_EDIT):
        problems.append("the paragraph appended to README.md is gone after the update")
    if (repo / NOTES).read_text(encoding="utf-8") != NOTES_TEXT:
        problems.append(f"{NOTES}, the repo's own file, changed in the update")
    recorded = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8")).get("version")
    if recorded != scaffold.version:
        problems.append(f".scaffold.json records version {recorded} after the update, not {scaffold.version}")
    return problems
