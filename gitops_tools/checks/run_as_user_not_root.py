"""Neither the pod nor any container sets `runAsUser: 0`, unless the pod runs in a user namespace
(`hostUsers: false`) and the target Kubernetes version's restricted standard relaxes the control there (1.35 and
later)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_security import in_user_namespace, security_contexts
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(pod_spec: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(pod_spec, dict) or in_user_namespace(pod_spec, version):
        return
    for path, context in security_contexts(pod_spec):
        user = context.get("runAsUser")
        if user == 0 and not isinstance(user, bool):
            yield (*path, "runAsUser"), "set on the pod" if len(path) == 1 else "set on the container"
