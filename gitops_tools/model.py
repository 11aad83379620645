"""Frozen value types shared by every part of the linter."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

JsonPath = tuple[str | int, ...]


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        return cls[text.upper()]

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based position in a file; end_* may equal the start when only a point is known."""

    path: str
    line: int = 1
    col: int = 1
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Targets:
    scope: str
    kinds: frozenset[str] = frozenset()
    exclude_kinds: frozenset[str] = frozenset()
    containers: tuple[str, ...] = ("containers", "initContainers", "ephemeralContainers")
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class Category:
    """What kind of standard a policy enforces (schemas/resources/categories.yaml). A security category scores each
    severity from "0.0" to "10.0" (`security_severity`), which GitHub code scanning ranks security alerts by."""

    name: str
    description: str = ""
    security_severity: tuple[tuple[Severity, str], ...] = ()

    def score(self, severity: Severity) -> str | None:
        """The security-severity of a finding at `severity`; None for a category that is not about security."""
        return dict(self.security_severity).get(severity)


@dataclass(frozen=True)
class Parameter:
    """A value a policy's schema uses as a whole node (`{$param: name}`); a config may override `default`."""

    name: str
    type: dict[str, Any] | bool  # JSON Schema every value must satisfy
    default: Any
    description: str


@dataclass(frozen=True)
class Policy:
    id: str
    title: str
    severity: Severity
    message: str
    targets: Targets
    docs: str
    source: str
    enabled: bool = True
    stops_checking: bool = False  # the file could not be checked past this problem: never filtered away
    schema: dict[str, Any] | bool | None = None
    check: str | None = None
    fix: str | None = None
    references: tuple[str, ...] = ()
    category: Category | None = None
    examples: dict[str, list[Any]] = field(default_factory=dict, compare=False, hash=False)
    parameters: tuple[Parameter, ...] = ()
    template: Any = field(default=None, compare=False, hash=False)  # `schema` before its parameters were put in

    @property
    def domain(self) -> str:
        """The folder the policy file lives in (kubernetes, core, ...): what per-domain hooks select on."""
        return PurePath(self.source).parent.name


@dataclass(frozen=True)
class Finding:
    policy_id: str
    severity: Severity
    message: str
    location: Location
    fingerprint: str = ""
    file: str = ""  # the path fingerprints hash: from the repository root, whatever the working directory

    def sort_key(self) -> tuple[str, int, int, str, str, int, int, str]:
        loc = self.location
        return (loc.path, loc.line, loc.col, self.policy_id, self.message, loc.end_line, loc.end_col, self.fingerprint)


@dataclass(frozen=True)
class Problem:
    """Something a loader found before any policy ran (syntax error, duplicate key, ...).

    `snippet` is the offending line's text: it ties the finding's fingerprint to content, not to a line number.
    """

    policy_id: str
    detail: str
    line: int = 1
    col: int = 1
    snippet: str = ""
