"""Output formats. Each module here is one format, named by its file; it exposes `report(result, stream, style)`.

Adding a format is adding a file: the CLI lists this folder for its `--format` choices.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, TextIO

from gitops_tools.model import LintResult


@dataclass(frozen=True)
class Style:
    """How to write: colour, and the environment (CI variables such as GITHUB_STEP_SUMMARY), injected by the CLI."""

    color: bool = False
    environment: Mapping[str, str] = field(default_factory=dict)


class Reporter(Protocol):
    def __call__(self, result: LintResult, stream: TextIO, style: Style) -> None: ...


def available_formats() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def get_reporter(name: str) -> Reporter:
    if name not in available_formats():
        raise ValueError(f"unknown format {name!r}")
    module = importlib.import_module(f"{__name__}.{name}")
    reporter: Reporter = module.report
    return reporter
