"""No container unmasks /proc (`procMount` other than Default), unless the pod runs in a user namespace
(`hostUsers: false`) and the target Kubernetes version's baseline standard allows it there (1.35 and later)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.checks._pod_security import containers, in_user_namespace
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath


def versioned_check(pod_spec: Any, version: KubernetesVersion) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(pod_spec, dict) or in_user_namespace(pod_spec, version):
        return
    for path, container in containers(pod_spec):
        context = container.get("securityContext")
        mount = context.get("procMount", "Default") if isinstance(context, dict) else "Default"
        if mount != "Default":
            yield (*path, "securityContext", "procMount"), f"procMount {mount!r}"
