"""What kustomize makes of files: which ones are patches (partial resources, not whole manifests), and which files a
kustomization's build deploys, with the namespace and name changes it makes to them.

Kustomizations are read with the safe loader, within KUSTOMIZATION_BYTES, once per folder per run (a Kustomizations
reader holds them), and never outside the repository: an entry leading out of it, a remote one (a URL, a git
repository) and one that does not exist are not followed. Generators (configMapGenerator...) make objects that are
in no file: they are not part of a build here.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from gitops_tools.fileio import read_regular, real_path
from gitops_tools.loading import Limits, LoadedFile, load_bytes
from gitops_tools.loading.document import Document

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
KUSTOMIZATION_BYTES = 1024 * 1024
MAX_NESTING = 32  # kustomizations within kustomizations: deeper is a mistake, or a loop through links
MAX_BUILD_FILES = 100_000
T = TypeVar("T")
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
SOURCE_BYTES = Limits().max_file_bytes  # a resource or patch file read to trace a rendered value: as a lint reads it


class Kustomization(NamedTuple):
    """The parts of one kustomization file that say which files it deploys and how it renames them."""

    folder: Path  # resolved
    resources: tuple[str, ...] = ()  # `resources:` and the deprecated `bases:`, in order
    components: tuple[str, ...] = ()
    patches: tuple[str, ...] = ()
    namespace: str | None = None
    name_prefix: str = ""
    name_suffix: str = ""
    component: bool = False  # `kind: Component`: a part of other builds, never deployed alone
    file: Path | None = None  # the kustomization file itself (resolved folder / its name)
    generated: tuple[tuple[str, str], ...] = ()  # (kind, name) of each configMapGenerator and secretGenerator entry


class Placed(NamedTuple):
    """A file as a build deploys it: the namespace the build's kustomizations set on its objects (the outermost
    one that sets it wins, as kustomize applies the outer kustomization last) and the name prefix and suffix."""

    file: Path  # resolved
    namespace: str | None = None
    prefix: str = ""
    suffix: str = ""


class Kustomizations:
    """The kustomizations of one run's folders, each read once; only inside `boundary` (the repository)."""

    def __init__(self, boundary: Path) -> None:
        self.boundary = boundary
        self._read: dict[Path, Kustomization | None] = {}
        self._documents: dict[Path, Document] = {}  # each kustomization file's document, for its entries' positions
        self._sources: dict[Path, LoadedFile | None] = {}
        self._resolved: dict[tuple[Path, str], Path | None] = {}
        self._real: dict[Path, Path] = {}  # source paths as asked for, resolved
        self._derived: dict[Hashable, Any] = {}

    def at(self, folder: Path) -> Kustomization | None:
        """The kustomization in `folder` (resolved), or None."""
        if folder not in self._read:
            self._read[folder] = self._load(folder)
        return self._read[folder]

    def document(self, folder: Path) -> Document | None:
        """The document of the kustomization in `folder` (resolved), where its entries are written; None when there
        is none or it is no single document."""
        self.at(folder)
        return self._documents.get(folder)

    def source(self, path: Path) -> LoadedFile | None:
        """A resource or patch file of a build, loaded once per run (a base is traced from every overlay using it):
        a regular file inside the boundary, within SOURCE_BYTES; None otherwise or when it cannot be read."""
        resolved = self._real.get(path)
        if resolved is None:
            try:
                resolved = self._real[path] = real_path(path)
            except (OSError, ValueError):
                return None
        if resolved not in self._sources:
            self._sources[resolved] = _loaded(resolved, SOURCE_BYTES) if resolved.is_relative_to(self.boundary) \
                else None
        return self._sources[resolved]

    def derived(self, key: Hashable, make: Callable[[], T]) -> T:
        """A fact derived from this run's kustomizations, made once per run: what tracing rendered values needs for
        every finding of every overlay (rendering/: the layers between an overlay and a file, parsed patches)."""
        if key not in self._derived:
            self._derived[key] = make()
        return cast(T, self._derived[key])

    def around(self, folders: Iterable[Path]) -> list[Kustomization]:
        """The kustomizations in `folders` (resolved) and in their parents inside the boundary, each once."""
        seen = set(folders)
        seen.update({parent for folder in seen for parent in folder.parents if parent.is_relative_to(self.boundary)})
        found = (self.at(folder) for folder in sorted(seen))
        return [kustomization for kustomization in found if kustomization is not None]

    def build(self, root: Kustomization) -> list[Placed]:
        """The files `root` deploys, in kustomize's order: resources as listed (a folder's own build in its place),
        then components; a file listed twice is there twice (kustomize refuses that build)."""
        placed: list[Placed] = []
        self._expand(root, (), Placed(root.folder), placed)
        return placed

    def _expand(self, kustomization: Kustomization, chain: tuple[Path, ...], outer: Placed,
                placed: list[Placed]) -> None:
        chain = (*chain, kustomization.folder)
        here = Placed(kustomization.folder, outer.namespace or kustomization.namespace,
                      outer.prefix + kustomization.name_prefix, kustomization.name_suffix + outer.suffix)
        for entry in (*kustomization.resources, *kustomization.components):
            target = self.resolve(kustomization.folder, entry)
            if target is None or len(placed) >= MAX_BUILD_FILES:
                continue
            if target.is_dir():
                nested = self.at(target)
                if nested is not None and target not in chain and len(chain) < MAX_NESTING:
                    self._expand(nested, chain, here, placed)
            elif target.suffix in MANIFEST_SUFFIXES and target.is_file():
                placed.append(Placed(target, here.namespace, here.prefix, here.suffix))

    def tree(self, root: Kustomization) -> Iterator[Kustomization]:
        """`root` and every kustomization its build reads (bases and components, depth first, each once)."""
        seen: set[Path] = set()
        stack = [root]
        while stack and len(seen) < MAX_BUILD_FILES:
            kustomization = stack.pop()
            if kustomization.folder in seen:
                continue
            seen.add(kustomization.folder)
            yield kustomization
            stack += reversed(self.children(kustomization))

    def children(self, kustomization: Kustomization) -> list[Kustomization]:
        """The kustomizations its `resources`, `bases` and `components` name (folders with a kustomization), in
        order."""
        found = []
        for entry in (*kustomization.resources, *kustomization.components):
            target = self.resolve(kustomization.folder, entry)
            nested = self.at(target) if target is not None and target.is_dir() else None
            if nested is not None:
                found.append(nested)
        return found

    def reads(self, root: Kustomization) -> set[Path]:
        """Every file (resolved) `root`'s build reads: its kustomization files, the resources they list and their
        patch files; a change to any of them changes what the build renders."""
        found: set[Path] = set()
        for kustomization in self.tree(root):
            if kustomization.file is not None:
                found.add(kustomization.file)
            for entry in (*kustomization.resources, *kustomization.components, *kustomization.patches):
                target = self.resolve(kustomization.folder, entry)
                if target is not None and not target.is_dir():
                    found.add(target)
        return found

    def remote(self, root: Kustomization) -> Iterator[tuple[Kustomization, str]]:
        """Each remote entry (a URL, a git repository) of `resources`, `bases` or `components` anywhere in `root`'s
        build, with the kustomization listing it."""
        for kustomization in self.tree(root):
            for entry in (*kustomization.resources, *kustomization.components):
                if is_remote(entry):
                    yield kustomization, entry

    def outside(self, root: Kustomization) -> Iterator[tuple[Kustomization, str]]:
        """Each local entry (a resource, base, component or patch) anywhere in `root`'s build whose real path leaves
        the boundary (`../` or a symbolic link out of the repository): kustomize would read it, a lint must not."""
        for kustomization in self.tree(root):
            for entry in (*kustomization.resources, *kustomization.components, *kustomization.patches):
                if is_remote(entry):
                    continue
                try:
                    target = real_path(kustomization.folder / entry)
                except (OSError, ValueError):
                    continue
                if not target.is_relative_to(self.boundary):
                    yield kustomization, entry

    def resolve(self, folder: Path, entry: str) -> Path | None:
        """The resolved file or folder an entry names; None for a remote one or one leading out of the boundary."""
        key = (folder, entry)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(folder, entry)
        return self._resolved[key]

    def _resolve(self, folder: Path, entry: str) -> Path | None:
        if is_remote(entry):
            return None
        try:
            target = real_path(folder / entry)
        except (OSError, ValueError):
            return None
        return target if target.is_relative_to(self.boundary) and target.exists() else None

    def _load(self, folder: Path) -> Kustomization | None:
        for name in KUSTOMIZATION_NAMES:
            path = folder / name
            if path.is_file():
                loaded = _loaded(path, KUSTOMIZATION_BYTES)
                document = loaded.documents[0] if loaded is not None and len(loaded.documents) == 1 else None
                if document is not None:
                    self._documents[folder] = document
                return _parse(folder, None if document is None else document.data)._replace(file=path)
        return None


