"""Values a kustomization's built-in transformers write: `images:`, `replicas:`, `namespace:`, `namePrefix:` and
`nameSuffix:`, `labels:`/`commonLabels:` and `commonAnnotations:`; each is placed at the entry that wrote it.

A transformer wrote the value when the value is what the entry writes (a tag is the entry's `newTag`...): an outer
kustomization or a later transformer that changed it again is found first, as layers are searched from the one
applied last.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.loading.document import Document
from gitops_tools.model import POD_CONTAINERS, JsonPath
from gitops_tools.rendering.subject import Candidate, Subject, same, same_text

LABEL_MAPS = ("labels", "matchLabels", "selector")  # where commonLabels and labels write (metadata, selectors)
SUBJECT_NAMESPACES = ("RoleBinding", "ClusterRoleBinding")  # whose subjects' namespace the transformer sets too
IMAGE_FIELDS = ("digest", "newTag", "newName")  # the one a finding on an image is placed at: the most specific


def late(document: Document, subject: Subject) -> Iterator[Candidate]:
    """Those applied after every patch but `patchesJson6902` (images, then replicas), the last first."""
    data = document.data if isinstance(document.data, dict) else {}
    yield from _images(document, data.get("images"), subject)
    where, value = subject.where, subject.value
    if where == ("spec", "replicas"):
        for index, entry in _entries(data.get("replicas")):
            if _text(entry.get("name")) in subject.names and same(entry.get("count"), value):
                yield _at(document, ("replicas", index, "count"))
                return


def early(document: Document, subject: Subject) -> Iterator[Candidate]:
    """Those applied after `patches:` and before `patchesJson6902`: annotations, labels, the name's prefix and
    suffix, the namespace; the last first."""
    data = document.data if isinstance(document.data, dict) else {}
    where, value = subject.where, subject.value
    key = where[-1] if where else None
    if len(where) >= 2 and where[-2] == "annotations" and isinstance(key, str):
        annotations = data.get("commonAnnotations")
        if isinstance(annotations, dict) and key in annotations and same_text(annotations[key], value):
            yield _at(document, ("commonAnnotations", key))
    if len(where) >= 2 and where[-2] in LABEL_MAPS and isinstance(key, str):
        yield from _labels(document, data, where, value)
    if where == ("metadata", "name") and isinstance(value, str):
        prefix, suffix = data.get("namePrefix"), data.get("nameSuffix")
        if isinstance(prefix, str) and prefix and value.startswith(prefix):
            yield _at(document, ("namePrefix",))
        elif isinstance(suffix, str) and suffix and value.endswith(suffix):
            yield _at(document, ("nameSuffix",))
    if _namespace_path(where, subject.kind) and same(data.get("namespace"), value):
        yield _at(document, ("namespace",))


def _labels(document: Document, data: Mapping[str, Any], where: JsonPath, value: Any) -> Iterator[Candidate]:
    """`labels:` entries (applied after `commonLabels:`), the last first. An entry writes an object's own labels;
    a pod template's only with `includeTemplates` (or `includeSelectors`), a selector's only with
    `includeSelectors`; `commonLabels` writes them all."""
    key = where[-1]
    template = len(where) > 3 and where[-3:-1] == ("metadata", "labels") and "template" in where
    for index, entry in _entries(data.get("labels")):
        pairs = entry.get("pairs")
        if where[:2] == ("metadata", "labels"):
            writes = True
        elif template:
            writes = entry.get("includeTemplates") is True or entry.get("includeSelectors") is True
        else:
            writes = entry.get("includeSelectors") is True
        if writes and isinstance(pairs, dict) and key in pairs and same_text(pairs[key], value):
            yield _at(document, ("labels", index, "pairs", key))
            return
    common = data.get("commonLabels")
    if isinstance(common, dict) and key in common and same_text(common[key], value):
        yield _at(document, ("commonLabels", key))


def _images(document: Document, entries: Any, subject: Subject) -> Iterator[Candidate]:
    where, value = subject.where, subject.value
    if not (len(where) >= 3 and where[-1] == "image" and where[-3] in POD_CONTAINERS and isinstance(value, str)):
        return
    name, tag, digest = _image_parts(value)
    for index, entry in _entries(entries):
        written = [field for field in IMAGE_FIELDS if isinstance(entry.get(field), str | int | float)]
        new_name = entry.get("newName", entry.get("name"))
        if written and new_name == name and _tag_matches(entry, tag, digest):
            yield _at(document, ("images", index, written[0]))
            return


def _tag_matches(entry: Mapping[str, Any], tag: str | None, digest: str | None) -> bool:
    if "digest" in entry:
        return str(entry["digest"]) == digest
    return "newTag" not in entry or str(entry["newTag"]) == tag


def _image_parts(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference: `registry:5000/app:1.2@sha256:…`."""
    image, _, digest = image.partition("@")
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:  # no tag: the colon, if any, was a registry's port
        return image, None, digest or None
    return name, tag, digest or None


def _namespace_path(where: JsonPath, kind: str) -> bool:
    if where == ("metadata", "namespace"):
        return True
    return (kind in SUBJECT_NAMESPACES and len(where) == 3 and where[0] == "subjects" and isinstance(where[1], int)
            and where[2] == "namespace")


def _at(document: Document, path: JsonPath) -> Candidate:
    return Candidate(document, path, len(path), True)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _entries(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """The mapping entries of a list with their positions, the last first (a malformed kustomization's other
    entries write nothing)."""
    entries = enumerate(value) if isinstance(value, list) else iter(())
    return [(index, entry) for index, entry in reversed(list(entries)) if isinstance(entry, dict)]
