"""Scaffold and component versions: `MAJOR.MINOR.PATCH`, compared as numbers (1.10.0 is after 1.9.0).

A version names a release of a scaffold's content (its releases.json) and a migration file (migrations/<v>.yaml);
three numbers are all either needs. Pre-release and build suffixes are refused rather than ordered by guesswork, so
the package needs no version library at run time.
"""

from __future__ import annotations

import re

_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})")

Version = tuple[int, int, int]


def parse_version(text: str) -> Version:
    """The version `text` names; raises ValueError (saying what a version looks like) for anything else."""
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a version: MAJOR.MINOR.PATCH, three numbers without leading zeros")
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch
