"""A pod sets only the sysctls the baseline Pod Security Standard allows at the target Kubernetes version, named
exactly as the standard names them (its list grew in 1.27, 1.29, 1.32 and 1.37: schemas/resources/
pod_security_standards.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_security import standards
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(pod_spec: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    context = pod_spec.get("securityContext") if isinstance(pod_spec, dict) else None
    sysctls = context.get("sysctls") if isinstance(context, dict) else None
    if not isinstance(sysctls, list):
        return
    safe = standards().safe_sysctls(version)
    for index, sysctl in enumerate(sysctls):
        name = sysctl.get("name") if isinstance(sysctl, dict) else None
        if name not in safe:
            yield (("securityContext", "sysctls", index, "name"),
                   f"{name!r} is not allowed by the baseline standard of Kubernetes {version}")
