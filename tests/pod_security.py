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
from gitops_tools.model import Catalogue
from gitops_tools.policies import load_policies
from gitops_tools.profiles import run_profile

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


@cache
def _catalogue() -> Catalogue:
    policies = load_policies()
    return Catalogue(policies, policies)


def profile_run(folder: Path, level: str, version: KubernetesVersion, files: dict[str, str] | None = None
                ) -> dict[str, set[str]]:
    """Lint `folder` (after writing `files` into it) with the pss-`level` profile for `version`, as `lint --profile`
    does (in process, so 1.37, newer than a run may target, is judged too): for each file (its path relative to the
    folder), the controls reported, named by the profile entries of the policies that reported."""
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    config = Config(root=folder)
    selection = run_profile(f"pss-{level}", config, _catalogue(), version)
    assert selection is not None
    owner = {entry.policy: entry.control or "" for entry in selection.profile.at(version)}
    result = lint([str(folder)], config, selection.policies,
                  LintOptions(kubernetes_version=version, profile=selection.ids))
    found: dict[str, set[str]] = defaultdict(set)
    for path in sorted(folder.rglob("*.yaml")):
        found[path.relative_to(folder).as_posix()] = set()
    for finding in result.findings:
        relative = Path(finding.location.path).resolve().relative_to(folder.resolve()).as_posix()
        found[relative].add(owner.get(finding.policy_id, finding.policy_id))
    return dict(found)
