"""Backstage's catalog model as JSON Schemas (schemas/vendor/backstage-catalog/, vendored unchanged): the envelope
every entity has, the Entity schema, and one schema per kind (the scaffolder's Template among them), which name
each other by relative `$id`s (`Entity`, `EntityMeta`, `common#relation`). They are put in one registry under a
base URI of ours, so every `$ref` resolves inside it and nothing is ever fetched.

Which kind schema an entity gets is read from the schemas themselves (each says its `apiVersion` and `kind` values),
as Backstage's catalog chooses it: an entity whose envelope is valid is checked against the schema of its kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gitops_tools.model import JsonPath
from gitops_tools.resources import schema_path

BASE_URI = "https://gitops-tools.dev/vendor/backstage-catalog/"


class CatalogModel:
    """The registry of the catalog model's schemas and which kind schema serves which (apiVersion, kind); each
    validator is compiled when an entity first needs it (a repository of Components never compiles the User
    schema)."""

    def __init__(self, registry: Any, kinds: dict[tuple[str, str], str]) -> None:
        self.registry, self.kinds = registry, kinds
        self._compiled: dict[str, Any] = {}

    def validator(self, schema_id: str) -> Any:
        found = self._compiled.get(schema_id)
        if found is None:
            import jsonschema_rs

            found = jsonschema_rs.Draft7Validator({"$ref": BASE_URI + schema_id}, registry=self.registry,
                                                  offline=True, pattern_options=jsonschema_rs.RegexOptions())
            self._compiled[schema_id] = found
        return found


def folder() -> Path:
    return schema_path("vendor", "backstage-catalog")


def load() -> CatalogModel:
    """Reads every schema of the folder into one registry (once per process, on the first entity)."""
    import jsonschema_rs

    schemas = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder().rglob("*.schema.json"))]
    registry = jsonschema_rs.Registry([(BASE_URI + schema["$id"], schema) for schema in schemas],
                                      draft=jsonschema_rs.Draft7)
    return CatalogModel(registry, {key: schema["$id"] for schema in schemas for key in _kind_keys(schema)})


def _kind_keys(schema: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The (apiVersion, kind) pairs a kind schema is for: the enums of its own part (`allOf: [Entity, {...}]`)."""
    for part in schema.get("allOf", ()):
        properties = part.get("properties", {}) if isinstance(part, dict) else {}
        versions = properties.get("apiVersion", {}).get("enum", ())
        for kind in properties.get("kind", {}).get("enum", ()):
            for version in versions:
                yield version, kind


def validator_for(model: CatalogModel, entity: dict[str, Any]) -> tuple[Any, tuple[JsonPath, str] | None]:
    """The validator the entity's envelope asks for, and, when its apiVersion is the catalog model's but names no
    kind of it (a misspelt kind, a Template under backstage.io), the field that is wrong and why. The model's API
    groups (backstage.io, scaffolder.backstage.io) are those of its kind schemas: another group is a platform's
    own, checked against the Entity schema alone."""
    api_version, kind = entity.get("apiVersion"), entity.get("kind")
    found = model.kinds.get((api_version, kind)) if isinstance(api_version, str) and isinstance(kind, str) else None
    if found is not None:
        return model.validator(found), None
    entity_schema = model.validator("Entity")
    groups = {version.rpartition("/")[0] for version, _ in model.kinds}
    if isinstance(api_version, str) and api_version.rpartition("/")[0] in groups:
        known = sorted({k for version, k in model.kinds if version == api_version})
        if known:
            return entity_schema, (("kind",), f"{kind!r} is no kind of {api_version} (one of {', '.join(known)})")
        versions = sorted({version for version, k in model.kinds if k == kind}) or sorted({v for v, _ in model.kinds})
        return entity_schema, (("apiVersion",),
                              f"{api_version!r} is no apiVersion of the catalog model (one of {', '.join(versions)})")
    return entity_schema, None
