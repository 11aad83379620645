"""Glob matching on slash-separated relative paths: `*` stays in one folder, `**` crosses folders.

A pattern also matches everything under a folder it matches, so `vendor` and `vendor/**` both exclude a tree.

Patterns come from configs, which arrive in pull requests, so matching is bounded: segment by segment, with the
classic two-pointer wildcard match inside a segment (quadratic at worst in one name's length, never exponential).
A regular expression built from `**/**/**/x` or `*a*a*a*a*b` backtracks exponentially on a long path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

GLOBSTAR = "**"


def _segments(pattern: str) -> tuple[str, ...]:
    """The pattern's segments, with runs of `**` collapsed (`**/**` means what `**` means)."""
    parts: list[str] = []
    for part in pattern.strip("/").removeprefix("./").split("/"):
        if not (part == GLOBSTAR and parts and parts[-1] == GLOBSTAR):
            parts.append(part)
    return tuple(parts)


class Globs:
    """Patterns, split into segments once."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self.patterns = tuple(patterns)
        self._compiled = [_segments(pattern) for pattern in self.patterns]
        # The names a path must hold for each pattern to match it: its segments without wildcards. A pattern whose
        # names are not all in the path is skipped unmatched (most paths, for `**/.github/workflows/*.yml`).
        self._names = [frozenset(part for part in pattern if not any(char in part for char in "*?"))
                       for pattern in self._compiled]
        # The longest run of literal characters in a segment with wildcards: every segment matches one name of the
        # path, so a path without it is skipped unmatched too (most paths, for `**/*.gitlab-ci.yml`, which has no
        # literal segment), by one substring search.
        self._needles = [max((run for part in pattern if part != GLOBSTAR for run in _literal_runs(part)),
                             key=len, default="") for pattern in self._compiled]

    def match(self, path: str) -> bool:
        text = path.removeprefix("./")
        parts = text.split("/")
        names = frozenset(parts)
        return any(needed <= names and needle in text and _matches(pattern, parts)
                   for pattern, needed, needle in zip(self._compiled, self._names, self._needles, strict=True))


def _literal_runs(part: str) -> list[str]:
    return part.replace("?", "*").split("*")


def _matches(pattern: Sequence[str], path: Sequence[str]) -> bool:
    """Whether `pattern` matches the path or a folder above it (a prefix of its segments).

    `reachable` holds every count of path segments the pattern's parts so far can match exactly."""
    reachable = {0}
    for part in pattern:
        if part == GLOBSTAR:
            reachable = set(range(min(reachable), len(path) + 1))
        else:
            reachable = {count + 1 for count in reachable if count < len(path) and _segment_matches(part, path[count])}
        if not reachable:
            return False
    return max(reachable) > 0


def _segment_matches(pattern: str, name: str) -> bool:
    """`*` (any run of characters) and `?` (one character) within one name; everything else is literal."""
    p = n = 0
    star, resume = -1, 0
    while n < len(name):
        if p < len(pattern) and pattern[p] == "*":
            star, resume, p = p, n, p + 1
        elif p < len(pattern) and pattern[p] in ("?", name[n]):
            p, n = p + 1, n + 1
        elif star >= 0:  # let the last star take one more character and retry from there
            resume += 1
            p, n = star + 1, resume
        else:
            return False
    return all(char == "*" for char in pattern[p:])
