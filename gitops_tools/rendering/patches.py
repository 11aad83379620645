"""Values a kustomization's patches write: strategic-merge patches (`patchesStrategicMerge:`, `patches:` entries
holding an object) and JSON 6902 patches (`patchesJson6902:`, `patches:` entries holding a list of operations), in a
file or inline in the kustomization.

An inline patch is text in the kustomization; written as a literal block (`patch: |-`), its lines are the
kustomization's lines shifted by the block's indentation, so its positions are exact (gitops_tools/loading/embedded.py);
in any other style they are the text's own span.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gitops_tools.fingerprint import value_at
from gitops_tools.kustomize import KUSTOMIZATION_BYTES, Kustomizations
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.loading.document import Document
from gitops_tools.loading.embedded import EmbeddedDocument
from gitops_tools.model import JsonPath
from gitops_tools.rendering.follow import follow, identifying
from gitops_tools.rendering.subject import Candidate, Subject, same, scalar, selects

IDENTIFYING = frozenset({(), ("apiVersion",), ("kind",), ("metadata",), ("metadata", "name"),
                         ("metadata", "namespace")})  # what a strategic-merge patch names its object by, not sets
WRITING_OPS = ("add", "replace")


class Patch(NamedTuple):
    documents: tuple[Document, ...]
    target: Mapping[str, Any] | None  # the entry's `target:` selector
    operations: bool  # a JSON 6902 patch (a list of operations), else strategic-merge


def early(document: Document, folder: Path, kustomizations: Kustomizations, subject: Subject) -> Iterator[Candidate]:
    """`patchesStrategicMerge:` then `patches:`, as kustomize applies them before its other transformers; the last
    applied first."""
    patches = (*_parsed(document, folder, kustomizations, "patchesStrategicMerge"),
               *_parsed(document, folder, kustomizations, "patches"))
    for patch in reversed(patches):
        yield from _written(patch, subject)


def late(document: Document, folder: Path, kustomizations: Kustomizations, subject: Subject) -> Iterator[Candidate]:
    """`patchesJson6902:`, applied after labels and annotations; the last applied first."""
    for patch in reversed(_parsed(document, folder, kustomizations, "patchesJson6902")):
        yield from _written(patch, subject)


def _parsed(document: Document, folder: Path, kustomizations: Kustomizations, field: str) -> tuple[Patch, ...]:
    """The patches of a kustomization's `field`, read once per run (each is looked at for every finding)."""
    data = document.data if isinstance(document.data, dict) else {}
    return kustomizations.derived((__name__, folder, field),
                                  lambda: tuple(_patches(document, folder, kustomizations, field, data)))


def _written(patch: Patch, subject: Subject) -> Iterator[Candidate]:
    if patch.target is not None and not selects(patch.target, subject):
        return
    for document in reversed(patch.documents):
        if patch.operations and patch.target is not None and isinstance(document.data, list):
            yield from _operations(document, subject)
        elif not patch.operations and isinstance(document.data, dict) \
                and (patch.target is not None or _names(document.data, subject)):
            yield from _merged(document, subject)


def _names(patch: Mapping[str, Any], subject: Subject) -> bool:
    """Whether a strategic-merge patch without a target names the object (kind, name, namespace if it says)."""
    metadata = patch.get("metadata")
    if patch.get("kind") != subject.kind or not isinstance(metadata, dict):
        return False
    name, namespace = metadata.get("name"), metadata.get("namespace")
    return isinstance(name, str) and name in subject.names and \
        (namespace is None or (isinstance(namespace, str) and namespace in subject.namespaces))


def _merged(document: Document, subject: Subject) -> Iterator[Candidate]:
    walk = follow(document.data, subject.rendered, subject.where)
    if walk.path in IDENTIFYING:
        return
    exact = walk.full(subject.where) and scalar(subject.value) and same(walk.value, subject.value) \
        and not identifying(subject.where)
    yield Candidate(document, walk.path, walk.depth, exact)


def _operations(document: Document, subject: Subject) -> Iterator[Candidate]:
    """The operations adding or replacing the value or an ancestor of it, the last first: a path deeper than the
    value's writes only a part of it."""
    where = subject.where
    for index, operation in reversed(list(enumerate(document.data))):
        if not (isinstance(operation, dict) and operation.get("op") in WRITING_OPS and "value" in operation):
            continue
        steps = _pointer(operation.get("path"), subject.rendered, where)
        if steps is None:
            continue
        rest = where[steps:]
        walk = follow(operation["value"], value_at(subject.rendered, where[:steps]), rest)
        full = walk.full(rest)
        exact = full and (not scalar(subject.value) or same(walk.value, subject.value))
        yield Candidate(document, (index, "value", *walk.path), steps + walk.depth, exact)


def _pointer(pointer: Any, rendered: Any, where: JsonPath) -> int | None:
    """The number of steps of `where` a JSON pointer names, when it names `where` or an ancestor of it (`-`, the end
    of a list, is taken for its last item)."""
    if not isinstance(pointer, str) or not pointer.startswith("/"):
        return None
    tokens = [token.replace("~1", "/").replace("~0", "~") for token in pointer[1:].split("/")]
    if len(tokens) > len(where):
        return None
    for position, (token, step) in enumerate(zip(tokens, where, strict=False)):
        if isinstance(step, int):
            if token == "-":
                items = value_at(rendered, where[:position])
                if not isinstance(items, list) or step != len(items) - 1:
                    return None
            elif not token.isdigit() or int(token) != step:
                return None
        elif token != step:
            return None
    return len(tokens)


def _patches(document: Document, folder: Path, kustomizations: Kustomizations, field: str,
             data: Mapping[str, Any]) -> Iterator[Patch]:
    entries = data.get(field)
    for index, entry in enumerate(entries if isinstance(entries, list) else ()):
        if isinstance(entry, str) and field == "patchesStrategicMerge":  # a file, or an inline patch
            found = _inline(document, (field, index), entry) if "\n" in entry else _file(folder, entry, kustomizations)
            target = None
        elif isinstance(entry, dict) and isinstance(entry.get("path"), str):
            found, target = _file(folder, entry["path"], kustomizations), entry.get("target")
        elif isinstance(entry, dict) and isinstance(entry.get("patch"), str):
            found, target = _inline(document, (field, index, "patch"), entry["patch"]), entry.get("target")
        else:
            continue
        if found and (target is None or isinstance(target, dict)):
            operations = field == "patchesJson6902" or isinstance(found[0].data, list)
            yield Patch(found, target, operations)


def _file(folder: Path, entry: str, kustomizations: Kustomizations) -> tuple[Document, ...]:
    path = kustomizations.resolve(folder, entry)
    loaded = kustomizations.source(path) if path is not None and path.is_file() else None
    return () if loaded is None else tuple(loaded.documents)


def _inline(outer: Document, at: JsonPath, text: str) -> tuple[Document, ...]:
    """The documents of an inline patch, positioned in the kustomization."""
    loaded = load_bytes(text.encode(), outer.path, Limits(max_file_bytes=KUSTOMIZATION_BYTES))
    return tuple(EmbeddedDocument(outer.path, inner.index, inner.data, inner.lines, compose=inner.tree, outer=outer,
                                  outer_path=at) for inner in loaded.documents)
