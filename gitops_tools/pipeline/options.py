"""What a lint run was asked for on the command line (the config file says the rest)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitops_tools.model import Severity

# A run of more files (linted and context) keeps what it holds per file in a temporary file (pipeline/spill.py).
# Measured on the 2-core dev machine with the benchmark corpus (about 5 objects and 4 findings per file): a file's
# outcome, records and findings hold about 7 KiB in memory (14 MiB at 2,000 files), and spilling them costs about
# 0.25 ms of CPU a file (pickling and reading back; 12% of the time a file takes with --jobs 1).
SPILL_ABOVE_FILES = 2_000

if TYPE_CHECKING:
    from gitops_tools.config import Config
    from gitops_tools.kubeversion import KubernetesVersion
    from gitops_tools.pipeline.shard import Shard  # imported by the runs that shard
    from gitops_tools.policycache import Cache


class LintOptions(NamedTuple):
    """The run's options. A NamedTuple, as every value made once per run (see gitops_tools/model.py): a one-file lint
    pays for creating each class it imports, and a frozen dataclass costs about five times as much."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity_threshold: Severity | None = None
    fail_on: Severity | None = None
    domains: tuple[str, ...] = ()
    changed_since: str | None = None  # lint only files changed since the merge-base with this ref
    diff_lines: bool = False  # ... and keep only findings on added or modified lines
    baseline: Path | None = None  # report only findings not in this baseline
    stdin_filename: str | None = None  # the file '-' (stdin) stands for: linted and reported as that file
    tool_links: bool = False  # the result names the tool's links from the installed metadata (the format asks)
    jobs: int | None = 1  # processes for the per-file phase; None: auto (one per core for a large input)
    shard: Shard | None = None  # lint only this shard's files (and report only findings on them)
    repository: bool = False  # check the repository holding the paths as a whole, whatever paths name its root
    cache: Cache | None = None  # for the built-in data and the context files' records (gitops_tools/recordcache.py)
    kubernetes_version: KubernetesVersion | None = None  # --kubernetes-version (kubeversion.target_version decides)
    spill_above: int = SPILL_ABOVE_FILES  # a run of more files (linted and context) spills (pipeline/spill.py)
    render: bool | None = None  # --render/--no-render; None: the config's `render` (pipeline/render.py)
    strict_references: bool | None = None  # --(no-)strict-references; None: the config's `strict_references`
    profile: frozenset[str] | None = None  # the ids the run's profile runs (gitops_tools/profiles.py); None: no profile


def strict_references(options: LintOptions, config: Config) -> bool:
    """Whether the run reports references to objects it does not read: `--(no-)strict-references`, else the
    config's `strict_references`."""
    return config.strict_references if options.strict_references is None else options.strict_references
