"""The Pod Security Standards profiles, control by control: a hand-written table of upstream-style pods (a pod that
meets the restricted level, changed in one place), each with the verdict k8s.io/pod-security-admission gives it at a
level and Kubernetes version. The vendored upstream fixtures are run by tests/test_pod_security_conformance.py."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from conftest import Spot, TreeLint
from pod_security import accepted, profile_run

from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.lint import LintResult

# A pod the restricted level admits at every version: every case below changes it in one place.
RESTRICTED_POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [{"name": "init", "image": "registry.example.com/init:1.0.0",
                            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
        "containers": [{"name": "app", "image": "registry.example.com/app:1.0.0",
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}}],
    },
}
Spots = Callable[[LintResult], list[Spot]]
WINDOWS_POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod"},
    "spec": {"os": {"name": "windows"}, "securityContext": {"runAsNonRoot": True},
             "containers": [{"name": "app", "image": "registry.example.com/app:1.0.0"}]},
}


class Case(NamedTuple):
    """`change` is merged into the pod (mappings key by key; `containers.0` names the first container)."""

    control: str  # upstream's check id: the `control` of the profile entries expected to report it
    level: str  # baseline | restricted
    versions: tuple[str, ...]  # the target versions the verdict is stated for
    allowed: bool
    change: dict[str, Any]
    base: dict[str, Any] = RESTRICTED_POD


def case(control: str, level: str, versions: str, allowed: bool, change: dict[str, Any],
         base: dict[str, Any] = RESTRICTED_POD) -> Case:
    return Case(control, level, tuple(versions.split()), allowed, change, base)


ALL = "1.25 1.30 1.36 1.37"
# Where a change goes: the first container's, the first init container's and the pod's securityContext.
CTX, INIT, POD = "spec.containers.0.securityContext.", "spec.initContainers.0.securityContext.", "spec.securityContext."
SYSCTLS = "spec.securityContext.sysctls"
SECCOMP_ONLY = {"seccompProfile": {"type": "RuntimeDefault"}}  # the pod context without runAsNonRoot
CASES = [
    case("hostNamespaces", "baseline", ALL, False, {"spec.hostNetwork": True}),
    case("hostNamespaces", "baseline", ALL, False, {"spec.hostPID": True}),
    case("hostNamespaces", "baseline", ALL, False, {"spec.hostIPC": True}),
    case("hostNamespaces", "baseline", ALL, True, {"spec.hostNetwork": False, "spec.hostPID": False}),
    case("privileged", "baseline", ALL, False, {CTX + "privileged": True}),
    case("privileged", "baseline", ALL, False, {INIT + "privileged": True}),
    case("privileged", "baseline", ALL, True, {CTX + "privileged": False}),
    case("capabilities_baseline", "baseline", ALL, True,
         {CTX + "capabilities.add": ["NET_BIND_SERVICE", "CHOWN", "SYS_CHROOT"]}),
    case("capabilities_baseline", "baseline", ALL, False, {CTX + "capabilities.add": ["NET_RAW"]}),
    case("capabilities_baseline", "baseline", ALL, False, {CTX + "capabilities.add": ["chown"]}),
    case("capabilities_baseline", "baseline", ALL, False, {CTX + "capabilities.add": ["CAP_CHOWN"]}),
    case("capabilities_restricted", "restricted", ALL, True,
         {CTX + "capabilities.add": ["NET_BIND_SERVICE"]}),
    case("capabilities_restricted", "restricted", ALL, False, {CTX + "capabilities.add": ["CHOWN"]}),
    case("capabilities_restricted", "restricted", ALL, False, {CTX + "capabilities.drop": ["all"]}),
    case("capabilities_restricted", "restricted", ALL, False, {INIT + "capabilities": {}}),
    case("capabilities_restricted", "restricted", ALL, True, {}, WINDOWS_POD),  # Windows pods: exempt from 1.25
    case("hostPathVolumes", "baseline", ALL, False, {"spec.volumes": [{"name": "v", "hostPath": {"path": "/var"}}]}),
    case("hostPorts", "baseline", ALL, False, {"spec.containers.0.ports": [{"containerPort": 80, "hostPort": 8080}]}),
    case("hostPorts", "baseline", ALL, True, {"spec.containers.0.ports": [{"containerPort": 80, "hostPort": 0}]}),
    case("windowsHostProcess", "baseline", ALL, False, {POD + "windowsOptions.hostProcess": True}),
    case("windowsHostProcess", "baseline", ALL, False,
         {CTX + "windowsOptions.hostProcess": True}),
    case("windowsHostProcess", "baseline", ALL, True, {POD + "windowsOptions.hostProcess": False}),
    case("appArmorProfile", "baseline", ALL, False, {POD + "appArmorProfile.type": "Unconfined"}),
    case("appArmorProfile", "baseline", ALL, False,
         {INIT + "appArmorProfile.type": "Unconfined"}),
    case("appArmorProfile", "baseline", ALL, False,
         {"metadata.annotations": {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}}),
    case("appArmorProfile", "baseline", ALL, True,
         {"metadata.annotations": {"container.apparmor.security.beta.kubernetes.io/app": "localhost/web",
                                   "container.apparmor.security.beta.kubernetes.io/init": "runtime/default"},
          CTX + "appArmorProfile": {"type": "Localhost", "localhostProfile": "web"}}),
    case("seLinuxOptions", "baseline", ALL, False, {POD + "seLinuxOptions.type": "spc_t"}),
    case("seLinuxOptions", "baseline", ALL, False, {CTX + "seLinuxOptions.user": "system_u"}),
    case("seLinuxOptions", "baseline", ALL, False, {CTX + "seLinuxOptions.role": "system_r"}),
    case("seLinuxOptions", "baseline", ALL, True,
         {CTX + "seLinuxOptions": {"type": "container_t", "level": "s0:c1,c2"}}),
    case("seLinuxOptions", "baseline", "1.25 1.30", False,
         {CTX + "seLinuxOptions.type": "container_engine_t"}),
    case("seLinuxOptions", "baseline", "1.31 1.36", True,
         {CTX + "seLinuxOptions.type": "container_engine_t"}),
    case("procMount", "baseline", ALL, False, {CTX + "procMount": "Unmasked"}),
    case("procMount", "baseline", "1.25 1.34", False,
         {"spec.hostUsers": False, CTX + "procMount": "Unmasked"}),
    case("procMount", "baseline", "1.35 1.37", True,
         {"spec.hostUsers": False, CTX + "procMount": "Unmasked"}),
    case("procMount_restricted", "restricted", "1.35 1.37", False,
         {"spec.hostUsers": False, CTX + "procMount": "Unmasked"}),
    case("seccompProfile_baseline", "baseline", ALL, False, {POD + "seccompProfile.type": "Unconfined"}),
    case("seccompProfile_baseline", "baseline", ALL, False,
         {INIT + "seccompProfile.type": "Unconfined"}),
    case("seccompProfile_baseline", "baseline", ALL, True, {"spec.securityContext": {}}),
    case("seccompProfile_restricted", "restricted", ALL, False, {"spec.securityContext": {"runAsNonRoot": True}}),
    case("seccompProfile_restricted", "restricted", ALL, True,
         {"spec.securityContext": {"runAsNonRoot": True},
          CTX + "seccompProfile.type": "RuntimeDefault",
          INIT + "seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}),
    case("seccompProfile_restricted", "restricted", ALL, False,
         {CTX + "seccompProfile.type": "Unconfined"}),
    case("seccompProfile_restricted", "restricted", ALL, True, {}, WINDOWS_POD),
    case("sysctls", "baseline", ALL, True, {SYSCTLS: [{"name": "kernel.shm_rmid_forced", "value": "1"}]}),
    case("sysctls", "baseline", ALL, False, {SYSCTLS: [{"name": "vm.max_map_count", "value": "1"}]}),
    case("sysctls", "baseline", ALL, False,
         {SYSCTLS: [{"name": "net/ipv4/tcp_syncookies", "value": "1"}]}),
    case("sysctls", "baseline", "1.25 1.26", False,
         {SYSCTLS: [{"name": "net.ipv4.ip_local_reserved_ports", "value": "8080"}]}),
    case("sysctls", "baseline", "1.27 1.36", True,
         {SYSCTLS: [{"name": "net.ipv4.ip_local_reserved_ports", "value": "8080"}]}),
    case("sysctls", "baseline", "1.28", False,
         {SYSCTLS: [{"name": "net.ipv4.tcp_keepalive_time", "value": "600"}]}),
    case("sysctls", "baseline", "1.29", True,
         {SYSCTLS: [{"name": "net.ipv4.tcp_keepalive_time", "value": "600"}]}),
    case("sysctls", "baseline", "1.31", False, {SYSCTLS: [{"name": "net.ipv4.tcp_rmem", "value": "1"}]}),
    case("sysctls", "baseline", "1.32", True, {SYSCTLS: [{"name": "net.ipv4.tcp_rmem", "value": "1"}]}),
    case("sysctls", "baseline", "1.36", False,
         {SYSCTLS: [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}),
    case("sysctls", "baseline", "1.37", True,
         {SYSCTLS: [{"name": "net.ipv4.tcp_notsent_lowat", "value": "1"}]}),
    case("hostProbesAndHostLifecycle", "baseline", "1.34 1.37", False,
         {"spec.containers.0.livenessProbe.httpGet": {"port": 80, "host": "169.254.169.254"}}),
    case("hostProbesAndHostLifecycle", "baseline", "1.34", False,
         {"spec.initContainers.0.lifecycle.preStop.tcpSocket": {"port": 80, "host": "10.0.0.1"}}),
    case("hostProbesAndHostLifecycle", "baseline", "1.25 1.33", True,  # no such control before 1.34
         {"spec.containers.0.livenessProbe.httpGet": {"port": 80, "host": "169.254.169.254"}}),
    case("hostProbesAndHostLifecycle", "baseline", "1.34", True,
         {"spec.containers.0.readinessProbe.httpGet": {"port": 80, "host": ""}}),
    case("restrictedVolumes", "restricted", ALL, False,
         {"spec.volumes": [{"name": "v", "nfs": {"server": "s", "path": "/"}}]}),
    case("restrictedVolumes", "restricted", ALL, True,
         {"spec.volumes": [{"name": "a"}, {"name": "b", "csi": {"driver": "d"}},
                           {"name": "c", "image": {"reference": "r"}},
                           {"name": "d", "ephemeral": {"volumeClaimTemplate": {"spec": {}}}}]}),
    case("hostPathVolumes", "restricted", ALL, False, {"spec.volumes": [{"name": "v", "hostPath": {"path": "/var"}}]}),
    case("allowPrivilegeEscalation", "restricted", ALL, False, {CTX + "allowPrivilegeEscalation": True}),
    case("allowPrivilegeEscalation", "restricted", ALL, False,
         {"spec.initContainers.0.securityContext": {"capabilities": {"drop": ["ALL"]}}}),
    case("allowPrivilegeEscalation", "restricted", ALL, True, {}, WINDOWS_POD),
    case("runAsNonRoot", "restricted", ALL, False, {"spec.securityContext": SECCOMP_ONLY}),
    case("runAsNonRoot", "restricted", ALL, False,
         {"spec.securityContext": {"seccompProfile": {"type": "RuntimeDefault"}, "runAsUser": 1000}}),
    case("runAsNonRoot", "restricted", ALL, False, {CTX + "runAsNonRoot": False}),
    case("runAsNonRoot", "restricted", ALL, True,
         {"spec.securityContext": SECCOMP_ONLY,
          CTX + "runAsNonRoot": True, INIT + "runAsNonRoot": True}),
    case("runAsNonRoot", "restricted", "1.25 1.34", False,
         {"spec.hostUsers": False, "spec.securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
    case("runAsNonRoot", "restricted", "1.35 1.37", True,
         {"spec.hostUsers": False, "spec.securityContext": {"seccompProfile": {"type": "RuntimeDefault"}}}),
    case("runAsUser", "restricted", ALL, False, {POD + "runAsUser": 0}),
    case("runAsUser", "restricted", ALL, False, {INIT + "runAsUser": 0}),
    case("runAsUser", "restricted", ALL, True, {POD + "runAsUser": 1000}),
    case("runAsUser", "restricted", "1.25 1.34", False, {"spec.hostUsers": False, POD + "runAsUser": 0}),
    case("runAsUser", "restricted", "1.35 1.37", True, {"spec.hostUsers": False, POD + "runAsUser": 0}),
]


def changed(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    pod = copy.deepcopy(base)
    for dotted, value in change.items():
        *steps, last = dotted.split(".")
        node: Any = pod
        for step in steps:
            node = node[int(step)] if isinstance(node, list) else node.setdefault(step, {})
        node[last] = value
    return pod


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str, int], set[str]]:
    """(level, version, case index) -> the controls reported: every case's pod, one lint run per level and version."""
    found: dict[tuple[str, str, int], set[str]] = {}
    runs = sorted({(item.level, version) for item in CASES for version in item.versions})
    for level, version in runs:
        folder = tmp_path_factory.mktemp(f"{level}-{version}")
        files = {f"case{index}.yaml": yaml.safe_dump(changed(item.base, item.change), sort_keys=False)
                 for index, item in enumerate(CASES) if item.level == level and version in item.versions}
        minor = int(version.split(".")[1])
        for name, controls in profile_run(folder, level, KubernetesVersion(1, minor), files).items():
            found[level, version, int(name.removeprefix("case").removesuffix(".yaml"))] = controls
    return found


