"""Phase 1, discover: the files to lint, the repository root, and each file's names, computed once here."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile, discover
from gitops_tools.domains import Domain, FileParsers
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import real_path
from gitops_tools.gitrepo import Changes, changes_since, repository_root
from gitops_tools.kustomize import Kustomizations
from gitops_tools.model import FilePaths, LineRanges
from gitops_tools.paths import STDIN, common_folder, display_path, relative_posix, search_paths
from gitops_tools.pipeline.options import LintOptions
from gitops_tools.pipeline.units import Unit, workspace_files

if TYPE_CHECKING:  # imported by the runs that shard
    from gitops_tools.pipeline.shard import Shard


class Plan(NamedTuple):
    """What a run reads: the files, and what every later phase needs to know about them."""

    root: Path  # the repository root (else the config's folder)
    sources: list[SourceFile]
    skipped: dict[str, list[str]]  # why -> display paths of files not linted
    charts: dict[str, str]  # skipped Helm template -> its chart folder
    changed: dict[str, LineRanges] | None  # with --changed-since: display path -> lines added or modified
    # Read for the workspace checks only, never reported: the other files of the linted files' deployable units
    # (the unchanged ones too, with --changed-since), and the units themselves. Empty without workspace checks.
    context: list[SourceFile]
    units: tuple[Unit, ...] = ()
    other_shards: frozenset[str] = frozenset()  # with --shard: the context files another shard lints (`file` key)
    # With repository checks, when a path names the root folder itself: the root's names (pipeline/repository.py).
    repository: FilePaths | None = None
    # The run's kustomization reader, when a linted file has a kustomization in its folder or one above it within the
    # repository (only then can a kustomize build read it): the render phase (pipeline/render.py) starts from it.
    kustomizations: Kustomizations | None = None
    kustomized: frozenset[str] = frozenset()  # those linted files (display paths)


def plan(paths: Sequence[str], config: Config, options: LintOptions, *, workspace: bool = False,
         parsers: FileParsers | None = None, references: Sequence[Domain] = (), repository: bool = False) -> Plan:
    """The run's files; with `workspace` (the run has workspace checks), their deployable units and context too;
    with `repository` (it has repository checks), whether it checks the repository: a path names its root.
    `parsers`: the files besides YAML and JSON the domains read (a Dockerfile), by name. The files the documents of
    the `references` domains name (a pipeline's includes) are marked as theirs."""
    _check_stdin_filename(paths, options.stdin_filename)
    root = repository_root(common_folder(search_paths(paths, options.stdin_filename))) or config.root
    whole = _whole_repository(paths, root, config, asked=options.repository) if repository else None
    kustomizations = Kustomizations(root)
    discovered = discover(paths, config.root, config.exclude, root, options.stdin_filename, kustomizations, parsers)
    sources, changed = discovered.files, None
    changes = _changes(paths, sources, options)
    if changes is not None:
        sources = [source for source in sources if source.path and changes.lines(source.path) is not None]
        changed = {source.display: changes.lines(source.path) or () for source in sources if source.path}
    if references:
        from gitops_tools.pipeline.references import with_references

        sources = with_references(sources, references, root, config)
    owned, others = (sources, []) if options.shard is None else _shard_split(paths, sources, options.shard)
    built = _kustomized(owned, kustomizations)
    kustomized = kustomizations if built else None
    if not workspace:
        return Plan(root, _compact(owned, len(owned) > options.spill_above), discovered.skipped, discovered.charts,
                    changed, [], repository=whole, kustomizations=kustomized, kustomized=built)
    found = workspace_files(sources, config, root, kustomizations)  # every file's units, whatever the shard
    context = [*others, *found.context]
    large = len(owned) + len(context) > options.spill_above  # a run that spills (pipeline/spill.py)
    return Plan(root, _compact(owned, large), discovered.skipped, discovered.charts, changed, _compact(context, large),
                found.units, frozenset(source.file or source.relpath for source in others), whole, kustomized, built)


def _kustomized(sources: list[SourceFile], kustomizations: Kustomizations) -> frozenset[str]:
    """The linted files (display paths) with a kustomization in their folder or in one above it: only those can a
    kustomize build read (kustomize reads a file only from inside the folder of the kustomization naming it). A
    folder with no kustomization around costs a few lookups, cached for the units."""
    found: dict[Path, bool] = {}
    kept = []
    for source in sources:
        if source.path is None:
            continue
        folder = (source.real or real_path(source.path)).parent
        if folder not in found:
            found[folder] = bool(kustomizations.around([folder]))
        if found[folder]:
            kept.append(source.display)
    return frozenset(kept)


def _whole_repository(paths: Sequence[str], root: Path, config: Config, *, asked: bool) -> FilePaths | None:
    """The root's names, when a path given names the root folder itself, or when `asked` (--repository): then as
    the working directory reaches it (pipeline/repository.py says why)."""
    from gitops_tools.pipeline.repository import ROOT_KEY, root_named

    named = root_named([Path(path) for path in paths if path != STDIN], root)
    if named is None and not asked:
        return None
    display = display_path(named if named is not None else Path(os.path.relpath(root)))
    return FilePaths(display, relative_posix(root, config.root, ROOT_KEY), ROOT_KEY, ROOT_KEY)


def _compact(sources: list[SourceFile], large: bool) -> list[SourceFile]:
    """The files of a `large` run without their real paths: discovery and the units have used them, and 10,000 of
    them would hold 3 MiB to the end of the run."""
    return [source._replace(real=None) for source in sources] if large else sources


def _shard_split(paths: Sequence[str], sources: list[SourceFile],
                 shard: Shard) -> tuple[list[SourceFile], list[SourceFile]]:
    """The shard's files, and the others': context when the run has workspace checks, so that every shard sees the
    whole run's objects and units and reports the cross-file findings on its own files, as an unsharded run would."""
    from gitops_tools.pipeline.shard import shard_key

    if STDIN in paths:
        raise ConfigError(f"--shard {shard} splits the files of a repository between jobs: it cannot lint '-' (stdin)")
    owned: list[SourceFile] = []
    others: list[SourceFile] = []
    for source in sources:
        (owned if shard.owns(shard_key(source.repo_path, source.file)) else others).append(source)
    return owned, others


def _check_stdin_filename(paths: Sequence[str], name: str | None) -> None:
    if name is None:
        return
    if STDIN not in paths:
        raise ConfigError("--stdin-filename names what '-' (stdin) holds: give '-' too, e.g. "
                          "`kustomize build apps | gitops-tools lint --stdin-filename apps/rendered.yaml -`")
    if not name.strip() or name.endswith(("/", os.sep)) or name == STDIN or _is_folder(Path(name)):
        raise ConfigError(f"--stdin-filename needs a file name, e.g. apps/web.yaml (it was given {name!r})")


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a name too long to look up is no folder: the file name is only a name
        return False


def _changes(paths: Sequence[str], sources: list[SourceFile], options: LintOptions) -> Changes | None:
    if options.diff_lines and options.changed_since is None:
        raise ConfigError("--diff-lines needs --changed-since REF")
    if options.changed_since is None:
        return None
    if not options.changed_since.strip():
        raise ConfigError("--changed-since needs a ref, e.g. --changed-since origin/main (it was given empty)")
    if STDIN in paths:
        raise ConfigError("--changed-since cannot lint '-' (stdin): there is no file to compare")
    changes = changes_since(Path(paths[0]) if paths else Path.cwd(), options.changed_since)
    for source in sources:
        if source.path is not None and not real_path(source.path).is_relative_to(changes.root):
            raise ConfigError(f"{source.display} is outside the git repository at {changes.root}")
    return changes
