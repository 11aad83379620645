"""The scaffold's Jinja extension: answers are data, never templates; text renders safely in YAML, JSON, TOML, Markdown.

cookiecutter renders every answer it is given as extra context (`cookiecutter DIR --no-input key=value`, what
portals do) as a Jinja template before any hook can look at it: `x{{ 7*7 }}` would become `x49`, and
`{{ cycler.__init__.__globals__.os.popen('id').read() }}` would run a command. cookiecutter.json names this
extension in `_extensions` (cookiecutter puts the scaffold's folder on sys.path), so every environment cookiecutter
renders with, plain or under `gitops-tools new`, gets two defences:

1. Only the scaffold's own templates are compiled. A template given as a string (no name) is compiled only when it is
   one of the scaffold's strings: a value or key in cookiecutter.json, a file or folder path of the template (or a
   path ending in one, under an output folder free of template syntax), or a hook's source. Anything else holding
   template syntax is an answer (or a user-config default) and is refused with one clear line (exit 1, nothing
   written). An answer without template syntax renders as itself.
2. The environment is sandboxed (jinja2.sandbox): should anything slip past (1), it cannot reach Python internals
   (`__globals__`, `__class__`...) or call unsafe functions.

It also supplies `quoted` (a double-quoted string, valid alike in YAML, JSON and TOML, non-ASCII kept as is: never a
`\\ud83d` surrogate escape, which YAML parsers reject or mangle), `markdown_text` (text with Markdown's markup
characters escaped) and `scaffold_own_settings` (the scaffold's own `_` settings, which the pre-generation hook
checks no answer replaced). Standard library, jinja2 and cookiecutter only: plain cookiecutter runs it. This file is
identical in every scaffold; a test keeps the copies in step.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cookiecutter.exceptions import FailedHookException
from jinja2 import Environment
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.ext import Extension
from jinja2.sandbox import SandboxedEnvironment, safe_range

TEMPLATE_SYNTAX = re.compile(r"\{\{|\{%|\{#")  # what starts a Jinja expression, statement or comment
MARKDOWN_MARKUP = re.compile(r"([\\`*_\[\]<>#|~&])")
MARKDOWN_LINE_START = re.compile(r"^([-+=]|[0-9]+(?=[.)]))")
SHOWN = 80


class AnswerIsTemplate(FailedHookException):
    """An answer holding template syntax. A FailedHookException because cookiecutter's command line reports that
    as one line (exit 1); any other exception would be a traceback, an UndefinedError a dump of every answer."""


class UnsafeAccess(SecurityError, UndefinedError):
    """The sandbox refused an attribute; an UndefinedError so cookiecutter reports it without a traceback."""


class AnswerGuard(Extension):
    """Refuses templates that are not the scaffold's own, sandboxes rendering, adds the filters above."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        folder = template_folder()
        _sandbox(environment)
        self.own = frozenset(_own_strings(folder))
        settings = json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8"))
        environment.globals["scaffold_own_settings"] = {
            key: value for key, value in settings.items() if key.startswith("_") and not key.startswith("__")}
        environment.filters["quoted"] = quoted
        environment.filters["markdown_text"] = markdown_text

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        if name is None and TEMPLATE_SYNTAX.search(source) and not self._is_own(source):
            shown = source if len(source) <= SHOWN else source[:SHOWN] + "..."
            raise AnswerIsTemplate(f"error: {shown!r} contains template syntax; answers are plain values, never "
                                   "templates (nothing was generated)")
        return source

    def _is_own(self, source: str) -> bool:
        if source in self.own:
            return True
        return any(source.endswith(os.sep + own) and not TEMPLATE_SYNTAX.search(source[: -len(own)])
                   for own in self.own)


def template_folder() -> Path:
    """The scaffold being rendered: cookiecutter appends its folder to sys.path while it works (a long-lived process
    may have imported this module from another scaffold's folder), else the folder of this file."""
    for entry in reversed(sys.path):
        if entry and (Path(entry) / "cookiecutter.json").is_file() and (Path(entry) / "local_extensions.py").is_file():
            return Path(entry)
    return Path(__file__).resolve().parent


def _own_strings(folder: Path) -> Iterator[str]:
    """The scaffold's own strings that hold template syntax: cookiecutter.json's, its paths, its hooks."""
    found = [*_json_strings(json.loads((folder / "cookiecutter.json").read_text(encoding="utf-8")))]
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        found += [str(relative), relative.as_posix(), str(Path(*relative.parts[1:])) if relative.parts[1:] else ""]
        if len(relative.parts) == 2 and relative.parts[0] == "hooks" and path.is_file():
            found.append(path.read_text(encoding="utf-8", errors="replace"))
    return (text for text in found if TEMPLATE_SYNTAX.search(text))


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)


def _sandbox(environment: Environment) -> None:
    """Make cookiecutter's environment a sandboxed one: the class gains SandboxedEnvironment's checks (attribute
    access, calls, str.format), and the instance what SandboxedEnvironment.__init__ would have set."""
    if isinstance(environment, SandboxedEnvironment):
        return
    environment.__class__ = type(f"Sandboxed{type(environment).__name__}",
                                 (_QuietSandbox, type(environment)), {})
    environment.globals["range"] = safe_range
    environment.binop_table = dict(SandboxedEnvironment.default_binop_table)  # type: ignore[attr-defined]
    environment.unop_table = dict(SandboxedEnvironment.default_unop_table)  # type: ignore[attr-defined]


class _QuietSandbox(SandboxedEnvironment):
    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        return self.undefined(f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe",
                              name=attribute, obj=obj, exc=UnsafeAccess)


def quoted(value: object) -> str:
    """A double-quoted string for YAML, JSON and TOML alike. The answers' `text` rule admits no control characters,
    so only quotes and backslashes are escaped; every other character, emoji included, is written as itself."""
    return json.dumps(str(value), ensure_ascii=False)


def markdown_text(value: object) -> str:
    """Text that Markdown shows as written: markup characters escaped, and a line start that would open a list or
    heading."""
    return MARKDOWN_LINE_START.sub(r"\\\1", MARKDOWN_MARKUP.sub(r"\\\1", str(value)))
