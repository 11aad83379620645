"""Which files a lint run reads: YAML and JSON under the given paths, and the files a domain reads with a parser
of its own by their name (a Dockerfile: the domains' `files`), minus what is ignored or excluded. A file named on
the command line is read whatever its name: as YAML or JSON unless a domain's parser reads files of that name.

Skipped everywhere: vendored and tool folders, anything the config excludes, and, inside a git work tree, what git
ignores (the files of submodules and nested repositories are linted). Helm chart templates are not YAML until
rendered: they are skipped and counted with the chart that holds them, so the summary can say how to lint the
rendered chart. Kustomize patch files are marked `patch`: they
are partial resources, so only their syntax is checked.

Standard input (`-`) is linted as `<stdin>`, or, given a name (`--stdin-filename`), as the file of that name would
be: config excludes and globs match that name, a name inside a Helm chart's templates/ is skipped, a kustomize patch is
a patch, and findings carry the name.

Nothing is skipped in silence: a folder that cannot be read, and a symbolic link found while walking that points
outside the repository (a pull request must not make the linter read files of the CI machine), become sources
that carry their problem, so they are reported as findings.
"""

from __future__ import annotations

import os
import shlex
import stat
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from gitops_tools.display import printable
from gitops_tools.domains import FileParsers
from gitops_tools.errors import GitopsToolsError
from gitops_tools.fileio import real_path
from gitops_tools.gitrepo import repository_root
from gitops_tools.kustomize import Kustomizations, patch_files
from gitops_tools.model import Problem
from gitops_tools.pathmatch import Globs
from gitops_tools.paths import (
    STDIN,
    STDIN_DISPLAY,
    absolute_text,
    display_path,
    exists,
    is_dir,
    relative_posix,
    repository_path,
)

LINTED_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "vendor", "third_party", ".venv", "venv", ".tox", "__pycache__",
    ".terraform", ".mypy_cache", ".pytest_cache", ".ruff_cache",
})
HELM_TEMPLATE = "Helm chart template"
FOLDER_LINK = "symbolic link to a folder"


class SourceFile(NamedTuple):
    """A file to lint: `display` is how findings name it, `relpath` is what config globs match.

    `problem` is set when discovery already knows the file cannot be read (its findings are that problem)."""

    path: Path | None  # None for stdin
    display: str
    relpath: str
    patch: bool = False
    problem: Problem | None = None
    named: Path | None = None  # stdin only: the file --stdin-filename says it is (it need not exist)
    # Computed once, here, from the repository root: `file` is the path fingerprints hash (symlinks resolved; else
    # `relpath`), `repo_path` the one CI services match (a symlink inside the repository keeps its own name; None
    # for unnamed stdin and files outside the repository).
    file: str = ""
    repo_path: str | None = None
    real: Path | None = None  # the real path (symlinks resolved) of `path` or `named`, computed once here
    parser: str | None = None  # the parser that reads it (gitops_tools/loading/parsers/), None for YAML and JSON
    # From the references pre-pass (pipeline/references.py): the reference rules naming the file (`domain/name`), and
    # the problems of the references it makes (an include naming no file).
    referenced: tuple[str, ...] = ()
    notes: tuple[Problem, ...] = ()


class Discovered(NamedTuple):
    files: list[SourceFile]
    skipped: dict[str, list[str]]  # why -> display paths (Helm templates...)
    charts: dict[str, str]  # skipped Helm template -> its chart folder (display paths)


def discover(paths: Iterable[str], root: Path, exclude: Globs, repository: Path, stdin_name: str | None = None,
             kustomizations: Kustomizations | None = None, parsers: FileParsers | None = None) -> Discovered:
    """The files to lint under `paths`. `root` is what config globs are relative to; only kustomizations inside
    `repository` mark files as patches (one outside it must not turn linted files into unchecked patches).
    `stdin_name` is the file standard input stands for, if `-` is among the paths; `kustomizations` keeps the
    kustomizations read for the run's later use (the workspace's deployable units); `parsers` say which other files
    the domains read (none: YAML and JSON only)."""
    parsers = parsers or FileParsers()
    kustomizations = kustomizations or Kustomizations(repository)
    resolve = RealPaths()
    found: dict[Path, tuple[Path, Problem | None]] = {}  # real path -> (as given, problem found while walking)
    skipped: dict[str, list[str]] = {}
    charts: dict[str, str] = {}
    stdin = False
    for given in paths:
        if given == STDIN:
            stdin = True
            continue
        path = Path(given)
        if not exists(path):
            raise GitopsToolsError(f"path not found: {printable(given)}")
        walked = _walk(path, skipped, parsers) if is_dir(path) else [(path, None)]
        for candidate, problem in walked:
            if not _template_skipped(candidate, skipped, charts):
                found.setdefault(resolve(candidate), (candidate, problem))
    patches = patch_files(found, repository, kustomizations)
    named = None if stdin_name is None else Path(stdin_name)
    files = []
    if stdin and (named is None or not _template_skipped(named, skipped, charts)):
        files = _stdin(named, root, exclude, repository, found, kustomizations, parsers)
    for resolved, (given_path, problem) in found.items():
        relpath = relative_posix(resolved, root, given_path.as_posix())
        if not exclude.match(relpath):
            files.append(source_file(given_path, resolved, relpath, repository, resolved in patches, problem,
                                     parser=parser_of(given_path.name, parsers)))
    return Discovered(files, skipped, charts)


