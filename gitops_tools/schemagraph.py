"""The graph of a JSON Schema's subschemas: which apply to the same value as their parent ("in place": allOf, anyOf,
not, if/then/else, $ref...), and which to a child of the value (properties, items...), with the child they take.

Custom policies are checked on this graph when they are loaded (schemacheck.py): no reference loop, and no shape
whose work grows exponentially, however the evaluator goes about it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from gitops_tools.errors import PolicyError

ANY = "*"  # a child label that any key (or any index) can take
Label = tuple[str, str | int]  # ("key", name or ANY) or ("item", index or ANY)

IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
IN_PLACE_SCHEMAS = ("not", "if", "then", "else")
ANY_KEY = ("patternProperties", "additionalProperties", "unevaluatedProperties")
ANY_ITEM = ("items", "additionalItems", "contains", "unevaluatedItems")


@dataclass(frozen=True)
class SchemaGraph:
    in_place: dict[str, list[str]]  # pointer -> pointers applied to the same value
    children: dict[str, list[tuple[Label, str]]]  # pointer -> (which child, pointer applied to it)


def build(schema: Any) -> SchemaGraph:
    """The graph of `schema` (local references resolved; PolicyError for one that points nowhere)."""
    nodes = list(subschemas(schema))
    anchors = {node["$anchor"]: pointer for pointer, node in nodes if isinstance(node.get("$anchor"), str)}
    return SchemaGraph({pointer: list(_in_place(schema, pointer, node, anchors)) for pointer, node in nodes},
                       {pointer: list(_children(pointer, node)) for pointer, node in nodes})


def subschemas(schema: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the schema document with its JSON pointer (iteratively: depth cannot overflow)."""
    stack: list[tuple[str, Any]] = [("#", schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            yield where, node
            stack.extend((f"{where}/{_escape(str(key))}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}/{index}", value) for index, value in enumerate(node))


def _in_place(schema: Any, pointer: str, node: dict[str, Any], anchors: dict[str, str]) -> Iterator[str]:
    for key in IN_PLACE_LISTS:
        if isinstance(node.get(key), list):
            yield from (f"{pointer}/{key}/{index}" for index in range(len(node[key])))
    yield from (f"{pointer}/{key}" for key in IN_PLACE_SCHEMAS if isinstance(node.get(key), dict))
    if isinstance(node.get("dependentSchemas"), dict):
        yield from (f"{pointer}/dependentSchemas/{_escape(key)}" for key in node["dependentSchemas"])
    for key in ("$ref", "$dynamicRef"):
        ref = node.get(key)
        if isinstance(ref, str) and ref.startswith("#"):
            yield _resolve(schema, ref, anchors)


def _children(pointer: str, node: dict[str, Any]) -> Iterator[tuple[Label, str]]:
    if isinstance(node.get("properties"), dict):
        yield from ((("key", name), f"{pointer}/properties/{_escape(name)}") for name in node["properties"])
    if isinstance(node.get("patternProperties"), dict):
        yield from ((("key", ANY), f"{pointer}/patternProperties/{_escape(key)}") for key in node["patternProperties"])
    if isinstance(node.get("prefixItems"), list):
        yield from ((("item", index), f"{pointer}/prefixItems/{index}") for index in range(len(node["prefixItems"])))
    for keyword in (*ANY_KEY[1:], *ANY_ITEM):
        if isinstance(node.get(keyword), dict):
            yield ("key" if keyword in ANY_KEY else "item", ANY), f"{pointer}/{keyword}"


def _resolve(schema: Any, ref: str, anchors: dict[str, str]) -> str:
    """The pointer a local reference names; PolicyError when nothing is there."""
    fragment = unquote(ref[1:])
    if fragment and not fragment.startswith("/"):
        if fragment not in anchors:
            raise PolicyError(f"$ref {ref!r} names no $anchor in the schema")
        return anchors[fragment]
    node: Any = schema
    for part in fragment.split("/")[1:]:
        step = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            raise PolicyError(f"$ref {ref!r} points nowhere: the schema has no {fragment!r}")
    return "#" + fragment


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
