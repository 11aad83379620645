"""Policy categories (schemas/resources/categories.yaml): every built-in policy names one; scores stay in range."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import CliRun

from gitops_tools.errors import PolicyError
from gitops_tools.model import Location, Policy, Severity
from gitops_tools.policies import load_categories, load_policies
from gitops_tools.resources import schema_path

CATEGORIES_FILE = schema_path("resources", "categories.yaml")
# GitHub code scanning: 9.0-10.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
GITHUB_BANDS = {Severity.ERROR: (7.0, 10.0), Severity.WARNING: (4.0, 6.9), Severity.INFO: (0.1, 3.9)}


def test_every_built_in_policy_names_a_category(policies: dict[str, Policy]) -> None:
    assert {policy.id for policy in policies.values() if policy.category is None} == set()
    named = {policy.category.name for policy in policies.values() if policy.category}
    assert named == set(load_categories()), "a category no policy uses, or one that is not listed"


def test_the_categories_file_is_well_formed() -> None:
    raw = yaml.safe_load(CATEGORIES_FILE.read_text(encoding="utf-8"))
    for name, entry in raw.items():
        assert set(entry) <= {"description", "security_severity"} and entry["description"], name
    scored = {name for name, entry in raw.items() if "security_severity" in entry}
    assert scored == {"security"}


@pytest.mark.parametrize("severity", list(Severity), ids=str)
def test_security_scores_fall_in_githubs_band_for_the_severity(severity: Severity) -> None:
    low, high = GITHUB_BANDS[severity]
    for category in load_categories().values():
        score = category.score(severity)
        if category.name == "security":
            assert score is not None and low <= float(score) <= high and f"{float(score):.1f}" == score
        else:
            assert score is None


def test_an_unknown_category_is_refused_at_its_line(tmp_path: Path, policies: dict[str, Policy]) -> None:
    text = Path(policies["container-memory-limit-set"].source).read_text(encoding="utf-8")
    text = text.replace("id: container-memory-limit-set", "id: team-limit").replace(
        "category: efficiency", "category: cost")
    (tmp_path / "team-limit.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown category 'cost'; categories: security, reliability") as caught:
        load_policies([tmp_path])
    line = text.splitlines().index("category: cost") + 1
    assert caught.value.location == Location(str(tmp_path / "team-limit.yaml"), line, 1)


def test_an_unknown_category_is_a_usage_error(run_cli: CliRun, tmp_path: Path, policies: dict[str, Policy]) -> None:
    text = Path(policies["container-memory-limit-set"].source).read_text(encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "team-limit.yaml").write_text(text.replace("id: container-memory-limit-set", "id: team-limit")
                                                       .replace("category: efficiency", "category: cost"), "utf-8")
    line = text.splitlines().index("category: efficiency") + 1
    code, out, err = run_cli("lint", "--policy-dir", "mine", ".")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: mine/team-limit.yaml:{line}:1: unknown category 'cost'; categories: ")


def test_a_custom_policy_may_leave_the_category_out(tmp_path: Path, policies: dict[str, Policy]) -> None:
    text = Path(policies["container-memory-limit-set"].source).read_text(encoding="utf-8")
    (tmp_path / "team-limit.yaml").write_text(text.replace("id: container-memory-limit-set", "id: team-limit")
                                              .replace("category: efficiency\n", ""), encoding="utf-8")
    assert load_policies([tmp_path])["team-limit"].category is None
