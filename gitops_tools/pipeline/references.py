"""Phase 1b, references (part of discover): the files the run's documents name, such as a GitLab pipeline's local
includes, so that the classify phase knows them as documents of the naming domain wherever they are.

The per-file phase is a function of one file; whether a file is included by a pipeline is a fact about another
file. So it is found here, once, before any file is evaluated, and carried with each file (SourceFile.referenced,
FilePaths.referenced): the classify phase reads it, and nothing flows back. What references are is data (a
domain.yaml's `references`, schemas/domain.schema.json): the texts at some keys of the domain's documents, paths from
the repository root with `*`/`**` wildcards expanded as GitLab expands them.

A reference naming no file, matching none, or leading out of the repository (`..`, a symbolic link out) is a
problem of the naming file at the reference's line and column (SourceFile.notes), reported by the reference's
policy; a file out of the repository is never read. Bounded: MAX_FILES files read (GitLab allows 150 includes),
each within the config's size limit, and MAX_LISTED paths looked at for wildcards.
"""

from __future__ import annotations

import os
import posixpath
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.domains import Domain, Pattern, Reference
from gitops_tools.fileio import read_regular, real_path
from gitops_tools.loading import load_bytes
from gitops_tools.loading.document import Document
from gitops_tools.model import JsonPath, Problem
from gitops_tools.paths import relative_posix

MAX_FILES = 150  # files read for their references in one run (GitLab's own limit of included files)
MAX_LISTED = 20_000  # paths a wildcard reference looks at
MAX_PATTERN = 1024  # characters of a wildcard reference matched (longer ones name no file)


class Named:
    """What the run's references say: the reference rules (`domain/name`) naming each file, and each naming file's
    problems, both keyed by the path from the repository root (real path, as SourceFile.file). A plain class with
    slots: every run that may follow references imports this module, and a NamedTuple costs 0.1 ms to create."""

    __slots__ = ("problems", "rules")

    def __init__(self, rules: dict[str, tuple[str, ...]], problems: dict[str, tuple[Problem, ...]]) -> None:
        self.rules, self.problems = rules, problems


def with_references(sources: list[SourceFile], domains: Sequence[Domain], root: Path,
                    config: Config) -> list[SourceFile]:
    """The sources, each with the references naming it and the problems of its own references."""
    found = named(sources, domains, root, config)
    if not found.rules and not found.problems:
        return sources
    return [source._replace(referenced=found.rules.get(source.file, ()), notes=found.problems.get(source.file, ()))
            if source.file in found.rules or source.file in found.problems else source for source in sources]


def named(sources: list[SourceFile], domains: Sequence[Domain], root: Path, config: Config) -> Named:
    """Follow every reference of `domains` from the run's files their path rules match and from their `roots`, then
    from the files referenced, in turn."""
    real_root = real_path(root)
    rules: dict[str, list[str]] = {}
    problems: dict[str, list[Problem]] = {}
    for domain in domains:
        queue = deque(_starts(sources, domain, real_root))
        seen = set(queue)
        read = 0
        while queue and read < MAX_FILES:
            file = queue.popleft()
            read += 1
            for reference, where, text in _texts(real_root / file, domain, config):
                targets, problem = _resolve(text, real_root)
                if problem:
                    problems.setdefault(file, []).append(Problem(reference.policy, problem, *where, text))
                for target in targets:
                    if reference.rule.key not in rules.setdefault(target, []):
                        rules[target].append(reference.rule.key)
                    if target not in seen:
                        seen.add(target)
                        queue.append(target)
    return Named({file: tuple(keys) for file, keys in rules.items()},
                 {file: tuple(found) for file, found in problems.items()})


def _starts(sources: list[SourceFile], domain: Domain, root: Path) -> list[str]:
    """The domain's roots that exist, then the run's files a path rule of the domain matches (repository paths)."""
    starts = [name for reference in domain.references for name in reference.roots if (root / name).is_file()]
    globs = [rule.paths for rule in domain.rules if rule.paths is not None and not rule.from_config]
    own = [rule.paths for rule in domain.rules if rule.paths is not None and rule.from_config]
    for source in sources:
        if source.path is not None and source.file and not source.file.startswith("../") and (
                any(g.match(source.file) for g in globs) or any(g.match(source.relpath) for g in own)):
            starts.append(source.file)
    return list(dict.fromkeys(starts))


def _texts(path: Path, domain: Domain, config: Config) -> Iterator[tuple[Reference, tuple[int, int], str]]:
    """Each reference text in the file's documents, with its span; nothing from a file that cannot be read."""
    try:
        raw = read_regular(path, config.limits.max_file_bytes)
    except (OSError, ValueError):  # unreadable, not regular, too large: the file's own run reports it
        return
    for document in load_bytes(raw, str(path), config.limits).documents:
        for reference in domain.references:
            for steps in reference.at:
                for where, text in _values(document.data, steps):
                    if not reference.skip.match(text.strip()):
                        yield reference, _value_position(document, where), text.strip()


