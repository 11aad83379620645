"""The CEL rules of a custom resource's CRD that the linter could not evaluate (gitops_tools/checks/_cel.py and
_cel_rules.py say which: transition rules on `oldSelf`, functions of Kubernetes CEL libraries the runtime lacks, a
rule that does not compile, one past the evaluation budget): each is reported, never counted as passed. One finding
per rule and custom resource, at the first node it was not evaluated on: a rule under `items` is named once, not
once per item."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from gitops_tools.checks import Violation
from gitops_tools.checks.custom_resource_rules import outcomes

if TYPE_CHECKING:
    from gitops_tools.customresources import Definitions


def custom_resource_check(document: Any, definitions: Definitions) -> Iterator[Violation]:
    named: set[str] = set()
    for outcome in outcomes(document, definitions):
        if not outcome.failed and outcome.rule not in named:
            from gitops_tools.checks._cel_rules import shown  # here: an object no CRD defines needs no CEL runtime

            named.add(outcome.rule)
            yield outcome.path, f"rule {shown(outcome.rule)}: {outcome.detail}"
