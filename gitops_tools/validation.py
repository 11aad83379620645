"""Evaluate JSON Schemas fast and within bounds, offline.

jsonschema-rs (compiled Rust) does the work: an `is_valid` gate first, since most instances are valid, then every
error with its path for those that are not. Patterns run on Rust's `regex` crate alone, which matches in linear
time: a hostile value or a catastrophic pattern (`^(a+)+$`) costs microseconds per kilobyte, never minutes. The price
is ECMA-262's look-around and backreferences, which that engine cannot run: a schema using them does not compile.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any, NamedTuple

from gitops_tools.model import JsonPath

Schema = dict[str, Any] | bool
ERROR_DEPTH = 200  # errors deeper than this are not located (see SchemaEvaluator._errors_of_json)


class SchemaViolation(NamedTuple):
    path: JsonPath  # where in the instance; for an unexpected key, the key itself
    keyword: str  # the schema keyword that failed: required, pattern, ...
    message: str  # the validator's own words
    missing: tuple[str, ...] = ()  # `required`: the absent key, or the keys its own schema requires (see _missing)
    note: str = ""  # the `description` of the schema whose keyword failed (see _note), for a message naming keys


def compile_schema(schema: Schema, *, formats: bool = False) -> Any:
    """A jsonschema-rs validator that never fetches anything, asserting `format`s when `formats` is set (else they
    are annotations, as JSON Schema 2020-12 has it); raises ValueError if the schema does not compile."""
    import jsonschema_rs

    try:
        return jsonschema_rs.Draft202012Validator(schema, offline=True, pattern_options=jsonschema_rs.RegexOptions(),
                                                  validate_formats=formats)
    except jsonschema_rs.ValidationError as err:
        raise ValueError(str(err).split("\n", 1)[0]) from err


class SchemaEvaluator:
    """A schema compiled once per run. The schema must have passed `check_schema` (custom policies are checked when
    loaded, built-in ones by the test suite)."""

    def __init__(self, schema: Schema, *, formats: bool = False) -> None:
        self._schema = schema
        self._validator = compile_schema(schema, formats=formats)

    def violations(self, instance: Any) -> Iterator[SchemaViolation]:
        """Every violation in `instance`. Raises RecursionError when it is nested too deeply to evaluate."""
        target = instance
        try:
            if self._validator.is_valid(instance):
                return
            errors = list(self._validator.iter_errors(instance))
        except ValueError:  # keys or values JSON lacks (1:, true:, !!binary), or an error too deep to hand back
            target = json_shaped(instance)
            if self._is_valid_json(target):
                return
            errors = self._errors_of_json(target)
        for error in errors:
            path = _error_path(error)
            yield SchemaViolation(path if target is instance else original_path(instance, path), _keyword(error),
                                  str(error.message), _missing(error, self._schema), _note(error, self._schema))

    def _is_valid_json(self, instance: Any) -> bool:
        try:
            return bool(self._validator.is_valid(instance))
        except ValueError as err:  # the JSON form has only JSON types: what is left is the recursion limit
            raise RecursionError(str(err)) from err

    def _errors_of_json(self, instance: Any) -> list[Any]:
        """The errors of a JSON-shaped instance. jsonschema-rs copies each error's instance back into Python, which
        stops at about 250 levels; past that, the errors are found on a copy cut at ERROR_DEPTH levels (the values
        below the cut are placeholders, so errors at or below it are dropped)."""
        try:
            return list(self._validator.iter_errors(instance))
        except ValueError:
            errors = [error for error in self._validator.iter_errors(_cut(instance, ERROR_DEPTH))
                      if len(error.instance_path) < ERROR_DEPTH]
            if not errors:
                raise RecursionError("the violation lies deeper than errors can be reported") from None
            return errors


def _cut(value: Any, depth: int) -> Any:
    """`value` with everything nested `depth` levels down replaced by null."""
    if depth == 0:
        return None
    if isinstance(value, dict):
        return {key: _cut(item, depth - 1) for key, item in value.items()}
    if isinstance(value, list):
        return [_cut(item, depth - 1) for item in value]
    return value


def first_violation(evaluator: SchemaEvaluator, instance: Any) -> SchemaViolation | None:
    """The violation a user should fix first: the one earliest in the document (by path), if any."""
    return min(evaluator.violations(instance), key=lambda v: list(map(str, v.path)), default=None)


def _note(error: Any, schema: Schema) -> str:
    """The `description` of the schema holding the keyword that failed (`bases: {not: {}, description: use
    resources}`): what a policy whose message names keys adds to the key's name. A schema reached through a $ref is
    not followed."""
    node = _schema_at(schema, error.schema_path[:-1])
    note = node.get("description") if isinstance(node, dict) else None
    return note if isinstance(note, str) else ""


def _schema_at(schema: Schema, steps: Any) -> Any:
    node: Any = schema
    for step in steps:
        node = node.get(step) if isinstance(node, dict) else node[step] if isinstance(node, list) else None
    return node


def _missing(error: Any, schema: Schema) -> tuple[str, ...]:
    """For a `required` error, what is missing, as a user adds it: the absent key, or, when that key's own schema
    (beside the `required`, under `properties`) requires keys in turn, those keys: `labels` absent is its required
    `app.kubernetes.io/name` and `app.kubernetes.io/instance` absent. A schema reached through a $ref is not
    followed: the absent key is named."""
    name = getattr(error.kind, "property", None)
    if _keyword(error) != "required" or not isinstance(name, str):
        return ()
    return _required_keys(name, _schema_at(schema, error.schema_path[:-1]), depth=10)


def _required_keys(name: str, holder: Any, depth: int) -> tuple[str, ...]:
    child = holder.get("properties", {}).get(name) if isinstance(holder, dict) else None
    required = child.get("required") if isinstance(child, dict) else None
    if depth == 0 or not isinstance(required, list) or not all(isinstance(key, str) for key in required):
        return (name,)
    return tuple(key for inner in required for key in _required_keys(inner, child, depth - 1))


def _keyword(error: Any) -> str:
    steps = [step for step in error.schema_path if isinstance(step, str)]
    return steps[-1] if steps else ""


def _error_path(error: Any) -> JsonPath:
    """Where an error points; for an unexpected key, the key itself rather than the object holding it."""
    path: JsonPath = tuple(error.instance_path)
    unexpected = getattr(error.kind, "unexpected", None)
    return (*path, unexpected[0]) if unexpected else path


def json_key(key: Any) -> str:
    """A mapping key as JSON (and Kubernetes, via sigs.k8s.io/yaml) spells it: true, null, 1.5."""
    return key if isinstance(key, str) else json.dumps(key) if isinstance(key, bool | int | float | None) else str(key)


def json_shaped(value: Any) -> Any:
    """`value` with only JSON types: keys as text, sets and tuples as lists, bytes as base64 text (iteratively:
    however deep the document, no recursion)."""
    holder: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(holder, 0, value)]
    while stack:
        parent, slot, item = stack.pop()
        if isinstance(item, dict):
            parent[slot] = mapping = {json_key(key): child for key, child in item.items()}
            stack.extend((mapping, key, child) for key, child in mapping.items())
        elif isinstance(item, list | tuple | set | frozenset):
            parent[slot] = items = list(item)
            stack.extend((items, index, child) for index, child in enumerate(items))
        elif isinstance(item, bytes):
            parent[slot] = base64.b64encode(item).decode("ascii")
    return holder[0]


def original_path(data: Any, path: JsonPath) -> JsonPath:
    """`path` in the JSON form of `data` mapped back onto `data`'s own keys (which may be True, None, 1...)."""
    steps: list[Any] = []
    for step in path:
        if isinstance(data, dict):
            key = next((key for key in data if json_key(key) == step), step)
            steps.append(key)
            data = data.get(key)
        else:
            steps.append(step)
            data = data[step] if isinstance(data, list) and isinstance(step, int) and step < len(data) else None
    return tuple(steps)
