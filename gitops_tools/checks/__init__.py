"""Coded checks: the escape hatch for rules JSON Schema cannot express. Metadata stays in the policy file.

A check receives each target instance (chosen by the policy's `targets`) and yields the paths, relative to that
instance, of every violation, each with an optional detail appended to the policy's message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gitops_tools.checks import env_names_unique
from gitops_tools.model import JsonPath

Violation = tuple[JsonPath, str]
Check = Callable[[Any], Iterator[Violation]]

CHECKS: dict[str, Check] = {
    "env_names_unique": env_names_unique.check,
}

# Policies whose findings come from the loader or the config rather than from evaluating documents.
BUILTIN_SOURCES = frozenset({"loader", "exemptions", "suppressions"})
