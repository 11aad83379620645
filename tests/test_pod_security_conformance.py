"""Conformance with the reference implementation: the pss-baseline and pss-restricted profiles give the verdict of
k8s.io/pod-security-admission on every one of its own fixtures, for every Kubernetes version from 1.25 to 1.37
(tests/fixtures/pod-security-admission/SOURCE.md says where they come from): no finding on a pod it admits, and on a
pod it refuses a finding of the control the fixture is about. One lint run per level and version."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
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
