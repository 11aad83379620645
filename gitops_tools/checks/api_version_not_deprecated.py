"""A manifest's apiVersion is not deprecated as of the target Kubernetes version: it is still served, but a later
release removes it, and an upgrade of the cluster then rejects the manifest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.apilifecycle import lifecycle_of
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(resource: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    found = lifecycle_of(resource)
    if found is not None and found.deprecated(version):
        removal = f"removed in {found.removed_in}" if found.removed_in else "no removal scheduled yet"
        yield ("apiVersion",), (f"{found.api_version} {found.kind} is deprecated since Kubernetes "
                                f"{found.deprecated_in} ({removal}); {found.instead(version)} (target: {version})")
