"""The schemas of custom resources: what a CustomResourceDefinition says of each version of its kind, from the
bundle (schemas/resources/crds/, derived from the vendored upstream CRDs by gitops_tools/crdbundle.py) and from the
run's own CRDs (the config's `crds:` paths and the CRD documents of the linted files, found before any file is
evaluated: gitops_tools/pipeline/definitions.py). A run's own CRD wins over the bundled one for its group and kind.

A bundled kind's file is read the first time an object of that group and kind is met, once per process: a run with
no custom resource reads none. `openapi_schema` gives a kind's raw openAPIV3Schema (with `x-kubernetes-validations`)
for evaluating its CEL rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, NamedTuple

from gitops_tools.resources import schema_path

if TYPE_CHECKING:
    from gitops_tools.validation import SchemaEvaluator

CRD_API_VERSION = "apiextensions.k8s.io/v1"
CRD_KIND = "CustomResourceDefinition"
# What a group and a kind can be (DNS subdomain, Go identifier): anything else names no bundled file.
GROUP = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\Z")
KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}\Z")


class Version(NamedTuple):
    """One version of a kind: whether the API server serves it, and its openAPIV3Schema (None when it has none)."""

    name: str
    served: bool
    schema: dict[str, Any] | None


class Definition(NamedTuple):
    """What a CRD says of its kind: group, kind, scope, versions, and where it comes from (a bundled project and
    release, or a file's path and line)."""

    group: str
    kind: str
    scope: str
    versions: tuple[Version, ...]
    source: str

    def version(self, name: str) -> Version | None:
        return next((version for version in self.versions if version.name == name), None)

    def served(self) -> tuple[str, ...]:
        return tuple(version.name for version in self.versions if version.served)

    def as_data(self) -> dict[str, Any]:
        """The bundled file's content (read back by `_from_data`)."""
        return {"group": self.group, "kind": self.kind, "scope": self.scope, "source": self.source,
                "versions": [{"name": v.name, "served": v.served, "schema": v.schema} for v in self.versions]}


def definitions_in(document: Any, source: str) -> list[Definition]:
    """The definition a CRD document gives (apiextensions.k8s.io/v1), without description prose; none for any other
    document or a CRD whose shape is wrong (kubernetes-structure-valid reports that)."""
    if not isinstance(document, dict) or document.get("kind") != CRD_KIND \
            or document.get("apiVersion") != CRD_API_VERSION:
        return []
    spec = document.get("spec")
    if not isinstance(spec, dict):
        return []
    names, group, versions = spec.get("names"), spec.get("group"), spec.get("versions")
    kind = names.get("kind") if isinstance(names, dict) else None
    if not isinstance(group, str) or not isinstance(kind, str) or not isinstance(versions, list):
        return []
    scope = spec["scope"] if isinstance(spec.get("scope"), str) else "Namespaced"
    kept = tuple(_version(entry) for entry in versions
                 if isinstance(entry, dict) and isinstance(entry.get("name"), str))
    return [Definition(group, kind, scope, kept, source)]


def _version(entry: dict[str, Any]) -> Version:
    validation = entry.get("schema")
    schema = validation.get("openAPIV3Schema") if isinstance(validation, dict) else None
    return Version(entry["name"], entry.get("served") is True, lean(schema) if isinstance(schema, dict) else None)


def lean(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` without the prose of its `description`s (most of a CRD's bytes, never read by a validator), copied
    iteratively (a CRD may nest deeper than Python recurses); a property named `description` is a schema and stays."""
    top: dict[str, Any] = {}
    stack: list[tuple[Any, Any]] = [(schema, top)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if key == "description" and isinstance(value, str) and isinstance(target, dict):
                continue
            copy: Any = {} if isinstance(value, dict) else [None] * len(value) if isinstance(value, list) else value
            if isinstance(value, dict | list):
                stack.append((value, copy))
            target[key] = copy
    return top


def _from_data(data: Mapping[str, Any]) -> Definition:
    versions = tuple(Version(v["name"], v["served"], v["schema"]) for v in data["versions"])
    return Definition(data["group"], data["kind"], data["scope"], versions, data["source"])


@cache
def bundled(group: str, kind: str) -> Definition | None:
    """The bundled definition of a group and kind, read from its own file on first use; None when none is bundled."""
    if not GROUP.match(group) or not KIND.match(kind):
        return None
    try:
        text = schema_path("resources", "crds", group, f"{kind}.json").read_text(encoding="utf-8")
    except OSError:
        return None
    return _from_data(json.loads(text))


@cache
def is_bundled(group: str, kind: str) -> bool:
    """Whether a CRD of this group and kind is bundled (its file is there; not read)."""
    return bool(GROUP.match(group) and KIND.match(kind)) and schema_path("resources", "crds", group,
                                                                          f"{kind}.json").is_file()


@cache
def builtin_groups() -> frozenset[str]:
    """The API groups of built-in kinds: an object of any other group (with a group) is a custom resource."""
    text = schema_path("resources", "crds", "_builtin_groups.json").read_text(encoding="utf-8")
    return frozenset(json.loads(text))


def is_custom(api_version: str) -> bool:
    """Whether an apiVersion is a custom resource's: it has a group, and not a built-in one."""
    group, slash, _ = api_version.rpartition("/")
    return bool(slash and group) and group not in builtin_groups()


class Definitions:
    """The definitions a run knows: its own CRDs (by group and kind) before the bundled ones. Each version's schema
    is compiled once, when the first object of that version is validated (compiled validators stay out of a pickle:
    a worker process compiles its own)."""

    def __init__(self, own: Mapping[tuple[str, str], Definition] | None = None) -> None:
        self.own = dict(own or {})
        self._compiled: dict[tuple[str, str, str], SchemaEvaluator | None] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {"own": self.own}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.own, self._compiled = state["own"], {}

    def find(self, group: str, kind: str) -> Definition | None:
        return self.own.get((group, kind)) or bundled(group, kind)

    def kinds(self) -> Iterator[tuple[str, str]]:
        """The run's own CRDs' groups and kinds."""
        return iter(self.own)

    def evaluator(self, definition: Definition, version: Version) -> SchemaEvaluator | None:
        """The compiled structural schema of one version of a definition (None: the version has no schema)."""
        key = (definition.source, definition.group, f"{definition.kind}/{version.name}")
        if key not in self._compiled:
            from gitops_tools.checks import _crd_structural

            self._compiled[key] = _crd_structural.evaluator(version.schema) if version.schema else None
        return self._compiled[key]


def split(api_version: str) -> tuple[str, str]:
    """`monitoring.coreos.com/v1` -> (`monitoring.coreos.com`, `v1`)."""
    group, _, version = api_version.rpartition("/")
    return group, version


def openapi_schema(api_version: str, kind: str, definitions: Definitions | None = None) -> dict[str, Any] | None:
    """The raw openAPIV3Schema (every `x-kubernetes-*` key kept, `x-kubernetes-validations` included; description
    prose dropped) of a custom resource's apiVersion and kind: from the run's own CRDs (`definitions`), else the
    bundle. None when no CRD defines the kind, or the version is not served or has no schema."""
    group, version = split(api_version)
    definition = (definitions or Definitions()).find(group, kind)
    found = definition.version(version) if definition else None
    return found.schema if found is not None and found.served else None
