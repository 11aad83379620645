"""The pod and its containers set no SELinux user or role, and only the SELinux types the baseline Pod Security
Standard allows at the target Kubernetes version (container_engine_t from 1.31: schemas/resources/
pod_security_standards.yaml)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_security import security_contexts, standards
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(pod_spec: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(pod_spec, dict):
        return
    allowed = standards().selinux_types_allowed(version)
    for path, context in security_contexts(pod_spec):
        options = context.get("seLinuxOptions")
        if not isinstance(options, dict):
            continue
        kind = options.get("type", "")
        if kind not in allowed:
            yield (*path, "seLinuxOptions", "type"), f"type {kind!r} (allowed: {', '.join(sorted(allowed - {''}))})"
        for field in ("user", "role"):
            if options.get(field, "") != "":
                yield (*path, "seLinuxOptions", field), f"{field} may not be set"
