"""External analysers: maintained tools run as dependencies, whose results become our findings.

An analyser is one module in this folder, found by listing it (no registry to edit), named after its tool, and
satisfying the Analyser Protocol: `analyse(files, timeout)` runs the tool once over every file a run gives it and
returns each result as a ToolResult (the file as it was given, the tool's rule, the position, the tool's words).
Policies map rules to our ids with `analyser: {tool: <module>, rule: <the tool's name>}` (schemas/policy.schema.json):
the engine keeps the results of the rules a policy names, under that policy, and ignores the others. Modules starting
with `_` are helpers. An analyser is imported only when a run has a file for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Protocol, cast

from gitops_tools.model import JsonPath, Span


class ToolResult:
    """One result of a tool, as the analyser reads it from the tool's output."""

    __slots__ = ("detail", "file", "rule", "snippet", "span", "where")

    def __init__(self, file: str, rule: str, span: Span, where: JsonPath, detail: str, snippet: str) -> None:
        self.file = file  # the path as it was given to the tool
        self.rule = rule  # the tool's rule (audit) name
        self.span = span  # 1-based line, col, end line, end col in the file
        self.where = where  # the path of the offending value in the file's document, when the tool says ((): none)
        self.detail = detail  # the tool's words about this occurrence
        self.snippet = snippet  # the offending text: what ties the finding's fingerprint to content, not a line

    def __repr__(self) -> str:
        return f"ToolResult({self.file!r}, {self.rule!r}, {self.span!r})"


class Analyser(Protocol):
    """What an analyser module defines."""

    def analyse(self, files: Sequence[Path], timeout: float) -> list[ToolResult]:
        """Run the tool once over `files` (offline, within `timeout` seconds) and return its results; raise
        AnalyserError (gitops_tools/errors.py) when the tool is missing or fails."""
        ...


def analyser_names() -> tuple[str, ...]:
    """The analysers' names (the modules of this folder), without importing them."""
    return tuple(sorted(path.stem for path in Path(__file__).parent.glob("*.py") if not path.name.startswith("_")))


@cache
def analyser(name: str) -> Analyser:
    """The analyser module `name`, checked against the Protocol."""
    if name not in analyser_names():
        raise LookupError(f"no analyser {name!r}")  # policies are checked when loaded: a bug, not user error
    module = import_module(f"{__name__}.{name}")
    if not callable(getattr(module, "analyse", None)):
        raise TypeError(f"analyser module {module.__name__} defines no analyse(files, timeout)")
    return cast(Analyser, module)
