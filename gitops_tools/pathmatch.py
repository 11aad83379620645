"""Glob matching on slash-separated relative paths: `*` stays in one folder, `**` crosses folders.

A pattern also matches everything under a folder it matches, so `vendor` and `vendor/**` both exclude a tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_TOKENS = re.compile(r"\*\*/|\*\*|\*|\?|[^*?]+")
_TRANSLATION = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}


def _translate(pattern: str) -> str:
    body = pattern.strip("/").removeprefix("./")
    return "".join(_TRANSLATION.get(token) or re.escape(token) for token in _TOKENS.findall(body))


class Globs:
    """Patterns compiled once into one regular expression."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        alternatives = "|".join(f"(?:{_translate(p)})" for p in self.patterns)
        self._regex = re.compile(f"(?:{alternatives})(?:/.*)?") if self.patterns else None

    def match(self, path: str) -> bool:
        return self._regex is not None and self._regex.fullmatch(path.removeprefix("./")) is not None
