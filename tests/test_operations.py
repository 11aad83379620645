"""The operations policies of issue 14 (Job and CronJob settings, autoscaler ranges, requests within limits, volume
mounts, rolling updates) on a realistic good and bad repository: the good one is clean, the bad one has each
violation at its own line and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import CliRun

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

FIXTURES = Path(__file__).parent / "fixtures" / "operations"
POLICIES = ("job-restart-policy-set", "job-ttl-seconds-after-finished-set", "cronjob-starting-deadline-set",
            "cronjob-concurrency-policy-set", "hpa-replicas-range-valid", "hpa-min-replicas-not-single",
            "container-requests-within-limits", "container-volume-mounts-defined", "workload-rolling-update-set")
API, REPORTS = "apps/api/deployment.yaml", "apps/reports/cronjob.yaml"
BAD = [
    (API, 10, 5, "workload-rolling-update-set"),  # type: Recreate, no claim mounted
    (API, 34, 3, "hpa-min-replicas-not-single"),  # minReplicas: 1
    (API, 35, 3, "hpa-replicas-range-valid"),  # maxReplicas: 1, equal to the minimum
    (REPORTS, 8, 1, "cronjob-concurrency-policy-set"),
    (REPORTS, 8, 1, "cronjob-starting-deadline-set"),
    (REPORTS, 17, 11, "job-restart-policy-set"),  # restartPolicy: Always
    (REPORTS, 22, 39, "container-requests-within-limits"),  # memory 300Mi over 256Mi
    (REPORTS, 26, 20, "container-volume-mounts-defined"),  # config, renamed report-config in volumes
]


def spots(folder: Path, policies: dict[str, Policy]) -> list[tuple[str, int, int, str]]:
    result = lint([str(folder)], Config(root=folder), policies, LintOptions(select=POLICIES))
    return [(Path(f.location.path).relative_to(folder).as_posix(), f.location.line, f.location.col, f.policy_id)
            for f in result.findings]


def test_the_good_repository_is_clean(policies: dict[str, Policy]) -> None:
    assert spots(FIXTURES / "good", policies) == []


def test_the_bad_repository_has_each_violation_at_its_own_position(policies: dict[str, Policy]) -> None:
    assert spots(FIXTURES / "bad", policies) == BAD


def test_the_bad_repository_names_what_is_wrong(policies: dict[str, Policy]) -> None:
    folder = FIXTURES / "bad"
    result = lint([str(folder)], Config(root=folder), policies, LintOptions(select=POLICIES))
    messages = {f.policy_id: f.message for f in result.findings}
    assert messages["container-requests-within-limits"].endswith("memory: the request 300Mi is above the limit 256Mi")
    assert messages["container-volume-mounts-defined"].endswith("'config' is not a volume of the pod")
    assert messages["hpa-replicas-range-valid"].endswith("maxReplicas 1 equals minReplicas: the autoscaler can never "
                                                         "scale")


@pytest.mark.parametrize(("folder", "policy", "parameters", "expected"), [
    ("bad", "workload-rolling-update-set", "", 1),
    ("bad", "workload-rolling-update-set", "{allowed_types: [RollingUpdate, Recreate]}", 0),  # Recreate accepted
    ("good", "hpa-min-replicas-not-single", "", 0),  # minReplicas: 2
    ("good", "hpa-min-replicas-not-single", "{min_replicas: 3}", 1),  # a platform that survives losing a zone
])
def test_a_platform_s_parameters_decide(tmp_path: Path, run_cli: CliRun, folder: str, policy: str, parameters: str,
                                        expected: int) -> None:
    shutil.copytree(FIXTURES / folder, tmp_path, dirs_exist_ok=True)
    if parameters:
        (tmp_path / ".gitops-tools.yaml").write_text(f"policies:\n  {policy}:\n    parameters: {parameters}\n",
                                                     encoding="utf-8")
    code, out, err = run_cli("lint", "--select", policy, API)
    assert (code, err) == (expected, "")
    assert out.count(f"[{policy}]") == expected
