"""Argo CD and Flux objects on realistic repositories (tests/fixtures/gitops): an AppProject, Applications, an
ApplicationSet, Flux sources, a Kustomization and HelmReleases. The good repository lints clean; the bad one gives
each expected finding at its exact line and column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import CliRun, sorted_spots

from gitops_tools.findings import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "gitops"

BAD = [
    ("argocd/orders-api.yaml", 7, 3, "argocd-app-project-not-default"),
    ("argocd/orders-api.yaml", 12, 3, "argocd-app-destination-namespace-set"),  # destination without a namespace
    ("argocd/orders-api.yaml", 16, 7, "argocd-app-sync-policy-allowed"),  # automated, prune: false
    ("argocd/orders-api.yaml", 28, 5, "argocd-app-production-revision-pinned"),  # HEAD, namespace *-prod
    ("argocd/orders-api.yaml", 45, 7, "argocd-app-production-revision-pinned"),  # a source without a revision
    ("argocd/project.yaml", 11, 7, "argocd-project-source-repos-restricted"),
    ("argocd/project.yaml", 15, 7, "argocd-project-destinations-restricted"),  # server: "*"
    ("argocd/project.yaml", 16, 7, "argocd-project-destinations-restricted"),  # namespace: "*"
    ("argocd/services.yaml", 16, 7, "argocd-app-project-not-default"),  # in the ApplicationSet's template
    ("argocd/services.yaml", 19, 9, "argocd-app-production-revision-pinned"),  # a branch named release
    ("argocd/services.yaml", 25, 9, "argocd-app-sync-policy-allowed"),  # automated: {}
    ("flux/apps.yaml", 6, 1, "flux-kustomization-prune-set"),
    ("flux/apps.yaml", 6, 1, "flux-timeout-set"),
    ("flux/apps.yaml", 6, 1, "custom-resource-structure-valid"),  # the Kustomization CRD requires prune
    ("flux/apps.yaml", 24, 7, "flux-helm-chart-version-pinned"),  # a range
    ("flux/apps.yaml", 39, 5, "flux-helm-chart-version-pinned"),  # no version: the newest chart
    ("flux/sources.yaml", 6, 1, "flux-interval-set"),  # none
    ("flux/sources.yaml", 6, 1, "custom-resource-structure-valid"),  # the GitRepository CRD requires interval
    ("flux/sources.yaml", 17, 3, "flux-interval-set"),  # 1 hour
    ("flux/sources.yaml", 17, 3, "custom-resource-structure-valid"),  # the CRD's duration pattern too
]



def test_the_good_repository_lints_clean(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("good")
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (5, 10)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[[str], LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad")) == sorted(BAD)


def test_which_applications_are_production_is_a_parameter(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    (tmp_path / "bad" / ".gitops-tools.yaml").write_text(
        "policies:\n  argocd-app-production-revision-pinned:\n    parameters:\n"
        "      production_namespace_pattern: '^never$'\n      production_cluster_pattern: '^https://api\\.dev\\.'\n",
        encoding="utf-8")
    code, out, _ = run_cli("lint", "bad/argocd", "--select", "argocd-app-production-revision-pinned")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1]] == ["bad/argocd/orders-api.yaml:10:5"]  # main, dev


def test_the_sync_policy_is_a_parameter(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "good", tmp_path / "good")
    (tmp_path / "good" / ".gitops-tools.yaml").write_text(
        "policies:\n  argocd-app-sync-policy-allowed:\n    parameters:\n      sync_policy: {required: [automated]}\n",
        encoding="utf-8")
    code, out, _ = run_cli("lint", "good/argocd", "--select", "argocd-app-sync-policy-allowed")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1]] == ["good/argocd/orders-api.yaml:35:3"]
