"""Every container runs with `runAsNonRoot: true`, set by the pod (and not overridden to false) or by the container
itself, unless the pod runs in a user namespace (`hostUsers: false`) and the target Kubernetes version's restricted
standard relaxes the control there (1.35 and later). A `runAsUser` does not count: the standard asks for the flag."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_security import containers, in_user_namespace
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(pod_spec: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(pod_spec, dict) or in_user_namespace(pod_spec, version):
        return
    pod_context = pod_spec.get("securityContext")
    pod_value = pod_context.get("runAsNonRoot") if isinstance(pod_context, dict) else None
    if pod_value is False:
        yield ("securityContext", "runAsNonRoot"), "the pod sets runAsNonRoot: false"
    for path, container in containers(pod_spec):
        context = container.get("securityContext")
        value = context.get("runAsNonRoot") if isinstance(context, dict) else None
        if value is False:
            yield (*path, "securityContext", "runAsNonRoot"), "the container sets runAsNonRoot: false"
        elif value is None and pod_value is not True:
            yield path, "neither the pod nor the container sets runAsNonRoot: true"
