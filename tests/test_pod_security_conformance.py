"""Conformance with the reference implementation: the pss-baseline and pss-restricted profiles give the verdict of
k8s.io/pod-security-admission on every one of its own fixtures, for every Kubernetes version from 1.25 to 1.37
(tests/fixtures/pod-security-admission/SOURCE.md says where they come from): no finding on a pod it admits, and on a
pod it refuses a finding of the control the fixture is about. One lint run per level and version."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import CliRun
from pod_security import UPSTREAM, accepted, controls_data, profile_run

from gitops_tools.kubeversion import KubernetesVersion

FOLDERS = sorted(UPSTREAM.glob("testdata/*/v1.*"), key=lambda p: (p.parent.name, int(p.name.split(".")[1])))


def test_every_version_and_level_is_vendored() -> None:
    assert [f"{p.parent.name}/{p.name}" for p in FOLDERS] == [
        f"{level}/v1.{minor}" for level in ("baseline", "restricted") for minor in range(25, 38)]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: f"{p.parent.name}-{p.name}")
def test_the_profile_agrees_with_upstream_on_every_fixture(folder: Path) -> None:
    level, minor = folder.parent.name, int(folder.name.split(".")[1])
    reported = profile_run(folder, level, KubernetesVersion(1, minor))
    prefixes, compliant = controls_data()["prefixes"], set(controls_data()["compliant"])
    disagreements = []
    for relative, controls in sorted(reported.items()):
        verdict, name = relative.split("/")
        prefix = re.sub(r"[0-9]*\.yaml$", "", name)
        if verdict == "pass":
            assert prefix in prefixes or prefix in compliant, relative
            if controls:
                disagreements.append(f"{relative}: upstream admits it, we report {sorted(controls)}")
        elif not controls & accepted(level, prefixes[prefix]):
            disagreements.append(f"{relative}: upstream refuses it for {prefixes[prefix]}, we report "
                                 f"{sorted(controls) or 'nothing'}")
    assert len(reported) == len(list(folder.rglob("*.yaml"))) > 0
    assert disagreements == []


@pytest.mark.parametrize("level", ["baseline", "restricted"])
def test_lint_profile_on_the_command_line_refuses_every_fail_fixture(run_cli: CliRun, level: str) -> None:
    """The same verdicts through `gitops-tools lint --profile`, as a user runs it: exit 0 on upstream's admitted pods,
    exit 1 on its refused ones with an error on every file."""
    folder = UPSTREAM / "testdata" / level / "v1.36"
    options = ("--profile", f"pss-{level}", "--kubernetes-version", "1.36", "--format", "json")
    code, out, err = run_cli("lint", *options, str(folder / "pass"))
    assert (code, err, json.loads(out)["findings"]) == (0, "", [])
    code, out, err = run_cli("lint", *options, str(folder / "fail"))
    assert (code, err) == (1, "")
    findings = json.loads(out)["findings"]
    assert {Path(f["path"]).name for f in findings} == {p.name for p in (folder / "fail").glob("*.yaml")}
    assert {f["severity"] for f in findings} == {"error"}  # the admission controller refuses each of these pods
