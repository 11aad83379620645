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
from gitops_tools.model import Fact, FilePaths, JsonPath, ObjectId, ObjectRecord, Span, json_pointer
from gitops_tools.pipeline.workspace import Collector, collects_from
from gitops_tools.targets import Workloads

NAME: JsonPath = ("metadata", "name")


def records(found: Sequence[Classified], paths: FilePaths, workloads: Workloads,
            collectors: Mapping[str, Collector]) -> Iterator[ObjectRecord]:
    """A record for each object with a kind and a name (one without either has no identity to compare)."""
    for classified in found:
        object_id = identify(classified) or _parsed_file(classified, paths)
        if object_id is not None:
            yield _record(classified, object_id, paths, workloads, collectors)


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
    # the records of a 10,000-file run small. Names are mostly unique and kept as read.
    return ObjectId(intern(rtype.group or ""), intern(rtype.kind),
                    intern(namespace) if isinstance(namespace, str) and namespace else None, name)


def _parsed_file(classified: Classified, paths: FilePaths) -> ObjectId | None:
    """A document a domain's own parser read (a Dockerfile) has no name field: it is named by its file, so that the
    workspace checks can relate it to the objects (a Dockerfile to the workloads running its image)."""
    if not isinstance(classified.document, ParsedDocument) or classified.rtype.kind is None:
        return None
    return ObjectId("", intern(classified.rtype.kind), None, paths.file)


def _record(classified: Classified, object_id: ObjectId, paths: FilePaths, workloads: Workloads,
            collectors: Mapping[str, Collector]) -> ObjectRecord:
    document, prefix, resource = classified.document, classified.prefix, classified.resource
    pod_spec = workloads.pod_spec_path(classified.rtype)
    facts = []
    # Checks keeping a fact at one place (a workload's pod template labels) share its path, pointer and span, and
    # checks keeping equal values (the same label set, kept by each check that selects pods) share one value: one
    # copy in memory and in a spilled or cached record, and one position looked up.
    places: dict[JsonPath, tuple[JsonPath, str, Span]] = {}
    values: dict[Any, Any] = {}
    for check, collect in collectors.items():
        if not collects_from(check, classified.instance.memberships):
            continue
        kept = collect(resource, pod_spec)
        if kept is not None:
            where, value = kept
            path = (*prefix, *where)
            place = places.get(path)
            if place is None:
                place = places[path] = (stable_path(document.data, path), json_pointer(path),
                                        document.locate_near(path))
            facts.append(Fact(check, _shared(values, value), *place))
    return ObjectRecord(object_id, _labels(resource), paths, document.index, json_pointer(prefix),
                        document.locate_near((*prefix, *NAME)), document_identity(resource, document.index),
                        tuple(facts))


def _shared(values: dict[Any, Any], value: Any) -> Any:
    """The first kept value equal to `value` (a value that cannot be hashed is kept as it is)."""
    try:
        return values.setdefault(value, value)
    except TypeError:
        return value


def _labels(resource: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    metadata = resource.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    if not isinstance(labels, dict):
        return ()
    return tuple(sorted((intern(key), intern(value)) for key, value in labels.items() if isinstance(key, str)
                        and isinstance(value, str)))