@pytest.mark.parametrize("index", range(len(CASES)),
                         ids=[f"{c.level}-{c.control}-{'pass' if c.allowed else 'fail'}" for c in CASES])
def test_the_profile_gives_upstreams_verdict(verdicts: dict[tuple[str, str, int], set[str]], index: int) -> None:
    item = CASES[index]
    for version in item.versions:
        controls = verdicts[item.level, version, index]
        if item.allowed:
            assert controls == set(), f"{version}: {controls}"
        else:
            assert controls & accepted(item.level, item.control), f"{version}: {controls}"


def test_the_base_pods_pass_restricted_at_every_version(tmp_path: Path) -> None:
    files = {"linux.yaml": yaml.safe_dump(RESTRICTED_POD), "windows.yaml": yaml.safe_dump(WINDOWS_POD)}
    for minor in range(25, 38):
        assert profile_run(tmp_path, "restricted", KubernetesVersion(1, minor), files) == {
            "linux.yaml": set(), "windows.yaml": set()}


APPARMOR_IN_TEMPLATES = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    container.apparmor.security.beta.kubernetes.io/app: unconfined
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        container.apparmor.security.beta.kubernetes.io/app: unconfined
    spec:
      containers:
        - name: app
          image: registry.example.com/web:1.4.2
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        metadata:
          annotations:
            container.apparmor.security.beta.kubernetes.io/report: localhost/report
        spec:
          restartPolicy: OnFailure
          securityContext:
            appArmorProfile: {type: Unconfined}
          containers:
            - name: report
              image: registry.example.com/report:2.0.0
"""


def test_a_pod_template_policy_reads_the_pods_metadata_not_the_workloads(lint_tree: TreeLint, spots: Spots) -> None:
    """The pod-template scope: a Deployment's own annotations are not its pods'; the template's are."""
    result = lint_tree({"apps.yaml": APPARMOR_IN_TEMPLATES}, select=("pod-apparmor-profile-allowed",))
    assert [(s[1], s[2]) for s in spots(result)] == [(13, 9), (33, 31)]