def is_remote(entry: str) -> bool:
    """Whether a `resources`/`components` entry names something outside the file system (a URL, a git
    repository): kustomize would fetch it."""
    return "://" in entry or entry.startswith(("git@", "git::", "github.com/", "gitlab.com/", "bitbucket.org/"))


def patch_files(files: Iterable[Path], boundary: Path, kustomizations: Kustomizations | None = None) -> set[Path]:
    """Resolved paths of the patch files named by kustomizations beside `files` or in their parent folders up to
    `boundary` (the repository): a kustomization outside it must not turn linted files into unchecked patches."""
    reader = kustomizations or Kustomizations(boundary)
    folders = {path.parent for path in files}  # a few folders hold many files: walk up from each folder once
    return {real_path(kustomization.folder / entry) for kustomization in reader.around(map(real_path, folders))
            for entry in kustomization.patches}


def _loaded(path: Path, limit: int) -> LoadedFile | None:
    try:
        raw = read_regular(path, limit)
    except OSError:
        return None  # the file itself is linted and reported
    return load_bytes(raw, str(path), Limits(max_file_bytes=limit), is_json=path.suffix == ".json")


def _parse(folder: Path, data: Any) -> Kustomization:
    """The kustomization's parts; a malformed one deploys nothing and patches nothing (it is linted itself)."""
    if not isinstance(data, dict):
        return Kustomization(folder)
    return Kustomization(
        folder, resources=tuple(_paths(data.get("resources"))) + tuple(_paths(data.get("bases"))),
        components=tuple(_paths(data.get("components"))), patches=tuple(_patch_entries(data)),
        namespace=_text(data.get("namespace")) or None, name_prefix=_text(data.get("namePrefix")),
        name_suffix=_text(data.get("nameSuffix")), component=data.get("kind") == "Component",
        generated=tuple(_generated(data)))


def _generated(data: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, name) of the ConfigMaps and Secrets the kustomization's generators make, as written (kustomize adds the
    prefix, suffix and content hash to the object and to the references it renames with it)."""
    for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
        for entry in _list(data.get(key)):
            if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"]:
                yield kind, entry["name"]


def _patch_entries(data: dict[str, Any]) -> Iterator[str]:
    """Every file the kustomization names as a patch: `patches` and `patchesJson6902` entries' `path`, and the
    entries of `patchesStrategicMerge` and the plain strings of `patches` (kustomize refuses a plain string there,
    but its author meant a patch: linting it as a whole manifest would only add false findings to that mistake)."""
    yield from _paths(data.get("patchesStrategicMerge"))
    yield from _paths(data.get("patches"))
    for key in ("patches", "patchesJson6902"):
        for entry in _list(data.get(key)):
            if isinstance(entry, dict) and isinstance(entry.get("path"), str):
                yield entry["path"]


def _paths(value: Any) -> Iterator[str]:
    """The entries of a list of paths (an inline patch, text with a line break, is no path)."""
    for entry in _list(value):
        if isinstance(entry, str) and entry and "\n" not in entry and "\0" not in entry:
            yield entry


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []  # a malformed kustomization names no patch
