"""A file tree held in memory: what a scaffold rendered, what a repo holds, what a merge writes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """One regular file: its bytes and whether it is executable (the only mode bit a repo keeps)."""

    data: bytes
    executable: bool = False


Tree = dict[str, Entry]  # POSIX path relative to the repo root -> its file
