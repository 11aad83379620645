"""Custom resources of a kind no CRD defines (neither the run's own CRDs nor the bundled ones): they were not
validated, and the run says so, once per apiVersion and kind, on the first object of it in the linted files. Kinds
the policy's `ignored_kinds` parameter names (`Kind` or `group/Kind`) are left alone.

The per-file phase keeps the apiVersion of each custom resource whose group and kind has no bundled CRD (`collect`);
the run's own CRDs are known to the workspace (Workspace.defined), found before any file was evaluated."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.customresources import is_bundled, is_custom, split
from gitops_tools.model import JsonPath
from gitops_tools.pipeline.workspace import Collected, Report, Workspace

NAME = __name__.rpartition(".")[2]
COLLECTED_DOMAINS = ("kubernetes",)  # a Backstage entity or a kustomization's own file is no custom resource


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A custom resource's apiVersion and kind, when no bundled CRD defines its kind."""
    api_version, kind = resource.get("apiVersion"), resource.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not is_custom(api_version):
        return None
    return None if is_bundled(split(api_version)[0], kind) else (("apiVersion",), (api_version, kind))


def workspace_check(workspace: Workspace, parameters: Mapping[str, Any]) -> Iterator[Report]:
    ignored = frozenset(parameters.get("ignored_kinds", ()))
    seen: set[tuple[str, str]] = set()
    for record in workspace.objects:
        fact = record.fact(NAME)
        if fact is None or fact.value in seen or not workspace.reported(record):
            continue
        api_version, kind = fact.value
        group = split(api_version)[0]
        if (group, kind) in workspace.defined or kind in ignored or f"{group}/{kind}" in ignored:
            continue
        seen.add(fact.value)
        yield Report(record, f"{api_version} {kind}: no CRD in the bundle, the config's `crds:` or the linted files "
                             "defines it", fact)
