"""Compile JSON Schemas that never touch the network, and evaluate them fast.

python-jsonschema is the reference: it produces every error with its path. Most instances are valid, so each
instance first goes through jsonschema-rs's `is_valid` (compiled in Rust, ~40x faster on our policies); only
instances it rejects, or cannot take (non-string keys, bytes), are handed to python-jsonschema for the errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_tools.errors import PolicyError

Schema = dict[str, Any] | bool


def _refuse(uri: str) -> Any:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]


def check_schema(schema: Schema) -> None:
    """Raise PolicyError unless `schema` is valid Draft 2020-12 with local references only."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise PolicyError(f"invalid JSON Schema at {'/'.join(map(str, err.path)) or '(root)'}: {err.message}") from err
    for ref in remote_refs(schema):
        raise PolicyError(f"$ref {ref!r} is not local; policies may only use '#...' references (no fetching)")


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


def error_path(error: Any) -> tuple[str | int, ...]:
    """Where a jsonschema error points; for an unexpected key, the key itself rather than its parent."""
    path = tuple(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        known = schema.get("properties", {})
        patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
        extra = [k for k in error.instance if k not in known and not any(p.search(str(k)) for p in patterns)]
        if extra:
            return (*path, extra[0])
    return path


class SchemaEvaluator:
    """A schema compiled once per run: a fast validity gate plus the reference validator for errors.

    The schema must already have passed `check_schema` (policies are checked when loaded or by the test suite).
    """

    def __init__(self, schema: Schema) -> None:
        from jsonschema import Draft202012Validator
        from referencing import Registry

        self._reference = Draft202012Validator(schema, registry=Registry(retrieve=_refuse))  # type: ignore[call-arg]
        self._fast = _fast_validator(schema)

    def iter_errors(self, instance: Any) -> Iterator[Any]:
        if self._fast is not None:
            try:
                if self._fast.is_valid(instance):
                    return
            except (ValueError, TypeError, OverflowError):
                pass  # not JSON-shaped (e.g. a YAML int key): the reference validator decides
        yield from self._reference.iter_errors(instance)


def _fast_validator(schema: Schema) -> Any:
    try:
        import jsonschema_rs
    except ImportError:
        return None
    try:
        return jsonschema_rs.Draft202012Validator(schema, offline=True)
    except (ValueError, jsonschema_rs.ValidationError):
        return None  # e.g. a regex only Python's engine understands: use the reference validator alone
