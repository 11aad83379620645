"""Part of the per-file phase: each classified Kubernetes object as the compact record the workspace indexes (its
identity, labels, place and the facts the run's workspace checks collect). The document tree is not kept: records
are small and picklable, so a process pool can send them back and a 10,000-file run holds only them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from sys import intern
from typing import Any

from gitops_tools.engine import Classified
from gitops_tools.fingerprint import document_identity, stable_path
from gitops_tools.loading.parsed import ParsedDocument
from gitops_tools.model import NAME, FilePaths, JsonPath, ObjectId, ObjectRecord, Place, json_pointer
from gitops_tools.pipeline.workspace import Collecting, object_domains
from gitops_tools.targets import Workloads


def records(found: Sequence[Classified], paths: FilePaths, workloads: Workloads,
            collectors: Mapping[str, Collecting]) -> Iterator[ObjectRecord]:
    """A record for each object with a kind and a name (one without either has no identity to compare)."""
    values: dict[Any, Any] = {}  # the file's kept values: a Service's selector is its Deployment's template labels
    for classified in found:
        object_id = identify(classified) or _parsed_file(classified, paths)
        if object_id is not None:
            yield _record(classified, object_id, paths, workloads, collectors, values)


def identify(classified: Classified) -> ObjectId | None:
    """None for a document that is no mapping: a domain found by path (a GitLab CI file, a catalog-info.yaml)
    classifies whatever its file holds, a list or a text too."""
    resource, rtype = classified.resource, classified.rtype
    if not isinstance(resource, dict):
        return None
    metadata = resource.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    name, namespace = metadata.get("name"), metadata.get("namespace")
    if rtype.kind is None or rtype.config or not isinstance(name, str) or not name:
        return None
    # Groups, kinds, namespaces and labels repeat across thousands of objects: one copy of each (sys.intern) keeps
    # the records of a 10,000-file run small. A name is often a label's value too (app.kubernetes.io/name), and
    # the name of what other objects refer to (a Service's selector, an HPA's target): interned as well.
    return ObjectId(intern(rtype.group or ""), intern(rtype.kind),
                    intern(namespace) if isinstance(namespace, str) and namespace else None,
                    intern(name) if type(name) is str else name)


def _parsed_file(classified: Classified, paths: FilePaths) -> ObjectId | None:
    """A document a domain's own parser read (a Dockerfile) has no name field: it is named by its file, so that the
    workspace checks can relate it to the objects (a Dockerfile to the workloads running its image)."""
    if not isinstance(classified.document, ParsedDocument) or classified.rtype.kind is None:
        return None
    return ObjectId("", intern(classified.rtype.kind), None, paths.file)


def _record(classified: Classified, object_id: ObjectId, paths: FilePaths, workloads: Workloads,
            collectors: Mapping[str, Collecting], values: dict[Any, Any]) -> ObjectRecord:
    document, prefix, resource = classified.document, classified.prefix, classified.resource
    pod_spec = workloads.pod_spec_path(classified.rtype)
    layout: list[tuple[str, int]] = []
    slots: list[Any] = []
    # Checks keeping a fact at one place (a workload's pod template labels) share it, located once; equal values
    # (the same label set, kept by each check that selects pods) are kept once per file, down to their parts; the
    # checks keeping an equal value at one place share its slot.
    places: dict[JsonPath, Place] = {}
    slot_of: dict[tuple[int, int], int] = {}  # (value, place) by identity -> its slot
    domains = object_domains(classified.instance.memberships)
    for check, (collect, wanted) in collectors.items():
        if wanted is not None and wanted.isdisjoint(domains):
            continue
        found = collect(resource, pod_spec)
        if found is not None:
            where, value = found
            place = None if where is None else places.get(path := (*prefix, *where))
            if place is None and where is not None:
                place = places[path] = _place(document, path)
            value = _shared(values, value)
            slot = slot_of.setdefault((id(value), id(place)), len(slots) + 1)
            if slot == len(slots) + 1:
                slots += (value, place)
            layout.append((check, slot))
    kept = (_layout(tuple(layout)), *slots) if layout else ()
    api_version = resource.get("apiVersion") if isinstance(resource, dict) else None
    api_version = intern(api_version) if type(api_version) is str else ""
    identity = document_identity(resource, document.index)
    spelled = f"{api_version}/{object_id.kind}/{object_id.namespace or ''}/{object_id.name}"
    return ObjectRecord(object_id, _labels(resource), paths, document.index, json_pointer(prefix),
                        *document.locate_near((*prefix, *NAME)), api_version,
                        None if identity == spelled else identity, kept)


def _layout(layout: tuple[tuple[str, int], ...]) -> dict[str, int]:
    """Each check's slot; one copy of each layout for the process (every Deployment of a run has the same), as
    for paths."""
    shared = _LAYOUTS.get(layout)
    if shared is None:
        shared = dict(layout)
        if len(_LAYOUTS) < _KEPT:
            _LAYOUTS[layout] = shared
    return shared


def _place(document: Any, path: JsonPath) -> Place:
    """Where a fact at `path` points: the path as fingerprints hash it (one copy per distinct path for the process,
    as sys.intern keeps names), its span, and its pointer only when the stable path does not spell it."""
    where = stable_path(document.data, path)
    if where in _PATHS or len(_PATHS) < _KEPT:
        where = _PATHS.setdefault(where, where)
    pointer = json_pointer(path)
    span = document.locate_near(path)
    return (where, *span) if pointer == json_pointer(where) else (where, *span, pointer)


_PATHS: dict[JsonPath, JsonPath] = {}
_LAYOUTS: dict[tuple[tuple[str, int], ...], dict[str, int]] = {}
_KEPT = 4096  # of each: paths and layouts repeat across objects (spec/template/metadata/labels); a hostile run's
# do not grow them past this


def _shared(values: dict[Any, Any], value: Any) -> Any:
    """The first kept value equal to `value`, its tuples' items shared the same way. Only text, whole numbers, None
    and tuples of them are shared: True == 1 == 1.0, and sharing would swap one for the other."""
    return _plain(values, value)[0]


def _plain(values: dict[Any, Any], value: Any) -> tuple[Any, bool]:
    kind = type(value)
    if kind is str:
        return intern(value), True  # names, verbs, ports: one copy for the process, not one per file
    if kind is tuple:
        items, plain = [], True
        for item in value:  # text and numbers here, not by a call each: a run keeps hundreds of thousands of them
            kind = type(item)
            if kind is str:
                items.append(intern(item))
            elif kind is int or item is None:
                items.append(item)
            elif kind is tuple:
                item, shared = _plain(values, item)
                items.append(item)
                plain = plain and shared
            else:
                items.append(item)
                plain = False
        value = tuple(items)
        if not plain:
            return value, False
    elif kind is not int and value is not None:
        return value, False
    return values.setdefault(value, value), True


def _labels(resource: Mapping[str, Any]) -> tuple[str, ...]:
    """Its labels, sorted by key, flat: key, value, key, value..."""
    metadata = resource.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict):
        return ()
    return tuple(text for pair in sorted((key, value) for key, value in labels.items() if isinstance(key, str)
                                         and isinstance(value, str)) for text in map(intern, pair))
