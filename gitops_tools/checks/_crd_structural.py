"""A CRD version's openAPIV3Schema as the strict JSON Schema the API server applies, for jsonschema-rs.

What the API server does, and this schema says: a field a `properties` list does not name is refused (pruned, or an
error under strict field validation) unless the node has `x-kubernetes-preserve-unknown-fields` or
`additionalProperties`; `x-kubernetes-int-or-string` takes an integer or a text; `x-kubernetes-embedded-resource`
is an object with `apiVersion` and `kind`, whose `metadata` is an ObjectMeta; `x-kubernetes-list-type: set` holds no
value twice; OpenAPI v3.0's boolean `exclusiveMinimum`/`exclusiveMaximum` become JSON Schema's numbers; the formats
the API server checks and jsonschema-rs checks the same way (date-time, ipv4, ipv6) are checked, and `byte` as
base64 text; the resource's own `metadata` is an ObjectMeta (the built-in schema,
schemas/resources/crds/_objectmeta.json). `nullable: true` admits null; a null where a field is not nullable is
pruned by the API server before validation (see `pruned`), so it is as if the field were absent. Inside `allOf`,
`anyOf`, `oneOf` and `not` a schema only adds constraints: its `properties` do not close the object. Nodes nested
deeper than MAX_DEPTH (no real CRD comes near) are not checked.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from gitops_tools.classification import has_null_member
from gitops_tools.resources import schema_path
from gitops_tools.validation import SchemaEvaluator

MAX_DEPTH = 200
META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
META_REF = {"$ref": f"#/$defs/{META}"}
BASE64 = r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
FORMATS = frozenset({"date-time", "ipv4", "ipv6"})
# Keywords whose value is copied as it is (OpenAPI v3.0 and JSON Schema agree on them).
COPIED = ("enum", "required", "minimum", "maximum", "minLength", "maxLength", "pattern", "minItems", "maxItems",
          "uniqueItems", "minProperties", "maxProperties", "multipleOf")
JUNCTORS = ("allOf", "anyOf", "oneOf")


def evaluator(schema: dict[str, Any]) -> SchemaEvaluator:
    """The compiled evaluator of a version's openAPIV3Schema; raises ValueError if it does not compile (a pattern
    Rust's regex engine cannot run)."""
    return SchemaEvaluator(json_schema(schema), formats=True)


def json_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The strict JSON Schema of a custom resource: `apiVersion` and `kind` are texts and `metadata` an ObjectMeta
    whether or not the CRD's schema names them (the API server adds them to every CRD's)."""
    root = _node(schema, 0, structural=True)
    root = root if isinstance(root, dict) else {}
    _embedded(root)
    return {**root, "$defs": _object_meta()["$defs"]}


@cache
def _object_meta() -> dict[str, Any]:
    text = schema_path("resources", "crds", "_objectmeta.json").read_text(encoding="utf-8")
    meta: dict[str, Any] = json.loads(text)
    return meta


def _node(node: Any, depth: int, *, structural: bool) -> Any:
    if not isinstance(node, dict) or depth > MAX_DEPTH:
        return True
    out: dict[str, Any] = {key: node[key] for key in COPIED if key in node}
    _type(node, out)
    _bounds(node, out)
    _format(node, out)
    inner = depth + 1
    if isinstance(node.get("properties"), dict):
        out["properties"] = {name: _node(value, inner, structural=structural)
                             for name, value in node["properties"].items()}
    if isinstance(node.get("additionalProperties"), dict):
        out["additionalProperties"] = _node(node["additionalProperties"], inner, structural=structural)
    elif isinstance(node.get("additionalProperties"), bool):
        out["additionalProperties"] = node["additionalProperties"]
    elif structural and "properties" in out and node.get("x-kubernetes-preserve-unknown-fields") is not True:
        out["additionalProperties"] = False
    if isinstance(node.get("items"), dict):
        out["items"] = _node(node["items"], inner, structural=structural)
    for junctor in JUNCTORS:
        if isinstance(node.get(junctor), list):
            out[junctor] = [_node(each, inner, structural=False) for each in node[junctor]]
    if isinstance(node.get("not"), dict):
        out["not"] = _node(node["not"], inner, structural=False)
    if node.get("x-kubernetes-list-type") == "set":
        out["uniqueItems"] = True
    if node.get("x-kubernetes-embedded-resource") is True:
        _embedded(out)
    return out


def _type(node: dict[str, Any], out: dict[str, Any]) -> None:
    types: list[str] = ["integer", "string"] if node.get("x-kubernetes-int-or-string") is True else \
        [node["type"]] if isinstance(node.get("type"), str) else []
    if types and node.get("nullable") is True:
        types.append("null")
    if types:
        out["type"] = types[0] if len(types) == 1 else types


def _bounds(node: dict[str, Any], out: dict[str, Any]) -> None:
    """OpenAPI v3.0's `exclusiveMinimum: true` beside `minimum: 0` is JSON Schema's `exclusiveMinimum: 0`."""
    for flag, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if node.get(flag) is True and bound in out:
            out[flag] = out.pop(bound)


def _format(node: dict[str, Any], out: dict[str, Any]) -> None:
    fmt = node.get("format")
    if fmt in FORMATS:
        out["format"] = fmt
    elif fmt == "byte" and "pattern" not in out:
        out["pattern"] = BASE64


def _embedded(out: dict[str, Any]) -> None:
    """An embedded object (and the resource itself) is a whole Kubernetes object: `apiVersion` and `kind` required,
    `metadata` an ObjectMeta."""
    properties = out.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    own = properties.get("metadata")
    properties["metadata"] = META_REF if own in (None, {"type": "object"}) else {"allOf": [META_REF, own]}
    out["required"] = [*out.get("required", []), *(key for key in ("apiVersion", "kind")
                                                     if key not in out.get("required", []))]


def pruned(instance: Any, schema: dict[str, Any]) -> Any:
    """`instance` without the null members the API server prunes before validating: a mapping member whose value is
    null where the member's schema is not `nullable` (and has no default). Copies only what changes; iterative."""
    if not has_null_member(instance):
        return instance
    top: list[Any] = [None]
    stack: list[tuple[Any, Any, list[Any] | dict[Any, Any], Any]] = [(instance, schema, top, 0)]
    while stack:
        value, node, parent, slot = stack.pop()
        node = node if isinstance(node, dict) else {}
        if isinstance(value, dict):
            properties = node["properties"] if isinstance(node.get("properties"), dict) else {}
            extra = node.get("additionalProperties")
            copy: dict[Any, Any] = {}
            for key, child in value.items():
                child_schema = properties.get(key, extra if isinstance(extra, dict) else {})
                if child is None and isinstance(child_schema, dict) and child_schema \
                        and child_schema.get("nullable") is not True and "default" not in child_schema:
                    continue
                copy[key] = None
                stack.append((child, child_schema, copy, key))
            parent[slot] = copy
        elif isinstance(value, list):
            items: list[Any] = [None] * len(value)
            stack.extend((child, node.get("items"), items, index) for index, child in enumerate(value))
            parent[slot] = items
        else:
            parent[slot] = value
    return top[0]

