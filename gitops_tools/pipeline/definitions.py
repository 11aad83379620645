"""Phase 1c, definitions (part of discover): the run's own CustomResourceDefinitions, so that a custom resource in
one file is validated against a CRD in another.

The per-file phase is a function of one file; which CRD defines a kind is a fact about other files. So the CRDs are
found here, once, before any file is evaluated, and travel with the Engine (Engine.definitions) to every file's
evaluation: nothing flows back. They come from two places:

- the config's `crds:` files and folders (read in full, each file within the config's size limit, at most MAX_FILES;
  a file that cannot be read or parsed is a config error at its own path:line:col, exit 2);
- the CRD documents of the run's own files: a file whose bytes name `CustomResourceDefinition` is parsed (the others
  cost one read). Files outside the run are not searched: in a partial run (pre-commit, --changed-since) a custom
  resource whose CRD is elsewhere in the repository is validated against the bundled CRD, or reported as not
  validated (custom-resource-schema-known), unless the config's `crds:` names that CRD's file. Standard input is read
  once, by the per-file phase, so CRDs in a piped stream are not picked up either: list them under `crds:`.

Where two define one group and kind, the config's win over the run's files, and a later file over an earlier one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from gitops_tools.config import Config, CrdPath
from gitops_tools.customresources import CRD_KIND, Definition, Definitions, definitions_in
from gitops_tools.discovery import SourceFile
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import read_regular
from gitops_tools.loading import Limits, LoadedFile, load_bytes
from gitops_tools.model import Location

MAX_FILES = 2000  # files read under the config's `crds:` folders
SUFFIXES = (".yaml", ".yml", ".json")
MARK = CRD_KIND.encode()
FATAL = frozenset({"yaml-syntax", "document-too-deep", "yaml-alias-limit", "file-too-large", "file-encoding",
                   "file-binary", "json-syntax"})


def run_definitions(sources: Sequence[SourceFile], config: Config) -> Definitions:
    """The definitions of the run's files, then of the config's `crds:` (which win)."""
    own: dict[tuple[str, str], Definition] = {}
    for source in sources:
        for definition in _of_source(source, config.limits):
            own[(definition.group, definition.kind)] = definition
    for entry in config.crds:
        for definition in _of_config_entry(entry, config):
            own[(definition.group, definition.kind)] = definition
    return Definitions(own)


def _of_source(source: SourceFile, limits: Limits) -> list[Definition]:
    """A run file's definitions; a file that cannot be read or parsed has none here (its own evaluation reports
    why)."""
    if source.path is None or source.patch or source.problem is not None or source.parser is not None:
        return []
    try:
        raw = read_regular(source.path, limits.max_file_bytes)
    except OSError:
        return []
    if MARK not in raw:
        return []
    return _definitions(load_bytes(raw, source.display, limits, is_json=source.relpath.endswith(".json")),
                        source.display)


def _of_config_entry(entry: CrdPath, config: Config) -> list[Definition]:
    found: list[Definition] = []
    for path in _files(entry):
        try:
            raw = read_regular(path, config.limits.max_file_bytes)
        except OSError as err:
            raise ConfigError(f"crds: cannot read {path}: {getattr(err, 'strerror', None) or err}",
                              entry.location) from err
        shown = _shown(path, config.root)
        loaded = load_bytes(raw, shown, config.limits, is_json=path.suffix == ".json")
        fatal = [problem for problem in loaded.problems if problem.policy_id in FATAL]
        if fatal:
            problem = fatal[0]
            raise ConfigError(f"crds: {problem.detail}", Location(shown, problem.line, problem.col))
        found.extend(_definitions(loaded, shown))
    return found


def _files(entry: CrdPath) -> Iterator[Path]:
    """The entry's file, or the YAML and JSON files under its folder (hidden folders skipped), sorted, at most
    MAX_FILES."""
    if not entry.path.is_dir():
        yield entry.path
        return
    count = 0
    for folder, subfolders, names in os.walk(entry.path):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            if name.endswith(SUFFIXES):
                count += 1
                if count > MAX_FILES:
                    raise ConfigError(f"crds: {entry.path} holds more than {MAX_FILES} files", entry.location)
                yield Path(folder) / name


def _definitions(loaded: LoadedFile, shown: str) -> list[Definition]:
    found = []
    for document in loaded.documents:
        line = document.locate(())[0]
        found.extend(definitions_in(document.data, f"{shown}:{line}"))
    return found


def _shown(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)
