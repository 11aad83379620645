"""A manifest's apiVersion is still served by the target Kubernetes version: the API server rejects a removed one
(and `kubectl apply` fails), whatever the rest of the manifest says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.apilifecycle import lifecycle_of
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(resource: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    found = lifecycle_of(resource)
    if found is not None and found.removed(version):
        yield ("apiVersion",), (f"{found.api_version} {found.kind} was removed in Kubernetes {found.removed_in}; "
                                f"{found.instead(version)} (target: {version})")
