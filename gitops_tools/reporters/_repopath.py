"""Where a finding's file sits in the repository: the path CI services (code scanning, GitLab, Actions) match on.

Findings name files as displayed, relative to the working directory; these services want them relative to the
repository root (`LintResult.root`), whatever folder the linter ran from.
"""

from __future__ import annotations

import os
from pathlib import Path

from gitops_tools.fileio import real_path
from gitops_tools.lint import LintResult

STDIN = "<stdin>"  # how discovery names standard input


def repo_path(result: LintResult, display: str) -> str | None:
    """`display` as a POSIX path relative to the root; None for standard input and for files outside the root."""
    if display == STDIN:
        return None
    root, path = result.root.absolute(), absolute(display)
    for candidate in (path, real_path(path)):  # lexical first: a symlink inside the repository keeps its own name
        if candidate.is_relative_to(root):
            return candidate.relative_to(root).as_posix()
    return None


def absolute(display: str) -> Path:
    """The absolute path, `..` resolved lexically (symlinks kept)."""
    return Path(os.path.normpath(Path(display).absolute()))
