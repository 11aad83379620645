"""What a policy looks at: the documents of its domain (or, named by path alone, of its files), of its kinds, and
inside a Kubernetes object the object itself, each pod (its metadata and spec), each pod spec, or each container."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from gitops_tools.model import JsonPath, Targets

POD_SCOPES = ("pod-template", "pod-spec", "container")  # the scopes that look into the workloads' pods
TargetValue = tuple[JsonPath, Any]  # where a policy looks in an object, and what it finds there


class ResourceType(NamedTuple):
    """A Kubernetes object's API group ('' for core, None when it has no apiVersion) and kind (None when it has no
    usable kind), and whether it is a component's configuration file rather than a resource."""

    group: str | None
    kind: str | None
    config: bool = False

    def matches(self, entries: frozenset[str]) -> bool:
        """Policy `kinds` entries are `Kind` (any group) or `group/Kind` (any group when apiVersion is missing)."""
        if self.kind in entries or (self.group and f"{self.group}/{self.kind}" in entries):
            return True
        return self.group is None and any(entry.rpartition("/")[2] == self.kind for entry in entries)


def resource_type(data: Any) -> ResourceType:
    if not isinstance(data, dict):
        return ResourceType(None, None)
    kind, api_version = data.get("kind"), data.get("apiVersion")
    group = api_version.rpartition("/")[0] if isinstance(api_version, str) else None
    return ResourceType(group, kind if isinstance(kind, str) else None)


class Workloads:
    """The workload table from schemas/resources/workloads.yaml: resource type -> path to its pod spec."""

    def __init__(self, table: Mapping[str, JsonPath]) -> None:
        self._table = dict(table)
        self._by_kind = {key.rpartition("/")[2]: path for key, path in list(table.items())[::-1]}  # first wins

    @classmethod
    def load(cls) -> Workloads:
        return cls.parse(read_workloads())

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> Workloads:
        """The table of its parsed file (`read_workloads`)."""
        return cls({key: tuple(path) for key, path in raw.items()})

    def pod_spec_path(self, rtype: ResourceType) -> JsonPath | None:
        if rtype.kind is None:
            return None
        if rtype.group is None:  # no apiVersion: go by kind alone
            return self._by_kind.get(rtype.kind)
        return self._table.get(f"{rtype.group}/{rtype.kind}" if rtype.group else rtype.kind)


def read_workloads() -> Any:
    import yaml

    from gitops_tools.resources import schema_path

    return yaml.load(schema_path("resources", "workloads.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)


def target_domain(targets: Targets, default: str | None) -> str | None:
    """The domain whose documents a policy looks at; None for every document of its files, whatever its domain
    (a custom document policy naming `files` but no domain or kinds: "every GitHub workflow" by its path)."""
    if targets.domain is not None:
        return targets.domain
    if targets.files and targets.scope == "document" and not targets.kinds and not targets.exclude_kinds:
        return None
    return default


def applies_to(targets: Targets, rtype: ResourceType, workloads: Workloads) -> bool:
    """Whether a policy looks at Kubernetes objects of this type at all.

    An object without a usable kind gets the document policies for every kind (they report what is broken); a
    configuration file only the policies that name its kind."""
    if rtype.kind is None:
        return targets.scope == "document" and not targets.kinds
    if rtype.matches(targets.exclude_kinds):
        return False
    if targets.scope in POD_SCOPES and workloads.pod_spec_path(rtype) is None:
        return False
    if rtype.config:
        return rtype.matches(targets.kinds)
    return not targets.kinds or rtype.matches(targets.kinds)


def target_values(targets: Targets, pod_path: JsonPath | None, data: dict[str, Any]) -> Iterator[TargetValue]:
    """Each (path, value) the policy's schema is applied to; `pod_path` locates a workload's pod spec."""
    if targets.scope == "document" or pod_path is None:
        yield (), data
        return
    pod_spec = dig(data, pod_path)
    if not isinstance(pod_spec, dict):
        return
    if targets.scope == "pod-spec":
        yield pod_path, pod_spec
        return
    if targets.scope == "pod-template":  # what holds the pod spec as `spec`: a Pod, a workload's pod template
        template_path = pod_path[:-1]
        template = dig(data, template_path)
        if isinstance(template, dict):
            yield template_path, template
        return
    for list_name in targets.containers:
        containers = pod_spec.get(list_name)
        if isinstance(containers, list):
            for index, container in enumerate(containers):
                yield (*pod_path, list_name, index), container


def dig(data: Any, path: JsonPath) -> Any:
    """The value at `path` in nested mappings, or None where a step is missing or not a mapping."""
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data
