"""Where a value of a rendered object comes from: the source file, line and column a finding on the rendered object
is reported at.

kustomize's `config.kubernetes.io/origin` annotation (buildMetadata: originAnnotations) names the file an object was
read from, or the kustomization whose generator made it; it says nothing of single values. `locate` finds the value's
source: the kustomizations between the entry point and that file (rendering/layers.py), searched from the one applied
last, each from its last transformer to its first (rendering/replacements.py, rendering/transformers.py,
rendering/patches.py); the first that wrote the value as rendered is its source. Else the value is the source
document's (found by kind and name, list items by their merge key: rendering/follow.py). A missing value is placed
where the deepest part of its path that exists is written, as a per-file lint places it. A generated object's value
that no kustomization wrote, and a value that cannot be traced, are placed at the generator's entry or the entry
point's kustomization (`generated`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gitops_tools.fingerprint import value_at
from gitops_tools.kustomize import KUSTOMIZATION_NAMES, Kustomizations
from gitops_tools.loading.document import Document
from gitops_tools.model import JsonPath
from gitops_tools.rendering import patches, replacements, transformers
from gitops_tools.rendering.follow import follow
from gitops_tools.rendering.layers import Layer, layers
from gitops_tools.rendering.subject import ABSENT, Candidate, Subject

GENERATORS = {"ConfigMap": "configMapGenerator", "Secret": "secretGenerator"}


class Origin(NamedTuple):
    """What kustomize's origin annotation says of one rendered object, with paths resolved in the repository."""

    file: Path | None = None  # the resource file the object was read from (resolved); None for a generated object
    generated_in: Path | None = None  # the kustomization file whose generator made it (resolved), if generated


class Source(NamedTuple):
    """A position in a source file of the repository (1-based), and whether it is a fallback for a generated or
    untraceable value (then the finding names the object and the overlay)."""

    file: Path
    line: int = 1
    col: int = 1
    end_line: int = 0
    end_col: int = 0
    generated: bool = False


def locate(rendered: Mapping[str, Any], origin: Origin, where: JsonPath, overlay: Path,
           kustomizations: Kustomizations) -> Source:
    """The source of the value at `where` in `rendered` (the object as the entry point `overlay`, a resolved folder,
    renders it, without kustomize's annotations)."""
    chain = layers(kustomizations, overlay, origin.file, origin.generated_in)
    if chain is None:
        return _fallback(origin, overlay, kustomizations, rendered, ())
    found = None
    if origin.file is not None:
        file, identity = origin.file, (_text(rendered.get("kind")), _name(rendered), _namespace(rendered))
        found = kustomizations.derived((__name__, overlay, file, identity),
                                       lambda: _source_document(kustomizations, file, rendered, chain))
    subject = _subject(rendered, where, chain, found)
    written = _candidates(chain, kustomizations, subject)
    exact = next((candidate for candidate in written if candidate.exact), None)
    if exact is not None:
        return _source(exact)
    if found is None:
        return _fallback(origin, overlay, kustomizations, rendered, chain)
    document, prefix = found
    walk = follow(value_at(document.data, prefix), rendered, where)
    own = Candidate(document, (*prefix, *walk.path), walk.depth, walk.full(where))
    partial = list(written)
    best = own
    if not own.exact:
        best = next((candidate for candidate in partial if candidate.depth == len(where)), None) or \
            max([own, *partial], key=lambda candidate: candidate.depth)  # the first of the deepest: the source's
    return _source(best)


def _candidates(chain: tuple[Layer, ...], kustomizations: Kustomizations, subject: Subject) -> list[Candidate]:
    """What each layer wrote at (or above) the value, the last applied first; computed up to the first exact one."""
    found: list[Candidate] = []
    for candidate in _written(chain, kustomizations, subject):
        found.append(candidate)
        if candidate.exact:
            break
    return found


def _written(chain: tuple[Layer, ...], kustomizations: Kustomizations, subject: Subject) -> Iterator[Candidate]:
    for kustomization, document in chain:
        if document is None:
            continue
        folder = kustomization.folder
        yield from replacements.written(document, folder, kustomizations, subject)
        yield from transformers.late(document, subject)
        yield from patches.late(document, folder, kustomizations, subject)
        yield from transformers.early(document, subject)
        yield from patches.early(document, folder, kustomizations, subject)


def _source(candidate: Candidate) -> Source:
    return Source(Path(candidate.document.path), *candidate.document.locate(candidate.path))


