"""Where a finding's file sits in the repository: the path CI services (code scanning, GitLab, Actions) match on.

Findings name files as displayed, relative to the working directory; these services want them relative to the
repository root (`LintResult.root`), whatever folder the linter ran from. The lint run computes that path once, as
`Finding.repo_path`; these functions only read the result, never the filesystem.
"""

from __future__ import annotations

import os
from pathlib import PurePath

from gitops_tools.findings import Finding, LintResult

STDIN = "<stdin>"  # how discovery names standard input


def finding_repo_path(result: LintResult, finding: Finding) -> str | None:
    """The finding's file from the repository root: as the run computed it, else (a finding built without it)
    worked out from its display path, lexically."""
    if finding.repo_path is not None:
        return finding.repo_path
    return repo_path(result, finding.location.path)


def repo_path(result: LintResult, display: str) -> str | None:
    """`display` as a POSIX path relative to the root, lexically; None for standard input and files outside it."""
    if display == STDIN:
        return None
    root, path = absolute(result, str(result.root)), absolute(result, display)
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else None


def absolute(result: LintResult, display: str) -> PurePath:
    """The absolute path of a display path (relative to the run's working directory), `..` resolved lexically."""
    return PurePath(os.path.normpath(PurePath(result.cwd, display)))
