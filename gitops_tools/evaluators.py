"""A policy compiled into what the engine (gitops_tools/engine.py) runs on each of its target values: its schema's
validator, compiled once, or its coded check (gitops_tools/checks/) given the run's target Kubernetes version, CRDs
and parameter values; either way, each violation as a path with a detail for the message."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from gitops_tools.checks import Violation, document_check, module
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath, Policy
from gitops_tools.parameters import defaults
from gitops_tools.validation import SchemaEvaluator

if TYPE_CHECKING:
    from gitops_tools.customresources import Definitions

# instance -> (path, detail for the message, something missing?, the validator's own words, a character of the text
# at path that a coded check points at)
Evaluate = Callable[[Any], Iterator[tuple[JsonPath, str, bool, str, int | None]]]
MISSING = frozenset({"required", "dependentRequired", "minProperties", "minItems", "contains"})
NAMES = "{missing}"  # in a policy's message: replaced by the keys each finding's object lacks


def compiled(policy: Policy, version: KubernetesVersion, definitions: Definitions | None) -> Evaluate:
    """(path, detail, whether something is missing) for each violation in an instance; a versioned check judges for
    the run's target Kubernetes `version`, a custom resource check with the run's CRDs (`definitions`)."""
    if policy.check is not None:
        values = defaults(policy.parameters) if policy.parameters else None
        check = document_check(module(policy.check), version, definitions, values)
        return lambda instance: ((where, detail, False, detail, offset) for where, detail, offset in
                                 map(_with_offset, check(instance)))
    validator = SchemaEvaluator(policy.schema if policy.schema is not None else True)

    def evaluate(instance: Any) -> Iterator[tuple[JsonPath, str, bool, str, int | None]]:
        for violation in validator.violations(instance):
            yield violation.path, "", violation.keyword in MISSING, violation.message, None

    return _naming(validator) if NAMES in policy.message else evaluate


def _with_offset(violation: Violation) -> tuple[JsonPath, str, int | None]:
    """A check's violation with the character it points at, when it names one."""
    if len(violation) == 3:
        return violation
    where, detail = violation
    return where, detail, None


def _naming(validator: SchemaEvaluator) -> Evaluate:
    """Violations whose detail names the keys missing: one per object, whatever number of keys it lacks (a key
    present with a bad value is named as the key, followed by its schema's `description` when it has one)."""

    def evaluate(instance: Any) -> Iterator[tuple[JsonPath, str, bool, str, int | None]]:
        absent: dict[JsonPath, tuple[list[str], list[str]]] = {}
        for violation in validator.violations(instance):
            if violation.missing:
                keys, texts = absent.setdefault(violation.path, ([], []))
                keys.extend(violation.missing)
                texts.append(violation.message)
            else:
                key = str(violation.path[-1]) if violation.path else ""
                named = f"{key} ({violation.note})" if violation.note and key else key
                yield violation.path, named, violation.keyword in MISSING, violation.message, None
        for path, (keys, texts) in absent.items():
            yield path, ", ".join(dict.fromkeys(keys)), True, "; ".join(dict.fromkeys(texts)), None

    return evaluate
