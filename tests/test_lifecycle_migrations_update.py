"""Migrations through `gitops-tools update`, end to end: real git repos, real cookiecutter renders.

The template source is a local git repository holding a copy of the project's scaffolds: tag v1 as installed, tag
v2 renames the question `system` to `part_of` and moves docs/runbook.md to docs/operations/runbook.md (adding a
line to it), with migrations/<v2>.yaml saying so. The repo answered `system` and edited its runbook: the update
keeps both, where a merge alone would drop the answer (a removed question) and keep the old runbook beside the new.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import git, repo_files

from gitops_tools.resources import data_root
from tests.conftest import CliRun

SERVICE = "scaffolds/service"
TEMPLATE = SERVICE + "/{{cookiecutter.service_name}}"
MIGRATION = """\
description: system is now part_of; the runbook moved under docs/operations/
steps:
  - step: rename-answer
    from: system
    to: part_of
  - step: move-file
    from: docs/runbook.md
    to: docs/operations/runbook.md
"""


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "test@example.com")


def _renamed(context: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """cookiecutter.json with question `old` called `new`, in place, in its settings too."""
    renamed = {new if key == old else key: value for key, value in context.items()}
    for setting in ("_rules", "__prompts__"):
        renamed[setting] = {new if key == old else key: value for key, value in renamed[setting].items()}
    return renamed


@pytest.fixture
def templates(tmp_path: Path) -> tuple[Path, str]:
    """The template repository (its work tree, at v2) and its URL@v2."""
    root = tmp_path / "templates"
    shutil.copytree(data_root() / "scaffolds", root / "scaffolds",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v1")
    manifest = root / SERVICE / "cookiecutter.json"
    context = _renamed(json.loads(manifest.read_text(encoding="utf-8")), "system", "part_of")
    version = f"{int(str(context['_scaffold_version']).split('.')[0]) + 1}.0.0"
    context["_scaffold_version"] = version
    context["__runbook_url"] = context["__runbook_url"].replace("docs/runbook.md", "docs/operations/runbook.md")
    manifest.write_text(json.dumps(context, indent=2) + "\n", encoding="utf-8")
    template = root / TEMPLATE
    for path in template.rglob("*"):
        if path.is_file() and "cookiecutter.system" in path.read_text(encoding="utf-8", errors="replace"):
            path.write_text(path.read_text(encoding="utf-8").replace("cookiecutter.system", "cookiecutter.part_of"),
                            encoding="utf-8")
    (template / "docs/operations").mkdir()
    runbook = (template / "docs/runbook.md").read_text(encoding="utf-8")
    (template / "docs/operations/runbook.md").write_text(runbook + "\nEscalate to #platform after 30 minutes.\n",
                                                         encoding="utf-8")
    (template / "docs/runbook.md").unlink()
    (root / SERVICE / "migrations").mkdir(exist_ok=True)
    (root / SERVICE / "migrations" / f"{version}.yaml").write_text(MIGRATION, encoding="utf-8")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "v2")
    git(root, "tag", "v2")
    return root, f"{root.as_uri()}@v2"


@pytest.fixture
def generated(tmp_path: Path, run_cli: CliRun) -> Path:
    """A service repo made by `gitops-tools new` with system=payments, its runbook edited, committed."""
    code, _, err = run_cli("new", "service", "--no-input", "--set", "system=payments", "-o", str(tmp_path / "repos"))
    assert code == 0, err
    repo = tmp_path / "repos" / "orders-api"
    runbook = repo / "docs/runbook.md"
    first, rest = runbook.read_text(encoding="utf-8").split("\n", 1)
    runbook.write_text(f"{first}\n\nOur own notes: the on-call rota is in the team wiki.\n{rest}", encoding="utf-8")
    git(repo, "commit", "--quiet", "--all", "-m", "our runbook notes")
    return repo


@pytest.mark.slow
def test_update_runs_the_migrations_it_crosses(generated: Path, templates: tuple[Path, str],
                                               run_cli: CliRun) -> None:
    repo, (_, v2) = generated, templates
    code, out, err = run_cli("update", str(repo), "--template", v2, "--no-input")
    assert (code, err) == (0, ""), out
    assert "rename-answer system -> part_of" in out
    assert "move-file docs/runbook.md -> docs/operations/runbook.md" in out
    assert not (repo / "docs/runbook.md").exists()  # moved, not kept beside the new one
    runbook = (repo / "docs/operations/runbook.md").read_text(encoding="utf-8")
    assert "Our own notes: the on-call rota is in the team wiki." in runbook  # the repo's edit moved along
    assert runbook.endswith("Escalate to #platform after 30 minutes.\n")  # the template's change merged in
    state = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))
    assert state["answers"]["part_of"] == "payments" and "system" not in state["answers"]  # kept, not defaulted
    assert "system: payments" in (repo / "catalog-info.yaml").read_text(encoding="utf-8")
    assert not git(repo, "status", "--porcelain").strip()  # committed

    code, out, _ = run_cli("drift", str(repo), "--template", v2)
    assert code == 0, out


@pytest.mark.slow
def test_a_bad_migration_file_stops_update_at_its_position(generated: Path, templates: tuple[Path, str],
                                                           run_cli: CliRun) -> None:
    """A directory source (a checkout of the templates) whose migration file is broken: exit 2 naming the file,
    line and column; the repo is untouched."""
    repo, (root, _) = generated, templates
    version = json.loads((root / SERVICE / "cookiecutter.json").read_text(encoding="utf-8"))["_scaffold_version"]
    migration = root / SERVICE / "migrations" / f"{version}.yaml"  # the one this update crosses
    migration.write_text(MIGRATION.replace("    to: part_of\n", "    into: part_of\n"), encoding="utf-8")
    before, head = repo_files(repo), git(repo, "rev-parse", "HEAD")
    code, out, err = run_cli("update", str(repo), "--template", str(root), "--no-input")
    assert code == 2, out
    assert f"{migration}:3:5: invalid migration file: steps/0: " in err
    assert "Traceback" not in err
    assert repo_files(repo) == before and git(repo, "rev-parse", "HEAD") == head
