"""Parsers of files that are no YAML or JSON (a Dockerfile), each turning a file's text into plain-data documents
with positions, so that policies can be JSON Schema where they can and coded checks where not.

A parser is one module in this folder, found by listing it (no registry to edit), named as a domain's `files.parser`
names it (schemas/domain.schema.json), and satisfying the Parser Protocol. Modules starting with `_` are helpers. A
parser is imported only when a run reads a file of its domain.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Protocol, cast

from gitops_tools.loading.document import Document
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import Problem


class Parser(Protocol):
    """What a parser module defines."""

    def parse(self, text: str, lines: LineIndex, path: str) -> tuple[list[Document], list[Problem]]:
        """The file's documents and the problems found while reading it (never raises for bad input)."""
        ...


def parser_names() -> tuple[str, ...]:
    """The parsers' names (the modules of this folder), without importing them."""
    return tuple(sorted(path.stem for path in Path(__file__).parent.glob("*.py") if not path.name.startswith("_")))


def parser(name: str) -> Parser:
    """The parser module `name`, checked against the Protocol."""
    if name not in parser_names():
        raise LookupError(f"no parser {name!r}")  # domain files are checked by the test suite: a bug, not user error
    module = import_module(f"{__name__}.{name}")
    if not callable(getattr(module, "parse", None)):
        raise TypeError(f"parser module {module.__name__} defines no parse(text, lines, path)")
    return cast(Parser, module)