def _value_position(document: Document, where: JsonPath) -> tuple[int, int]:
    """Where the text value at `where` starts (a mapping member's value, not its key)."""
    node = document.node_at(where)
    return document.lines.position(node.start_mark.index) if node is not None else document.locate(where)[:2]


def _values(data: Any, steps: tuple[Pattern, ...]) -> Iterator[tuple[JsonPath, str]]:
    """(path, text) of every text at `steps` (one glob per key), a list on the way or at the end walked."""
    found: list[tuple[JsonPath, Any]] = [((), data)]
    for step in steps:
        found = [((*path, key), child) for path, value in _items(found) if isinstance(value, dict)
                 for key, child in value.items() if isinstance(key, str) and step.match(key)]
    yield from ((path, value) for path, value in _items(found) if isinstance(value, str))


def _items(found: list[tuple[JsonPath, Any]]) -> Iterator[tuple[JsonPath, Any]]:
    for path, value in found:
        if isinstance(value, list):
            yield from (((*path, index), item) for index, item in enumerate(value))
        else:
            yield path, value


def _resolve(text: str, root: Path) -> tuple[list[str], str]:
    """The repository files `text` names (paths from the root), or why it names none."""
    relative = posixpath.normpath(text.lstrip("/")) if text.strip("/") else ""
    if not relative or relative == "." or relative == ".." or relative.startswith("../"):
        return [], f"{text!r} leads out of the repository; it is not read" if relative else f"{text!r} names no file"
    if "*" in relative:
        matches = sorted(_listed(root, relative))
        return matches, "" if matches else f"{text!r} matches no file of the repository"
    resolved = real_path(root / relative)
    if not resolved.is_relative_to(root):
        return [], f"{text!r} leads out of the repository (a symbolic link); it is not read"
    if not resolved.is_file():
        return [], f"{text!r} is not a file of the repository"
    return [relative_posix(resolved, root, relative)], ""


def _listed(root: Path, pattern: str) -> Iterator[str]:
    """The repository files matching a wildcard reference, walked from its folder before the first wildcard
    (symbolic links to folders not followed; `.git` skipped); a file linking out of the repository is left out."""
    if len(pattern) > MAX_PATTERN:
        return
    tokens = _tokens(pattern)
    fixed = pattern[:pattern.index("*")].rpartition("/")[0]
    top = root / fixed
    if not top.is_dir() or not real_path(top).is_relative_to(root):
        return
    looked = 0
    for folder, folders, files in os.walk(top):
        folders[:] = sorted(name for name in folders if name != ".git")
        for name in sorted(files):
            looked += 1
            if looked > MAX_LISTED:
                return
            path = Path(folder, name)
            relative = relative_posix(path, root, "")
            if relative and _matches(tokens, relative) and real_path(path).is_relative_to(root):
                yield relative_posix(real_path(path), root, relative)


def _tokens(pattern: str) -> list[str]:
    """GitLab's wildcard grammar (Repository#search_files_by_wildcard_path): `**/` is any run of folders or none,
    `**` any characters, `/` included, `*` any characters but `/`; everything else is itself."""
    tokens, index = [], 0
    while index < len(pattern):
        for token in ("**/", "**", "*"):
            if pattern.startswith(token, index):
                break
        else:
            token = pattern[index]
        tokens.append(token)
        index += len(token)
    return tokens


def _matches(tokens: list[str], path: str) -> bool:
    """Whether `path` matches, by a set of pattern positions (no backtracking: linear in the path's length times the
    pattern's, whatever a hostile pattern holds). A position `-(i + 1)` is inside `**/` token i, before its `/`."""
    end = len(tokens)
    states = _closure({0}, tokens)
    for char in path:
        following: set[int] = set()
        for state in states:
            if state < 0:
                following.add(state)
                if char == "/":
                    following.add(-state)
            elif state < end:
                token = tokens[state]
                if token == "**" or (token == "*" and char != "/"):
                    following.add(state)
                elif token == "**/":
                    following.add(-(state + 1))
                    if char == "/":
                        following.add(state + 1)
                elif token == char:
                    following.add(state + 1)
        states = _closure(following, tokens)
        if not states:
            return False
    return end in states


def _closure(states: set[int], tokens: list[str]) -> set[int]:
    """The positions reachable without reading a character: every wildcard may match nothing."""
    stack, found = list(states), set(states)
    while stack:
        state = stack.pop()
        if 0 <= state < len(tokens) and tokens[state] in ("*", "**", "**/") and state + 1 not in found:
            found.add(state + 1)
            stack.append(state + 1)
    return found
