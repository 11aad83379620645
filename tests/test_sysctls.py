"""The two sysctl policies judge for the run's target Kubernetes version: pod-sysctls-safe (the kubelet's safe set and
`--allowed-unsafe-sysctls`) and pod-sysctls-baseline-allowed (the baseline Pod Security Standard), each name at the
release before and the release of its addition (https://kubernetes.io/docs/tasks/administer-cluster/sysctl-cluster/
and the standard's list; data: schemas/resources/pod_security_standards.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tools.checks._pod_security import standards
from gitops_tools.config import Config, PolicySettings
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.parameters import configure

SAFE, BASELINE = "pod-sysctls-safe", "pod-sysctls-baseline-allowed"
# (name, release that added it to the kubelet's safe set, release from which the baseline standard allows it)
ADDITIONS = [
    ("net.ipv4.ping_group_range", 18, 0),
    ("net.ipv4.ip_unprivileged_port_start", 22, 0),
    ("net.ipv4.ip_local_reserved_ports", 27, 27),
    ("net.ipv4.tcp_keepalive_time", 29, 29),
    ("net.ipv4.tcp_fin_timeout", 29, 29),
    ("net.ipv4.tcp_keepalive_intvl", 29, 29),
    ("net.ipv4.tcp_keepalive_probes", 29, 29),
    ("net.ipv4.tcp_rmem", 32, 32),
    ("net.ipv4.tcp_wmem", 32, 32),
    ("net.ipv4.tcp_slow_start_after_idle", 37, 37),
    ("net.ipv4.tcp_notsent_lowat", 37, 37),
]
ALWAYS = ["kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies"]
# (policy, version, sysctl name) -> whether the policy lets it through: every addition the release before and the
# release it was added in, and names safe at every release, unsafe at every release, or spelled with slashes.
CASES: dict[tuple[str, int, str], bool] = {}
for _name, _kubelet, _standard in ADDITIONS:
    CASES[SAFE, _kubelet - 1, _name], CASES[SAFE, _kubelet, _name] = False, True
    if _standard:
        CASES[BASELINE, _standard - 1, _name], CASES[BASELINE, _standard, _name] = False, True
    else:
        CASES[BASELINE, 21, _name] = True
for _minor in (17, 36, 37):
    for _name in ALWAYS:
        CASES[SAFE, _minor, _name] = CASES[BASELINE, _minor, _name] = True
    for _name in ("vm.max_map_count", "net.core.somaxconn", "kernel.msgmax"):
        CASES[SAFE, _minor, _name] = CASES[BASELINE, _minor, _name] = False
    CASES[SAFE, _minor, "net/ipv4/tcp_syncookies"], CASES[BASELINE, _minor, "net/ipv4/tcp_syncookies"] = True, False
CASES[SAFE, 31, "net/ipv4/tcp_rmem"], CASES[SAFE, 32, "net/ipv4/tcp_rmem"] = False, True


def _pod(*names: str) -> str:
    sysctls = [{"name": name, "value": "1"} for name in names]
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod"},
                           "spec": {"securityContext": {"sysctls": sysctls},
                                    "containers": [{"name": "app", "image": "registry.example.com/app:1.0.0"}]}})


def _lint(folder: Path, policies: dict[str, Policy], policy_id: str, minor: int, files: dict[str, str],
          settings: dict[str, PolicySettings] | None = None) -> dict[str, list[str]]:
    """Lint `files` with `policy_id` alone (enabled) for Kubernetes 1.`minor` (in process, so 1.37, newer than a run
    may target, is judged too): each file's finding messages."""
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    config = Config(root=folder, policies=settings or {})
    enabled = configure({policy_id: policies[policy_id]._replace(enabled=True)}, config.policies)  # as `lint` does
    result = lint([str(folder)], config, enabled,
                  LintOptions(kubernetes_version=KubernetesVersion(1, minor), select=(policy_id,)))
    found: dict[str, list[str]] = {name: [] for name in files}
    for finding in result.findings:
        found[Path(finding.location.path).name].append(finding.message)
    return found


@pytest.fixture(scope="module")
def verdicts(tmp_path_factory: pytest.TempPathFactory, policies: dict[str, Policy]) -> dict[tuple[str, int, str], bool]:
    """Every case's verdict: one lint run per policy and version."""
    found: dict[tuple[str, int, str], bool] = {}
    for policy_id, minor in sorted({(policy_id, minor) for policy_id, minor, _ in CASES}):
        names = [name for (other, version, name) in CASES if (other, version) == (policy_id, minor)]
        files = {f"case{index}.yaml": _pod(name) for index, name in enumerate(names)}
        messages = _lint(tmp_path_factory.mktemp(f"{policy_id}-{minor}"), policies, policy_id, minor, files)
        for index, name in enumerate(names):
            found[policy_id, minor, name] = not messages[f"case{index}.yaml"]
    return found


@pytest.mark.parametrize("case", list(CASES), ids=[f"{p}-1.{m}-{n}" for p, m, n in CASES])
def test_each_policy_follows_its_safe_set_for_the_target_version(verdicts: dict[tuple[str, int, str], bool],
                                                                 case: tuple[str, int, str]) -> None:
    assert verdicts[case] == CASES[case]


def test_the_kubelet_and_the_standard_agree_from_1_22() -> None:
    facts = standards()
    for minor in range(22, 38):
        version = KubernetesVersion(1, minor)
        kubelet = {name for name in facts.sysctls if (facts.kubelet_safe_since(name) or version) <= version}
        assert kubelet == facts.safe_sysctls(version), version


def test_a_finding_says_from_which_release_the_sysctl_is_safe(tmp_path: Path, policies: dict[str, Policy]) -> None:
    found = _lint(tmp_path, policies, SAFE, 31, {"pod.yaml": _pod("net.ipv4.tcp_rmem", "vm.max_map_count")})
    assert found["pod.yaml"] == [
        "pod sets an unsafe sysctl: 'net.ipv4.tcp_rmem' is not a safe sysctl on Kubernetes 1.31 (safe from "
        "Kubernetes 1.32)",
        "pod sets an unsafe sysctl: 'vm.max_map_count' is not a safe sysctl on Kubernetes 1.31"]


@pytest.mark.parametrize(("allowed", "name", "passes"), [
    (["net.core.somaxconn"], "net.core.somaxconn", True),
    (["net.core.somaxconn"], "net/core/somaxconn", True),  # the kubelet's spelling of the same name
    (["kernel.msg*"], "kernel.msgmax", True),
    (["kernel.msg*"], "kernel.sem", False),
    (["net.core.somaxconn"], "net.core.somaxconn_more", False),
    ([], "net.core.somaxconn", False),
])
def test_allowed_unsafe_names_what_the_kubelet_allows(tmp_path: Path, policies: dict[str, Policy],
                                                      allowed: list[str], name: str, passes: bool) -> None:
    settings: dict[str, Any] = {SAFE: PolicySettings(parameters={"allowed_unsafe": allowed})}
    found = _lint(tmp_path, policies, SAFE, 36, {"pod.yaml": _pod(name)}, settings)
    assert (found["pod.yaml"] == []) is passes
