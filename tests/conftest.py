from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest

from gitops_tools.cli import main
from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies

CliRun = Callable[..., tuple[int, str, str]]


@pytest.fixture(scope="session")
def policies() -> dict[str, Policy]:
    return load_policies()


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRun:
    """Run the CLI in-process from `tmp_path` and capture exit code, stdout and stderr."""
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), out, err)
        return code, out.getvalue(), err.getvalue()

    return run


@pytest.fixture
def lint_text(tmp_path: Path, policies: dict[str, Policy]) -> Callable[..., LintResult]:
    """Write `text` to a file under tmp_path and lint it with the built-in policies."""

    def run(text: str, name: str = "manifest.yaml", **options: tuple[str, ...]) -> LintResult:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return lint([str(path)], Config(root=tmp_path), policies, LintOptions(**options))

    return run