class RealPaths:
    """`real_path` for the files of one discovery: a folder is resolved once, a file in it by one lstat (most of a
    folder's files are no symbolic links). A name with `..` is resolved whole: `link/..` is not `.`."""

    def __init__(self) -> None:
        self._folders: dict[str, str] = {}

    def __call__(self, path: Path) -> Path:
        text = os.fspath(path)
        folder, name = os.path.split(text)
        if not folder or name in ("", ".", "..") or ".." in folder.split(os.sep):  # noqa: PTH206 - text, no Path
            return real_path(path)
        try:
            if stat.S_ISLNK(os.lstat(text).st_mode):
                return real_path(path)
        except OSError:
            return real_path(path)
        real_folder = self._folders.get(folder)
        if real_folder is None:
            real_folder = self._folders[folder] = os.path.realpath(folder)
        return Path(real_folder, name)


def _template_skipped(path: Path, skipped: dict[str, list[str]], charts: dict[str, str]) -> bool:
    """Whether `path` is a Helm chart template; if so it is recorded as skipped, with its chart."""
    chart = helm_chart(path)
    if chart is None:
        return False
    skipped.setdefault(HELM_TEMPLATE, []).append(display_path(path))
    charts[display_path(path)] = display_path(chart)
    return True


def parser_of(name: str, parsers: FileParsers) -> str | None:
    """The parser of a file named `name`: none for YAML and JSON (by the suffix), else the domains' (or none)."""
    return None if Path(name).suffix in LINTED_SUFFIXES else parsers.parser(name)


def _stdin(named: Path | None, root: Path, exclude: Globs, repository: Path, found: Collection[Path],
           kustomizations: Kustomizations, parsers: FileParsers) -> list[SourceFile]:
    """Standard input: `<stdin>`, or the file `named` as it would be linted (nothing if the config excludes it)."""
    if named is None:
        return [SourceFile(None, STDIN_DISPLAY, STDIN_DISPLAY, file=STDIN_DISPLAY)]
    resolved = real_path(named)
    if resolved in found:
        raise GitopsToolsError(f"--stdin-filename {printable(str(named))} is also among the paths: lint the file or "
                               "stdin, not both")
    relpath = relative_posix(resolved, root, named.as_posix())
    if exclude.match(relpath):
        return []
    patch = resolved in patch_files([resolved], repository, kustomizations)
    return [source_file(named, resolved, relpath, repository, patch, stdin=True, parser=parser_of(named.name, parsers))]


def source_file(given: Path, resolved: Path, relpath: str, repository: Path, patch: bool,
                problem: Problem | None = None, *, stdin: bool = False, parser: str | None = None) -> SourceFile:
    """A file to lint (or standard input standing for `given`), its paths computed once from the repository."""
    display = display_path(given)
    file, repo_path = relative_posix(resolved, repository, relpath), repository_path(display, repository, resolved)
    # Names equal to the display path share its string: a run of 10,000 files keeps them all to its end.
    return SourceFile(None if stdin else given, display, _same(relpath, display), patch, problem,
                      named=given if stdin else None, file=_same(file, display),
                      repo_path=display if repo_path == display else repo_path, real=resolved, parser=parser)


def _same(name: str, display: str) -> str:
    return display if name == display else name


def helm_chart(path: Path) -> Path | None:
    """The chart whose templates/ folder (a folder beside Chart.yaml) holds `path`, named the way `path` is
    (relative to the working directory when `path` is relative), or None."""
    if f"{os.sep}templates{os.sep}" not in absolute_text(path):  # no folder named templates: no Path objects
        return None
    for folder in path.absolute().parents:
        if folder.name == "templates" and _is_file(folder.parent / "Chart.yaml"):
            return folder.parent if path.is_absolute() else Path(os.path.relpath(folder.parent))
    return None


def helm_template_command(chart: str) -> str:
    """The command that lints a chart's templates: render the chart, lint the stream."""
    return f"helm template {shlex.quote(chart)} | gitops-tools lint -"


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:
        return False


def _walk(top: Path, skipped: dict[str, list[str]], parsers: FileParsers) -> Iterator[tuple[Path, Problem | None]]:
    """Each YAML/JSON file under `top` (and each file a domain's parser reads), with the problem that keeps it from
    being read, if discovery sees one.

    Links to folders are not followed (they may loop, or lead anywhere); each is counted in `skipped`."""
    from gitops_tools.gitlisting import git_files  # here: a run on named files alone never walks, nor asks git

    listing = git_files(top)
    boundary = repository_root(top) or real_path(top)
    unreadable: list[OSError] = []
    for folder, dirnames, filenames in os.walk(top, onerror=unreadable.append):
        yield from ((Path(err.filename), _unreadable_folder(err)) for err in unreadable)
        unreadable.clear()
        for name in [d for d in dirnames if d not in SKIPPED_DIRS and Path(folder, d).is_symlink()]:
            skipped.setdefault(FOLDER_LINK, []).append(display_path(Path(folder, name)))
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS)
        for name in sorted(filenames):
            path = Path(folder, name)
            if path.suffix not in LINTED_SUFFIXES and not (parsers and parsers.parser(name)):
                continue
            if listing is None or listing.allows(path.relative_to(top).as_posix()) or _special(path):
                yield path, _outside(path, boundary)
    yield from ((Path(err.filename), _unreadable_folder(err)) for err in unreadable)


def _special(path: Path) -> bool:
    """A FIFO, socket or device: git never lists one, so it is reported whatever git says (never opened)."""
    try:
        mode = path.lstat().st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode))


def _unreadable_folder(err: OSError) -> Problem:
    return Problem("file-unreadable", f"it is a folder that cannot be listed, so nothing in it was linted: "
                   f"{err.strerror or err}")


def _outside(path: Path, boundary: Path) -> Problem | None:
    """A walked symbolic link to a file outside the repository (or the walked folder, outside git) is not read."""
    if not path.is_symlink() or real_path(path).is_relative_to(boundary):
        return None
    return Problem("file-symlink-inside-repository", f"it points outside {boundary}; not read")
