"""Output formats. Each module here is one format, named by its file; it exposes `report(result, stream, style)`.

Adding a format is adding a file: the CLI lists this folder for its `--format` choices, and imports only the module
of the format chosen. A reporter is a pure function of the result: it writes to the stream it is handed and reads
nothing else (no files, no environment, no package metadata; tests/test_pipeline.py runs every format under a guard).
Two optional module attributes say what else a format needs, as data:

- `TOOL_LINKS = True`: the result carries the tool's links from the installed package's metadata (`result.tool`),
  read by the result phase only for such a format.
- `ATTACHMENTS`: `Attachment`s, texts for files a CI service names in an environment variable (GitHub's job
  summary); the caller looks the variable up and appends the text there.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple, Protocol, TextIO

from gitops_tools.findings import LintResult

# The value types below are NamedTuples, not frozen dataclasses: every run imports this module (the CLI lists the
# formats to parse its arguments), and creating a frozen dataclass costs about ten times as much as a NamedTuple
# (measured: 1.2 ms less for the three, from importing this package to the chosen format's module).

class Style(NamedTuple):
    """How to write: colour, decided by the CLI (a terminal, or --color)."""

    color: bool = False


class Reporter(Protocol):
    def __call__(self, result: LintResult, stream: TextIO, style: Style) -> None: ...


class Attachment(NamedTuple):
    """Text a format adds to a file its CI service names in an environment variable, besides the report.

    The caller appends `render(result)` to the file `variable` names, when it names one. When the file cannot be
    written, `unwritable(path, reason)` is the line the caller writes to the report instead (the report still
    succeeds: a job summary is an extra)."""

    variable: str
    render: Callable[[LintResult], str]
    unwritable: Callable[[str, str], str]


class Format(NamedTuple):
    """One output format: its reporter and what its module declares besides (see the module docstring)."""

    name: str
    report: Reporter
    tool_links: bool = False
    attachments: tuple[Attachment, ...] = ()


def available_formats() -> list[str]:
    """The modules of this folder, by listing it (cheaper at start-up than importing pkgutil to do the same)."""
    with os.scandir(Path(__file__).parent) as entries:
        return sorted(entry.name.removesuffix(".py") for entry in entries
                      if entry.name.endswith(".py") and not entry.name.startswith("_"))


def get_format(name: str) -> Format:
    if name not in available_formats():
        raise ValueError(f"unknown format {name!r}")
    module = importlib.import_module(f"{__name__}.{name}")
    return Format(name, module.report, getattr(module, "TOOL_LINKS", False), tuple(getattr(module, "ATTACHMENTS", ())))


def get_reporter(name: str) -> Reporter:
    return get_format(name).report
