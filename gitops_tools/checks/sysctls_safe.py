"""A pod sets only sysctls the kubelet of the target Kubernetes version accepts: its safe set (which grew in 1.18,
1.22, 1.27, 1.29, 1.32 and 1.37: schemas/resources/pod_security_standards.yaml) and the unsafe ones the policy's
`allowed_unsafe` parameter names, as the kubelet's `--allowed-unsafe-sysctls` does (a name, or a prefix ending in
`*`). Names are compared as the kubelet compares them: `net/ipv4/tcp_syncookies` is `net.ipv4.tcp_syncookies`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.checks._pod_security import standards
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import JsonPath

SWAP = str.maketrans("/.", "./")


def versioned_check(pod_spec: Any, version: KubernetesVersion,
                    parameters: Mapping[str, Any]) -> Iterator[tuple[JsonPath, str]]:
    context = pod_spec.get("securityContext") if isinstance(pod_spec, dict) else None
    sysctls = context.get("sysctls") if isinstance(context, dict) else None
    if not isinstance(sysctls, list):
        return
    allowed = tuple(dotted(pattern) for pattern in parameters["allowed_unsafe"])
    for index, sysctl in enumerate(sysctls):
        name = sysctl.get("name") if isinstance(sysctl, dict) else None
        if not isinstance(name, str):
            continue  # a missing or mistyped name is the structure policies' finding
        since = standards().kubelet_safe_since(dotted(name))
        if (since is not None and since <= version) or any(_matches(dotted(name), p) for p in allowed):
            continue
        later = f" (safe from Kubernetes {since})" if since is not None else ""
        yield (("securityContext", "sysctls", index, "name"),
               f"{name!r} is not a safe sysctl on Kubernetes {version}{later}")


def dotted(name: str) -> str:
    """The kubelet's spelling of a sysctl name: when its first separator is a slash, slashes and dots swap
    (`net/ipv4/conf/eno2.100/rp_filter` is `net.ipv4.conf.eno2/100.rp_filter`)."""
    slash, dot = name.find("/"), name.find(".")
    return name.translate(SWAP) if slash != -1 and (dot == -1 or slash < dot) else name


def _matches(name: str, pattern: str) -> bool:
    """`--allowed-unsafe-sysctls` matching: a pattern ending in `*` allows every name it starts."""
    return name.startswith(pattern[:-1]) if pattern.endswith("*") else name == pattern
