"""A CRD's `x-kubernetes-validations` rules evaluated on a custom resource, as the API server evaluates them on create.

The walk follows the kind's openAPIV3Schema alongside the object: at every node carrying rules (the root, a
property, under `items` and `additionalProperties`) each rule is evaluated with `self` bound to that node's value,
typed as Kubernetes types it (gitops_tools/checks/_cel_values.py). A rule that evaluates to false, or whose
evaluation fails, is a failed Outcome at the node (or at its `fieldPath`) with its `messageExpression`'s value, else
its `message`, and its `reason`; a rule the linter cannot evaluate (gitops_tools/checks/_cel.py says which) is a
not-evaluated Outcome, never a pass. Absent and null nodes have no rules evaluated, as in the API server, and
neither has an object with a schema error that makes the API server skip every rule (it is refused already:
custom-resource-structure-valid reports the error).

Every document is bounded: its typed copy (MAX_DEPTH, MAX_VALUES), the values converted for CEL (MAX_CONVERTED: a
rule on a node converts its subtree) and the evaluations (MAX_EVALUATIONS); past them, the remaining rules are not
evaluated. Each evaluation is bounded by the runtime's iteration budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from gitops_tools.checks import _cel, _cel_values
from gitops_tools.model import JsonPath

MAX_EVALUATIONS = 5_000  # rule evaluations per document
MAX_CONVERTED = 300_000  # values handed to CEL per document, summed over the nodes evaluated
FIELD_PATH_STEP = re.compile(r"\.([A-Za-z_$][\w$-]*)|\['((?:[^'\\]|\\.)*)'\]|\[(\d+)\]")
SHOWN_RULE = 120  # characters of a rule quoted in a finding


class Outcome(NamedTuple):
    """A rule that does not hold (`failed`), or that was not evaluated, on the node at `path` of the object."""

    path: JsonPath
    rule: str
    failed: bool
    detail: str


class _Budget:
    def __init__(self) -> None:
        self.evaluations = MAX_EVALUATIONS
        self.converted = MAX_CONVERTED

    def spend(self, value: Any) -> bool:
        """Whether evaluating rules on `value` fits what is left; spends it if so."""
        size = _size(value, self.converted + 1)
        if self.evaluations <= 0 or size > self.converted:
            return False
        self.evaluations -= 1
        self.converted -= size
        return True


def outcomes(schema: Mapping[str, Any], document: Any) -> Iterator[Outcome]:
    """Every failed and not-evaluated rule of `schema` (an openAPIV3Schema) on `document`."""
    ruled = _ruled(schema)
    if id(schema) not in ruled:
        return
    try:
        value = _cel_values.typed(schema, document)
    except _cel_values.TooLargeError as err:
        for rule in dict.fromkeys(_all_rules(schema, ruled)):
            yield Outcome((), rule, False, f"the object is {err}")
        return
    if value.blocking is not None:
        return  # the API server skips the rules too; custom-resource-structure-valid's error already refuses it
    programs = _Programs(tuple(dict.fromkeys(_all_rules(schema, ruled))))
    yield from _walk(_Walk(ruled, programs, value.temporal, _Budget()), schema, document, value.value, ())


class _Programs:
    """The schema's rules, compiled or Unevaluable, loaded when the walk first meets a node with rules: an object
    whose rules sit under fields it does not set never imports the runtime."""

    def __init__(self, rules: tuple[str, ...]) -> None:
        self._rules = rules
        self._loaded: Mapping[str, Any] | None = None

    def __getitem__(self, rule: str) -> Any:
        if self._loaded is None:
            self._loaded = _cel.programs(self._rules)
        return self._loaded[rule]


class _Walk(NamedTuple):
    ruled: set[int]  # the schema nodes with rules at or below them, by id
    programs: _Programs
    temporal: frozenset[int]  # the typed containers holding a date, date-time or duration, by id
    budget: _Budget


def _walk(walk: _Walk, schema: Mapping[str, Any], original: Any, value: Any, path: JsonPath) -> Iterator[Outcome]:
    if value is None:
        return
    rules = schema.get("x-kubernetes-validations")
    if isinstance(rules, list) and rules:
        temporal = id(value) in walk.temporal or _cel_values.is_temporal(schema)
        yield from _node(walk, rules, original, value, path, temporal)
    if isinstance(value, dict):
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            child = properties.get(key, additional)
            if isinstance(child, dict) and id(child) in walk.ruled:
                present = isinstance(original, dict) and key in original
                yield from _walk(walk, child, original[key] if present else None, item,
                                 (*path, key) if present else path)
    elif isinstance(value, list):
        items = schema.get("items")
        if isinstance(items, dict) and id(items) in walk.ruled:
            present = isinstance(original, list) and len(original) == len(value)
            for index, item in enumerate(value):
                yield from _walk(walk, items, original[index] if present else None, item,
                                 (*path, index) if present else path)


def _node(walk: _Walk, rules: list[Any], original: Any, value: Any, path: JsonPath,
          temporal: bool) -> Iterator[Outcome]:
    activation: Any = None
    for entry in rules:
        rule = entry.get("rule") if isinstance(entry, dict) else None
        if not isinstance(rule, str):
            continue  # the API server refuses such a CRD: its structure is the CRD checks' to report
        program = _cel.compiled(rule, optional_old_self=True) if entry.get("optionalOldSelf") is True else \
            walk.programs[rule]
        if isinstance(program, _cel.Unevaluable):
            yield Outcome(path, rule, False, program.reason)
            continue
        if activation is None:
            activation = _cel.activation(value) if walk.budget.spend(value) else _cel.Unevaluable(
                "the document's evaluation budget is spent (a very large or deeply nested object)")
        if isinstance(activation, _cel.Unevaluable):
            yield Outcome(path, rule, False, activation.reason)
            continue
        result = _cel.Failed(activation.error) if isinstance(activation, _cel.Failed) else \
            _cel.evaluate(program, activation)
        if isinstance(result, _cel.Failed) and temporal:
            result = _cel.Unevaluable("it reads a date, date-time or duration field, which the CEL runtime cannot "
                                      "hand it as a timestamp or duration")
        if isinstance(result, _cel.Unevaluable):
            yield Outcome(path, rule, False, result.reason)
        elif isinstance(result, _cel.Failed):
            yield Outcome(path, rule, True, f"rule {shown(rule)} fails to evaluate: {result.error}")
        elif not isinstance(result, bool):
            yield Outcome(path, rule, False, f"it gives {type(result).__name__}, not a boolean")
        elif not result:
            yield Outcome(_field_path(path, original, entry.get("fieldPath")), rule, True,
                          _message(entry, rule, activation))


def _message(entry: Mapping[str, Any], rule: str, activation: Any) -> str:
    """The messageExpression's text, else the message, else the rule (as the API server words it); the reason
    appended when the rule gives one."""
    message = entry.get("message") if isinstance(entry.get("message"), str) else None
    expression = entry.get("messageExpression")
    if isinstance(expression, str):
        program = _cel.compiled(expression)
        if not isinstance(program, _cel.Unevaluable):
            text = _cel.evaluate(program, activation)
            if isinstance(text, str) and text.strip() and "\n" not in text:
                message = text
    text = message or f"failed rule: {shown(rule)}"
    reason = entry.get("reason")
    return f"{text} ({reason})" if isinstance(reason, str) and reason else text


def _field_path(path: JsonPath, original: Any, field_path: Any) -> JsonPath:
    """`fieldPath` (`.spec.ports`, `.labels['app.kubernetes.io/name']`, `.items[0]`) resolved from the node, when
    every step of it is in the object; else the node."""
    if not isinstance(field_path, str):
        return path
    steps: list[str | int] = []
    position = 0
    while position < len(field_path):
        found = FIELD_PATH_STEP.match(field_path, position)
        if found is None:
            return path
        name, quoted, index = found.groups()
        steps.append(int(index) if index is not None else name if name is not None else re.sub(r"\\(.)", r"\1",
                                                                                               quoted))
        position = found.end()
    node = original
    for step in steps:
        inside = isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)
        if not inside and not (isinstance(node, dict) and step in node):
            return path
        node = node[step]
    return (*path, *steps)


def _ruled(schema: Mapping[str, Any]) -> set[int]:
    """The ids of the schema nodes with rules at or below them (a CRD schema has no $ref: it is a tree)."""
    ruled: set[int] = set()
    _mark(schema, ruled, 0)
    return ruled


def _mark(schema: Mapping[str, Any], ruled: set[int], depth: int) -> bool:
    if depth > _cel_values.MAX_DEPTH:
        return False
    found = bool(_rules(schema))
    for child in _children(schema):
        found = _mark(child, ruled, depth + 1) or found
    if found:
        ruled.add(id(schema))
    return found


def _all_rules(schema: Mapping[str, Any], ruled: set[int]) -> Iterator[str]:
    """Every rule text in `schema` and below it."""
    yield from _rules(schema)
    for child in _children(schema):
        if id(child) in ruled:
            yield from _all_rules(child, ruled)


def _rules(schema: Mapping[str, Any]) -> list[str]:
    rules = schema.get("x-kubernetes-validations")
    return [entry["rule"] for entry in rules if isinstance(entry, dict) and isinstance(entry.get("rule"), str)] \
        if isinstance(rules, list) else []


def _children(schema: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    properties = schema.get("properties")
    for child in (*(properties.values() if isinstance(properties, dict) else ()),
                  schema.get("additionalProperties"), schema.get("items")):
        if isinstance(child, dict):
            yield child


def _size(value: Any, limit: int) -> int:
    """How many values `value` holds (itself included), counted up to `limit`."""
    count, stack = 0, [value]
    while stack and count < limit:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


def shown(rule: str) -> str:
    """A rule quoted in a message: on one line, cut to SHOWN_RULE characters."""
    flat = " ".join(rule.split())
    return f"`{flat}`" if len(flat) <= SHOWN_RULE else f"`{flat[:SHOWN_RULE]}...`"
