"""Is a custom policy's JSON Schema sound? Checked once, when the policy is loaded, with the policy file named.

Sound means: valid Draft 2020-12; every `$ref` local and resolvable (nothing is ever fetched); no reference loop
that evaluates the same value again and again without descending into it (such a schema never finishes deciding,
or accepts everything); and every `pattern` accepted by the bounded regex engine that evaluates it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from gitops_tools.errors import PolicyError
from gitops_tools.validation import Schema, compile_schema

# Keywords whose subschemas apply to the same value as their parent (not to a property or an item of it).
_IN_PLACE_LISTS = ("allOf", "anyOf", "oneOf")
_IN_PLACE_SCHEMAS = ("not", "if", "then", "else")


def check_schema(schema: Schema) -> None:
    """Raise PolicyError unless `schema` is sound (see the module's docstring)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as err:
        raise PolicyError(f"invalid JSON Schema at {'/'.join(map(str, err.path)) or '(root)'}: {err.message}") from err
    for ref in remote_refs(schema):
        raise PolicyError(f"$ref {ref!r} is not local; policies may only use '#...' references (no fetching)")
    loop = reference_loop(schema)
    if loop:
        raise PolicyError(f"$ref loop: {' -> '.join(loop)} evaluates the same value forever; a reference must "
                          "descend into a property or item before it comes back")
    try:
        compile_schema(schema)
    except ValueError as err:
        raise PolicyError(f"the schema cannot be compiled: {err}") from err


def remote_refs(schema: Any) -> Iterator[str]:
    """Every $ref / $dynamicRef in `schema` that points outside the schema itself."""
    for _, node in _subschemas(schema, "#"):
        for key in ("$ref", "$dynamicRef"):
            ref = node.get(key)
            if isinstance(ref, str) and not ref.startswith("#"):
                yield ref


def reference_loop(schema: Any) -> list[str]:
    """The pointers of a cycle of in-place applicators and references, or [] when there is none."""
    anchors = {node["$anchor"]: pointer for pointer, node in _subschemas(schema, "#")
               if isinstance(node.get("$anchor"), str)}
    edges = {pointer: list(_in_place(schema, pointer, node, anchors)) for pointer, node in _subschemas(schema, "#")}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in edges:
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(edges[start]))] if start not in state else []
        path = [start] if stack else []
        state.update(dict.fromkeys(path, 1))
        while stack:
            pointer, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                state[pointer] = 2
                stack.pop()
                path.pop()
            elif state.get(target) == 1:
                return [*path[path.index(target):], target]
            elif target not in state and target in edges:
                state[target] = 1
                stack.append((target, iter(edges[target])))
                path.append(target)
    return []


def _in_place(schema: Any, pointer: str, node: dict[str, Any], anchors: dict[str, str]) -> Iterator[str]:
    for key in _IN_PLACE_LISTS:
        if isinstance(node.get(key), list):
            yield from (f"{pointer}/{key}/{index}" for index in range(len(node[key])))
    yield from (f"{pointer}/{key}" for key in _IN_PLACE_SCHEMAS if isinstance(node.get(key), dict))
    if isinstance(node.get("dependentSchemas"), dict):
        yield from (f"{pointer}/dependentSchemas/{_escape(key)}" for key in node["dependentSchemas"])
    for key in ("$ref", "$dynamicRef"):
        ref = node.get(key)
        if isinstance(ref, str) and ref.startswith("#"):
            yield _resolve(schema, ref, anchors)


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


def _subschemas(schema: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object in the schema document with its JSON pointer (iteratively: depth cannot overflow)."""
    stack: list[tuple[str, Any]] = [(pointer, schema)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, dict):
            yield where, node
            stack.extend((f"{where}/{_escape(str(key))}", value) for key, value in node.items())
        elif isinstance(node, list):
            stack.extend((f"{where}/{index}", value) for index, value in enumerate(node))
