"""Docs that are generated or promised stay true."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_tools.model import Policy
from gitops_tools.reporters import available_formats
from gitops_tools.ruledocs import markdown_catalogue

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_rule_catalogue_is_generated_from_the_policy_files(policies: dict[str, Policy]) -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == markdown_catalogue(policies.values()), "docs/rules.md is stale: run `make docs`"


@pytest.mark.parametrize("command", ["lint", "rules", "explain", "new"])
def test_readme_documents_every_command(command: str) -> None:
    assert f"### `gitops-tools {command}" in README


@pytest.mark.parametrize("name", available_formats())
def test_readme_documents_every_output_format(name: str) -> None:
    assert f"`{name}`" in README


def test_readme_quickstart_has_the_two_commands() -> None:
    quickstart = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    assert "$ make demo" in quickstart
    assert "$ make test" in quickstart


def test_readme_counts_match_the_catalogue(policies: dict[str, Policy]) -> None:
    kubernetes = sum("/kubernetes/" in p.source for p in policies.values())
    files = sum(p.targets.scope == "file" for p in policies.values())
    assert f"It ships {kubernetes} Kubernetes policies" in README
    assert f"and {files} file-level checks" in README


def test_readme_documents_every_scaffold_question() -> None:
    from gitops_tools.scaffold import available_scaffolds

    for scaffold in available_scaffolds(ROOT).values():
        section = README.split(f"### `{scaffold.name}`", 1)[1].split("\n### ", 1)[0]
        for question in (key for key in scaffold.context() if not key.startswith("_")):
            assert f"`{question}`" in section, f"README does not document {scaffold.name}'s {question!r}"


@pytest.mark.parametrize(("section", "name"), [
    ("Use in pre-commit", ".pre-commit-config.yaml"),  # run by tests/test_precommit.py
    ("Use in CI", ".github/workflows/gitops-tools.yml"),  # validated by tests/test_ci.py
    ("Use in CI", ".gitlab-ci.yml"),  # validated, and merged with the template, by tests/test_ci.py
])
def test_readme_has_the_copy_paste_snippets_the_tests_exercise(readme_snippet: Callable[[str, str], str],
                                                               section: str, name: str) -> None:
    assert readme_snippet(section, name).startswith(f"# {name}\n")
