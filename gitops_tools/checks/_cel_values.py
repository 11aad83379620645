"""A custom resource's values typed as the API server hands them to CEL rules, with its schema's defaults applied.

Kubernetes converts a value by its schema before a rule sees it (https://kubernetes.io/docs/reference/using-api/cel/,
"Type checking"): `number` is a double even when written `1`, `integer` stays an int, an int-or-string is whichever
it is, a string of format `date`/`date-time` is a timestamp, `duration` a duration, `byte` bytes; an object with
properties or additionalProperties is a map whose absent optional fields are absent (so `has()` works). Defaults
are applied first, as the API server defaults an object before validating it. Values YAML gives that JSON has not
(a date, a non-text key) become text, as `kubectl` would send them.

One difference the runtime imposes: cel-expr-python takes no timestamp or duration inside a dynamic value, so
date, date-time and duration fields stay text; the containers holding one are listed (Typed.temporal), and a rule
on them that fails to evaluate is reported as not evaluated rather than as broken.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime
from collections.abc import Mapping
from typing import Any, NamedTuple

MAX_DEPTH = 100  # nesting levels typed; a deeper document is not evaluated at all
MAX_VALUES = 200_000  # values typed per document; a larger one is not evaluated at all


class TooLargeError(Exception):
    """The document is nested deeper than MAX_DEPTH or holds more than MAX_VALUES values."""


TEMPORAL = frozenset({"date", "date-time", "duration"})


JSON_TYPES: dict[str, tuple[type, ...]] = {"object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
                                           "integer": (int,), "number": (int, float)}
LIMITS = (("maxLength", str), ("maxItems", list), ("maxProperties", dict))


class Typed(NamedTuple):
    value: Any
    temporal: frozenset[int]  # ids of the containers of `value` holding a date, date-time or duration (as text)
    blocking: str | None  # the first schema error on which the API server skips every rule, if any


class _Count:
    def __init__(self) -> None:
        self.values = 0
        self.temporal: set[int] = set()
        self.blocking: str | None = None


def typed(schema: Mapping[str, Any], value: Any) -> Typed:
    """`value` as CEL sees it under `schema`; raises TooLargeError past the bounds."""
    count = _Count()
    return Typed(_typed(schema, value, 0, count)[0], frozenset(count.temporal), count.blocking)


def _blocking(schema: Mapping[str, Any], value: Any) -> str | None:
    """A schema error on which the API server skips the CEL rules of the whole object (kubernetes/kubernetes#108859:
    a wrong type, a missing required field, a length over its maximum): rules are written for valid objects."""
    kind = schema.get("type")
    if value is None:
        return None if schema.get("nullable") is True or kind is None else f"a null where {kind} belongs"
    if isinstance(kind, str) and kind in JSON_TYPES and schema.get("x-kubernetes-int-or-string") is not True:
        wrong = isinstance(value, bool) and kind != "boolean"
        if wrong or (not isinstance(value, JSON_TYPES[kind]) and not _text_like(kind, value)):
            return f"a {type(value).__name__} where {kind} belongs"
    for key, holder in LIMITS:
        limit = schema.get(key)
        if isinstance(value, holder) and isinstance(limit, int) and len(value) > limit:
            return f"more than {key} {limit}"
    return None


def _text_like(kind: str, value: Any) -> bool:
    """A YAML date where a string belongs: it reaches the API server as the text kubectl writes."""
    return kind == "string" and isinstance(value, datetime.date)


def is_temporal(schema: Mapping[str, Any]) -> bool:
    """Whether a node of `schema` is a date, date-time or duration (text, where Kubernetes gives CEL a timestamp or
    duration)."""
    return schema.get("type") == "string" and schema.get("format") in TEMPORAL


def _typed(schema: Mapping[str, Any], value: Any, depth: int, count: _Count) -> tuple[Any, bool]:
    """The typed value, and whether it holds a temporal text."""
    count.values += 1
    if depth > MAX_DEPTH or count.values > MAX_VALUES:
        raise TooLargeError(f"nested deeper than {MAX_DEPTH} levels" if depth > MAX_DEPTH else
                            f"more than {MAX_VALUES} values")
    if count.blocking is None:
        count.blocking = _blocking(schema, value)
    if isinstance(value, dict):
        return _object(schema, value, depth, count)
    if isinstance(value, list):
        items = schema.get("items")
        items = items if isinstance(items, dict) else {}
        pairs = [_typed(items, item, depth + 1, count) for item in value]
        return _container([item for item, _ in pairs], any(temporal for _, temporal in pairs), count)
    return _scalar(schema, value), is_temporal(schema)


def _container(value: Any, temporal: bool, count: _Count) -> tuple[Any, bool]:
    if temporal:
        count.temporal.add(id(value))
    return value, temporal


def _object(schema: Mapping[str, Any], value: dict[Any, Any], depth: int, count: _Count) -> tuple[Any, bool]:
    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    additional = schema.get("additionalProperties")
    additional = additional if isinstance(additional, dict) else {}
    result: dict[str, Any] = {}
    temporal = False
    for key, item in value.items():
        name = key if isinstance(key, str) else str(key)
        child = properties.get(name, additional)
        result[name], held = _typed(child if isinstance(child, dict) else {}, item, depth + 1, count)
        temporal = temporal or held
    for name, child in properties.items():
        if name not in result and isinstance(child, dict) and "default" in child:
            result[name], held = _typed(child, copy.deepcopy(child["default"]), depth + 1, count)
            temporal = temporal or held
    required = schema.get("required")
    missing = [name for name in required if name not in result] if isinstance(required, list) else []
    if missing and count.blocking is None:
        count.blocking = f"required field {missing[0]} missing"
    return _container(result, temporal, count)


def _scalar(schema: Mapping[str, Any], value: Any) -> Any:
    if value is None or isinstance(value, bool | str) or schema.get("x-kubernetes-int-or-string") is True:
        return _formatted(schema, value) if isinstance(value, str) else value
    if isinstance(value, int):
        return float(value) if schema.get("type") == "number" else value
    if isinstance(value, float):
        return value
    if isinstance(value, datetime.date | datetime.datetime):
        return _formatted(schema, value.isoformat())
    return str(value)


def _formatted(schema: Mapping[str, Any], text: str) -> Any:
    """A string of format byte as CEL's bytes; any other text as it is (one that does not decode too: the
    structural check reports the format)."""
    if schema.get("type") == "string" and schema.get("format") == "byte":
        try:
            return base64.b64decode(text, validate=True)
        except (ValueError, binascii.Error):
            return text
    return text
