"""Label selectors evaluated as Kubernetes evaluates them (k8s.io/apimachinery labels.Selector), for the workspace
checks that relate objects by labels (a Service to its pods, a disruption budget to its workload...).

Two shapes, one compiled form (`Selector`: a conjunction of requirements, small, picklable, its strings interned):

- a LabelSelector (`label_selector`): `matchLabels` AND `matchExpressions`, whose operators are In, NotIn, Exists and
  DoesNotExist. `{}` (neither field, or both empty) selects every label set, as the API's LabelSelectorAsSelector
  does; null or absent is None, and the caller says what that means, since the API's fields differ (a
  PodDisruptionBudget's null selector selects no pod in policy/v1, a NetworkPolicy's podSelector is required and
  `{}` selects all pods; each caller documents its convention);
- a plain map (`map_selector`, a Service's or a ReplicationController's `selector`): every pair must be present.
  `{}` selects everything here too; a Service without a selector, or with `{}`, has no endpoints controller at all, so
  its caller treats both as "no selector".

A selector the API server would refuse (an unknown operator, values given with Exists or DoesNotExist, none with In
or NotIn, a key or value that is no scalar) compiles to `INVALID`, which selects nothing: never a crash, and never a
match that would hide the defect. Label values are compared as text, the way `label_pairs` writes a label set.
"""

from __future__ import annotations

from collections.abc import Mapping
from sys import intern
from typing import Any, NamedTuple

IN, NOT_IN, EXISTS, DOES_NOT_EXIST = "In", "NotIn", "Exists", "DoesNotExist"
OPERATORS = frozenset({IN, NOT_IN, EXISTS, DOES_NOT_EXIST})

Requirement = tuple[str, str, tuple[str, ...]]  # key, operator, values (sorted, unique; empty for Exists)
Labels = tuple[tuple[str, str], ...]  # a label set as `label_pairs` writes it: sorted (key, value) pairs


class Selector(NamedTuple):
    """A conjunction of requirements; an invalid selector (`valid` false) selects nothing."""

    requirements: tuple[Requirement, ...]
    valid: bool = True

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether a label set satisfies every requirement (NotIn and DoesNotExist hold where the key is absent)."""
        if not self.valid:
            return False
        for key, operator, values in self.requirements:
            value = labels.get(key)
            if operator == IN:
                held = value is not None and value in values
            elif operator == NOT_IN:
                held = value is None or value not in values
            else:
                held = (value is not None) == (operator == EXISTS)
            if not held:
                return False
        return True

    def selects(self, pairs: Labels) -> bool:
        """`matches` for a label set kept as pairs."""
        return self.matches(dict(pairs))

    @property
    def pairs(self) -> Labels:
        """The label pairs every selected set holds (an In of one value): what an index of label sets can be asked
        for, to compare the selector with few of them."""
        return tuple((key, values[0]) for key, operator, values in self.requirements
                     if operator == IN and len(values) == 1)

    @property
    def everything(self) -> bool:
        return self.valid and not self.requirements

    def __str__(self) -> str:
        """As kubectl writes a selector: `app=web,tier in (a,b),!legacy`."""
        if not self.valid:
            return "an invalid selector"
        return ",".join(_requirement_text(requirement) for requirement in self.requirements) or "everything"


INVALID = Selector((), valid=False)


def label_selector(raw: Any) -> Selector | None:
    """A LabelSelector's requirements; None when it is null or absent (its field's convention decides)."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return INVALID
    labels, expressions = raw.get("matchLabels"), raw.get("matchExpressions")
    if not isinstance(labels, Mapping | None) or not isinstance(expressions, list | None):
        return INVALID
    found = map_selector(labels or {})
    if found is None or not found.valid:
        return INVALID
    requirements = list(found.requirements)
    for expression in expressions or ():
        requirement = _expression(expression)
        if requirement is None:
            return INVALID
        requirements.append(requirement)
    return Selector(tuple(sorted(set(requirements))))


def map_selector(raw: Any) -> Selector | None:
    """A plain map's requirements (each key equal to its value); None when it is null or absent."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        return INVALID
    requirements = []
    for key, value in raw.items():
        if not isinstance(key, str) or not _scalar(value):
            return INVALID
        requirements.append((intern(key), IN, (intern(_text(value)),)))
    return Selector(tuple(sorted(requirements)))


def label_pairs(labels: Any) -> Labels:
    """A label set (`metadata.labels`) as sorted, interned pairs: the objects of a run share one copy of each
    string. Anything but a mapping is no labels; a value is written as text (`label_selector` compares text)."""
    if not isinstance(labels, Mapping):
        return ()
    return tuple(sorted((intern(str(key)), intern(_text(value))) for key, value in labels.items()))


def _expression(raw: Any) -> Requirement | None:
    """One matchExpressions entry, or None when the API server would refuse it."""
    if not isinstance(raw, Mapping):
        return None
    key, operator, values = raw.get("key"), raw.get("operator"), raw.get("values")
    if not isinstance(key, str) or not key or operator not in OPERATORS or not isinstance(values, list | None):
        return None
    values = values or []
    if not all(_scalar(value) for value in values) or bool(values) != (operator in (IN, NOT_IN)):
        return None
    return intern(key), str(operator), tuple(sorted({intern(_text(value)) for value in values}))


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool)


def _text(value: Any) -> str:
    """A label value as text (the API server refuses one that is no string: both sides of a comparison are written
    alike, so the verdict does not depend on it)."""
    return str(value)


def _requirement_text(requirement: Requirement) -> str:
    key, operator, values = requirement
    if operator == IN and len(values) == 1:
        return f"{key}={values[0]}"
    if operator == EXISTS:
        return key
    if operator == DOES_NOT_EXIST:
        return f"!{key}"
    return f"{key} {'in' if operator == IN else 'notin'} ({','.join(values)})"
