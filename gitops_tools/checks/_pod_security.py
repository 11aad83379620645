"""The Pod Security Standards' version facts (schemas/resources/pod_security_standards.yaml, which also holds the
kubelet's safe sysctls) and the pod-spec walks their coded checks share: every container kind the standard judges,
and the user-namespace relaxation.

The facts are read once per process, by the first pod a versioned pod-security check judges; a run that lints no pod,
or enables none of these policies, never reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any, NamedTuple

from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.model import POD_CONTAINERS, JsonPath

SOURCE = ("resources", "pod_security_standards.yaml")


class Standards(NamedTuple):
    """Each allowed value with the version from which it is allowed."""

    sysctls: dict[str, KubernetesVersion]
    selinux_types: dict[str, KubernetesVersion]
    user_namespace_relaxed_since: KubernetesVersion
    kubelet_sysctls_since: dict[str, KubernetesVersion]  # where the kubelet's safe set joined later than `sysctls`

    def safe_sysctls(self, version: KubernetesVersion) -> frozenset[str]:
        """The sysctls the baseline standard allows at `version`."""
        return frozenset(name for name, since in self.sysctls.items() if since <= version)

    def kubelet_safe_since(self, name: str) -> KubernetesVersion | None:
        """The release from which the kubelet accepts the sysctl `name` without `--allowed-unsafe-sysctls` (None:
        never)."""
        since = self.sysctls.get(name)
        return None if since is None else max(since, self.kubelet_sysctls_since.get(name, since))

    def selinux_types_allowed(self, version: KubernetesVersion) -> frozenset[str]:
        return frozenset(name for name, since in self.selinux_types.items() if since <= version)


@cache
def standards() -> Standards:
    import yaml

    from gitops_tools.resources import schema_path

    raw = yaml.load(schema_path(*SOURCE).read_text("utf-8"), Loader=yaml.CSafeLoader)
    return Standards({name: _release(since) for name, since in raw["sysctls"].items()},
                     {name: _release(since) for name, since in raw["selinux_types"].items()},
                     _release(raw["user_namespace_relaxed_since"]),
                     {name: _release(since) for name, since in raw["kubelet_sysctls_since"].items()})


def _release(text: str) -> KubernetesVersion:
    """`1.N` as the data writes it; it may name a release newer than a run may target (the data follows upstream,
    which records the next release's changes before it ships)."""
    major, minor = text.split(".")
    return KubernetesVersion(int(major), int(minor))


def containers(pod_spec: Any) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """(path from the pod spec, container) of every container, init container and ephemeral container."""
    for list_name in POD_CONTAINERS:
        listed = pod_spec.get(list_name)
        if isinstance(listed, list):
            for index, container in enumerate(listed):
                if isinstance(container, dict):
                    yield (list_name, index), container


def security_contexts(pod_spec: Any) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """(path, securityContext) of the pod and of every container that sets one."""
    pod_context = pod_spec.get("securityContext")
    if isinstance(pod_context, dict):
        yield ("securityContext",), pod_context
    for path, container in containers(pod_spec):
        context = container.get("securityContext")
        if isinstance(context, dict):
            yield (*path, "securityContext"), context


def in_user_namespace(pod_spec: Any, version: KubernetesVersion) -> bool:
    """Whether the standard relaxes its root and /proc controls for this pod: it runs in a user namespace
    (`hostUsers: false`), and the target version is one whose standard says so."""
    return pod_spec.get("hostUsers") is False and version >= standards().user_namespace_relaxed_since
