"""What a document is, before any policy runs: a Kubernetes object, a list of them, a component's configuration file,
or something else. The rules are data (schemas/resources/documents.yaml); this module only interprets them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from gitops_tools.model import JsonPath
from gitops_tools.targets import ResourceType, resource_type

Resource = tuple[JsonPath, Any, ResourceType]  # where in the document, the object as the API reads it, its type


@dataclass(frozen=True)
class ConfigFile:
    """Documents of one API group (and `kind`, if set) that have none of the keys `without`: configuration files."""

    group: str
    kind: str | None = None
    without: tuple[str, ...] = ()

    def matches(self, rtype: ResourceType, data: Mapping[Any, Any]) -> bool:
        return (self.kind is None or self.kind == rtype.kind) and all(data.get(key) is None for key in self.without)


class Classifier:
    """Finds the Kubernetes objects in a document, as the table in schemas/resources/documents.yaml describes them."""

    def __init__(self, without_kind: Iterable[Iterable[str]], list_suffix: str, configs: Iterable[ConfigFile]) -> None:
        self._without_kind = [frozenset(keys) for keys in without_kind]
        self._list_suffix = list_suffix
        self._configs: dict[str, list[ConfigFile]] = {}
        for entry in configs:
            self._configs.setdefault(entry.group, []).append(entry)

    @classmethod
    def load(cls) -> Classifier:
        import yaml

        from gitops_tools.resources import schema_path

        raw = yaml.load(schema_path("resources", "documents.yaml").read_text("utf-8"), Loader=yaml.CSafeLoader)
        configs = [ConfigFile(entry["group"], entry.get("kind"), tuple(entry.get("without", ())))
                   for entry in raw["component_configs"]]
        return cls(raw["objects_without_kind"], str(raw["list_kind_suffix"]), configs)

    def resources(self, data: Any) -> Iterator[Resource]:
        """The document itself, or each item of a list (what `kubectl get -o yaml` prints); nothing for a document
        that is no Kubernetes object. Objects come as the API server reads them: a null field is an unset one."""
        rtype = self._type(data)
        if rtype is None:
            return
        data = without_nulls(data)  # only objects: other documents are never walked
        items = data.get("items")
        if rtype.kind is not None and rtype.kind.endswith(self._list_suffix) and isinstance(items, list):
            for index, item in enumerate(items):
                item_type = self._type(item)
                if item_type is not None:
                    yield ("items", index), item, item_type
        else:
            yield (), data, rtype

    def _type(self, data: Any) -> ResourceType | None:
        """The object's type (`config` set for a configuration file), or None for a document that is no object.
        A key whose value is null counts as absent."""
        if not isinstance(data, dict):
            return None
        rtype = resource_type(data)
        if rtype.kind is None:  # an object without a usable kind, or no object at all
            present = {key for key, value in data.items() if value is not None}
            return rtype if any(keys <= present for keys in self._without_kind) else None
        if rtype.group is not None and any(entry.matches(rtype, data) for entry in self._configs.get(rtype.group, ())):
            return replace(rtype, config=True)
        return rtype


def without_nulls(value: Any) -> Any:
    """`value` without mapping members whose value is null: the API server reads `securityContext:` (no value) as no
    securityContext, and so must every policy. The value itself when it has none (the common case); iterative, so
    any depth."""
    if not _has_null_member(value):
        return value
    holder: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, dict):
            parent[slot] = mapping = {key: child for key, child in item.items() if child is not None}
            stack.extend((mapping, key, child) for key, child in mapping.items())
        elif isinstance(item, list):
            parent[slot] = items = list(item)
            stack.extend((items, index, child) for index, child in enumerate(items))
    return holder[0]


def _has_null_member(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if None in item.values():  # in C, not a generator: loaded values equal None only when they are None
                return True
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
