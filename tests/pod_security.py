"""Running the Pod Security Standards profiles in process, for the hand-written table (test_pod_security.py) and the
upstream conformance test (test_pod_security_conformance.py): which controls a profile reports for each file."""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from gitops_tools.config import Config
from gitops_tools.kubeversion import KubernetesVersion
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies
from gitops_tools.resources import schema_path

UPSTREAM = Path(__file__).parent / "fixtures" / "pod-security-admission"


@cache
def controls_data() -> dict[str, Any]:
    """tests/fixtures/pod-security-admission/controls.yaml: file-name prefix -> control, and upstream's overrides."""
    data: dict[str, Any] = yaml.safe_load((UPSTREAM / "controls.yaml").read_text("utf-8"))
    return data


def accepted(level: str, control: str) -> set[str]:
    """The controls whose finding counts for `control` at `level`: itself, and at the restricted level the
    restricted control that replaces it upstream."""
    replacing = {new for new, old in controls_data()["replaces"].items() if old == control}
    return {control} | (replacing if level == "restricted" else set())


def _entries(name: str) -> list[dict[str, Any]]:
    profile = yaml.safe_load(schema_path("profiles", f"{name}.yaml").read_text("utf-8"))
    inherited = [entry for parent in profile.get("extends", []) for entry in _entries(parent)]
    return inherited + list(profile["policies"])


def _in_range(entry: dict[str, Any], version: KubernetesVersion) -> bool:
    bounds = entry.get("kubernetes", {})
    low, high = bounds.get("min"), bounds.get("max")
    return (low is None or version >= KubernetesVersion.parse(low)) and (
        high is None or version <= KubernetesVersion.parse(high))


@cache
def _catalogue() -> dict[str, Policy]:
    return load_policies()


def profile_run(folder: Path, level: str, version: KubernetesVersion, files: dict[str, str] | None = None
                ) -> dict[str, set[str]]:
    """Lint `folder` (after writing `files` into it) with the pss-`level` profile for `version`: for each file (its
    path relative to the folder), the controls reported."""
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    owner = {entry["policy"]: entry["control"] for entry in _entries(f"pss-{level}") if _in_range(entry, version)}
    policies = {pid: policy._replace(enabled=pid in owner) for pid, policy in _catalogue().items()}
    result = lint([str(folder)], Config(root=folder), policies,
                  LintOptions(kubernetes_version=version, select=tuple(owner)))
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(folder.rglob("*.yaml")):
        found[path.relative_to(folder).as_posix()] = set()
    for finding in result.findings:
        relative = Path(finding.location.path).resolve().relative_to(folder.resolve()).as_posix()
        found[relative].add(owner.get(finding.policy_id, finding.policy_id))
    return dict(found)
