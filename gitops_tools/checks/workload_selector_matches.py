"""A workload's `spec.selector` must select its own pod template's labels: the API server refuses a Deployment,
StatefulSet, DaemonSet, ReplicaSet or manual-selector Job whose selector does not (`selector does not match template
labels`), and a controller whose selector misses its pods never adopts them. Single object: no workspace needed.

The selector is a LabelSelector, except a ReplicationController's and an OpenShift DeploymentConfig's, which are
plain maps. Quiet when the selector is absent or null (apps/v1 requires it: kubernetes-structure-valid reports that;
the older kinds default it to the template's labels), for a map selector that is `{}` (defaulted the same way), and
for a Job whose selector the API generates (no `manualSelector: true`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._selectors import Selector, label_pairs, label_selector, map_selector
from gitops_tools.model import JsonPath

SELECTOR: JsonPath = ("spec", "selector")
MAP_SELECTORS = frozenset({("", "ReplicationController"), ("apps.openshift.io", "DeploymentConfig")})
EMPTY_REFUSED = frozenset({"apps"})  # groups whose API server refuses an empty selector (`{}` selects every pod)


def check(resource: Any) -> Iterator[tuple[JsonPath, str]]:
    spec = resource.get("spec")
    if not isinstance(spec, dict) or spec.get("selector") is None:
        return
    group = _group(resource.get("apiVersion"))
    kind = resource.get("kind")
    if kind == "Job" and spec.get("manualSelector") is not True:
        return
    selector = _selector(spec["selector"], (group, kind))
    if selector is None:
        return
    template = spec.get("template")
    metadata = template.get("metadata") if isinstance(template, dict) else None
    labels = label_pairs(metadata.get("labels") if isinstance(metadata, dict) else None)
    if not selector.valid:
        yield SELECTOR, "it is not a valid label selector (an unknown operator, or values where none belong)"
    elif selector.everything and group in EMPTY_REFUSED:
        yield SELECTOR, "an empty selector would select every pod of the namespace, and the API server refuses it"
    elif not selector.selects(labels):
        shown = ", ".join(f"{key}={value}" for key, value in labels) or "none"
        yield SELECTOR, f"{selector} does not select the template's labels ({shown})"


def _selector(raw: Any, kind: tuple[str, Any]) -> Selector | None:
    """The compiled selector, or None where the API defaults it (an empty map selector)."""
    if kind in MAP_SELECTORS:
        found = map_selector(raw)
        return found if found is None or not found.everything else None
    return label_selector(raw)


def _group(api_version: Any) -> str:
    return api_version.rpartition("/")[0] if isinstance(api_version, str) else ""
