"""`--shard I/N`: which files one job of a CI matrix lints, so N jobs split a fleet audit between them.

A file belongs to shard `sha256(path) mod N` (plus one), where the path is the one from the repository root: the
same in every job whatever its working directory, and independent of the other files, so adding or removing a file
moves no other file to another shard. A finding belongs to the shard of the file it is on (the config file's own
findings included), so the N shards' reports together hold every finding of the whole run exactly once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitops_tools.digest import sha256
from gitops_tools.errors import ConfigError

SHAPE = re.compile(r"([0-9]+)/([0-9]+)")
MAX_SHARDS = 10_000


@dataclass(frozen=True)
class Shard:
    index: int  # 1 to total
    total: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`I/N`, as a CI matrix counts: 1-based, e.g. GitLab's `$CI_NODE_INDEX/$CI_NODE_TOTAL`."""
        match = SHAPE.fullmatch(text.strip()) if text.isascii() else None
        if match is None or not 1 <= int(match[1]) <= int(match[2]) <= MAX_SHARDS:
            raise ConfigError(f"--shard needs I/N, the I-th of N shards with 1 <= I <= N <= {MAX_SHARDS}, e.g. "
                              f"--shard 2/4 (it was given {text!r})")
        return cls(int(match[1]), int(match[2]))

    def owns(self, key: str) -> bool:
        """Whether the file at `key` (its path from the repository root) is this shard's."""
        digest = sha256(key.encode("utf-8", "surrogateescape")).digest()
        return int.from_bytes(digest[:8], "big") % self.total == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.total}"


def shard_key(repo_path: str | None, file: str) -> str:
    """What a file is sharded by: its path from the repository root, else (outside any repository) the path its
    fingerprints hash, which is relative to the config's folder."""
    return repo_path if repo_path is not None else file
