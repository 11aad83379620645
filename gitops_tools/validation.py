"""Compile JSON Schemas with a registry that never touches the network."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.errors import PolicyError


def _refuse(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def compile_schema(schema: dict[str, Any] | bool) -> Any:
    """A Draft 2020-12 validator whose $refs resolve only locally (the document itself or bundled metaschemas)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError
    from referencing import Registry

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise PolicyError(f"invalid JSON Schema at {'/'.join(map(str, err.path)) or '(root)'}: {err.message}") from err
    for ref in remote_refs(schema):
        raise PolicyError(f"$ref {ref!r} is not local; policies may only use '#...' references (no fetching)")
    return Draft202012Validator(schema, registry=Registry(retrieve=_refuse))  # type: ignore[call-arg]


def remote_refs(schema: Any) -> Iterator[str]:
    """Every $ref / $dynamicRef in `schema` that points outside the schema itself."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key in ("$ref", "$dynamicRef"):
                ref = node.get(key)
                if isinstance(ref, str) and not ref.startswith("#"):
                    yield ref
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
