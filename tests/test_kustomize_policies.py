"""The kustomize domain on realistic repositories (tests/fixtures/kustomize): a base, an overlay and a component,
with remote resources. The good repository lints clean; the bad one gives each expected finding at its exact line
and column, in kustomization.yaml and kustomization.yml files with and without apiVersion."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import CliRun, sorted_spots

from gitops_tools.findings import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "kustomize"

BAD = [
    ("base/kustomization.yaml", 3, 1, "kustomization-deprecated-fields-unset"),  # commonLabels
    ("base/kustomization.yaml", 7, 5, "kustomization-remote-resources-pinned"),  # no ref
    ("overlays/dev/kustomization.yml", 2, 1, "kustomization-deprecated-fields-unset"),  # bases
    ("overlays/dev/kustomization.yml", 4, 1, "kustomization-deprecated-fields-unset"),  # vars
    ("overlays/prod/kustomization.yaml", 1, 1, "kustomization-overlay-namespace-set"),
    ("overlays/prod/kustomization.yaml", 5, 5, "kustomization-remote-resources-pinned"),  # ref=main: a branch
    ("overlays/prod/kustomization.yaml", 6, 1, "kustomization-deprecated-fields-unset"),  # patchesStrategicMerge
]



def test_the_good_repository_lints_clean(lint_fixture: Callable[..., LintResult]) -> None:
    result = lint_fixture("good", render=False)  # the kustomizations as written: their remote bases are not rendered
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (3, 3)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[..., LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad", render=False)) == sorted(BAD)


def test_rendering_names_each_remote_base_that_keeps_an_overlay_from_rendering(
        lint_fixture: Callable[..., LintResult]) -> None:
    """Rendered, the good repository's overlay builds on pinned remote resources: one finding (info: it never fails
    a build) at each remote entry, naming the overlay it keeps from rendering, and nothing is fetched."""
    result = lint_fixture("good")
    offline = [(f.location.path, f.location.line, f.location.col, f.overlays) for f in result.findings
               if f.policy_id == "kustomization-builds-offline"]
    assert offline and all(overlays == ("overlays/prod",) for *_, overlays in offline)
    assert {f.policy_id for f in result.findings} == {"kustomization-builds-offline"}
    assert result.rendered == 0


def test_each_deprecated_field_is_named_with_its_replacement(lint_fixture: Callable[[str], LintResult]) -> None:
    found = [(f.location.path, f.location.line, f.message) for f in lint_fixture("bad").findings
             if f.policy_id == "kustomization-deprecated-fields-unset"]
    assert sorted(found) == [
        ("base/kustomization.yaml", 3, "the kustomization uses the deprecated field commonLabels (use labels)"),
        ("overlays/dev/kustomization.yml", 2, "the kustomization uses the deprecated field bases (use resources)"),
        ("overlays/dev/kustomization.yml", 4, "the kustomization uses the deprecated field vars (use replacements)"),
        ("overlays/prod/kustomization.yaml", 6,
         "the kustomization uses the deprecated field patchesStrategicMerge (use patches)"),
    ]


def test_kustomization_files_are_classified_by_name(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    code, out, _ = run_cli("lint", "--explain-classification", "bad/overlays/dev/kustomization.yml")
    assert code == 0
    assert "kustomize" in out and "a kustomization file (by path)" in out


def test_what_counts_as_pinned_is_a_parameter(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    (tmp_path / "bad" / ".gitops-tools.yaml").write_text(
        "policies:\n  kustomization-remote-resources-pinned:\n    parameters:\n"
        "      pinned_ref_pattern: '[?&]ref=[^&]+'\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "bad", "--select", "kustomization-remote-resources-pinned")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1]] == ["bad/base/kustomization.yaml:7:5"]