def _subject(rendered: Mapping[str, Any], where: JsonPath, chain: tuple[Layer, ...],
             found: tuple[Document, JsonPath] | None) -> Subject:
    value: Any = rendered
    for step in where:
        value = _member(value, step)
        if value is ABSENT:
            break
    read = value_at(found[0].data, found[1]) if found is not None else {}
    names = {_name(rendered)} | _renamed(_name(read), chain)
    namespaces = {_namespace(rendered), _namespace(read)} | {layer.kustomization.namespace for layer in chain}
    labels = tuple(_metadata(data, "labels") for data in (rendered, read))
    annotations = tuple(_metadata(data, "annotations") for data in (rendered, read))
    return Subject(rendered, where, value, frozenset(names - {""}), frozenset(filter(None, namespaces)), labels,
                   annotations)


def _member(value: Any, step: str | int) -> Any:
    """The member of a mapping or a list at `step`, or ABSENT (never a character of a text)."""
    if isinstance(value, Mapping):
        return value.get(step, ABSENT)
    if isinstance(value, list) and isinstance(step, int) and 0 <= step < len(value):
        return value[step]
    return ABSENT


def _renamed(name: str, chain: tuple[Layer, ...]) -> set[str]:
    """The object's name as read and as each layer, from the innermost, renamed it."""
    if not name:
        return set()
    names = {name}
    for layer in reversed(chain):
        name = layer.kustomization.name_prefix + name + layer.kustomization.name_suffix
        names.add(name)
    return names


def _source_document(kustomizations: Kustomizations, file: Path, rendered: Mapping[str, Any],
                     chain: tuple[Layer, ...]) -> tuple[Document, JsonPath] | None:
    """The document (or item of a List document) the object was read from: the same kind, with the name it had
    before the chain's prefixes and suffixes (or the file's only object of that kind); of several, the one in the
    rendered namespace."""
    loaded = kustomizations.source(file)
    if loaded is None:
        return None
    names = {_name(rendered), _unaffixed(_name(rendered), chain)}
    found = [(document, path) for document in loaded.documents for path, data in _objects(document.data)
             if data.get("kind") == rendered.get("kind") and _name(data) in names]
    if not found:  # renamed by a patch (allowNameChange): the file's only object of that kind
        found = [(document, path) for document in loaded.documents for path, data in _objects(document.data)
                 if data.get("kind") == rendered.get("kind")]
        found = found if len(found) == 1 else []
    same_namespace = [(document, path) for document, path in found
                      if _namespace(value_at(document.data, path)) == _namespace(rendered)]
    return next(iter(same_namespace or found), None)


def _objects(data: Any) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """The objects of a document: itself, or the items of a List (kustomize reads each item as an object)."""
    if not isinstance(data, dict):
        return
    items = data.get("items")
    if isinstance(data.get("kind"), str) and data["kind"].endswith("List") and isinstance(items, list):
        yield from ((("items", index), item) for index, item in enumerate(items) if isinstance(item, dict))
    else:
        yield (), data


def _unaffixed(name: str, chain: tuple[Layer, ...]) -> str:
    prefix = "".join(layer.kustomization.name_prefix for layer in chain)
    suffix = "".join(layer.kustomization.name_suffix for layer in reversed(chain))
    if name.startswith(prefix) and name.endswith(suffix) and len(name) > len(prefix) + len(suffix):
        return name[len(prefix):len(name) - len(suffix)]
    return name


def _fallback(origin: Origin, overlay: Path, kustomizations: Kustomizations, rendered: Mapping[str, Any],
              chain: tuple[Layer, ...]) -> Source:
    """The generator's entry that made the object, else the generating or entry kustomization."""
    folder = origin.generated_in.parent if origin.generated_in is not None else overlay
    document = kustomizations.document(folder)
    field = GENERATORS.get(str(rendered.get("kind")))
    if document is not None and isinstance(document.data, dict) and field is not None and origin.file is None:
        name = _unaffixed(_name(rendered), chain)
        entries = document.data.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            made = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(made, str) and made and name in (made, *_hashed(made, name)):
                return _source(Candidate(document, (field, index), 0, False))._replace(generated=True)
    return Source(Path(document.path) if document is not None else _kustomization_file(folder), generated=True)


def _hashed(made: str, name: str) -> tuple[str, ...]:
    """The generated name with kustomize's content-hash suffix (`settings-hf678c7m2b`), when it has one."""
    return (name,) if name.startswith(made + "-") and len(name) == len(made) + 11 else ()


def _name(data: Any) -> str:
    return _text(_metadata(data, "name"))


def _namespace(data: Any) -> str:
    return _text(_metadata(data, "namespace"))


def _metadata(data: Any, key: str) -> Any:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    value = metadata.get(key) if isinstance(metadata, dict) else None
    if key in ("labels", "annotations"):
        return value if isinstance(value, dict) else {}
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _kustomization_file(folder: Path) -> Path:
    for name in KUSTOMIZATION_NAMES:
        if (folder / name).is_file():
            return folder / name
    return folder / KUSTOMIZATION_NAMES[0]
