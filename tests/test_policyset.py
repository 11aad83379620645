"""Policy-set versions: every built-in policy records `since`; a config's `policy_set` pin keeps newer policies from
running, `rules` marks them, and a pin the installed gitops-tools cannot honour is a config error."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CliRun, configmap_labels_policy

from gitops_tools import __version__
from gitops_tools.config import load_config
from gitops_tools.domainfiles import DOMAIN_FILE
from gitops_tools.errors import ConfigError
from gitops_tools.lint import LintOptions, active_policies
from gitops_tools.model import Policy, Severity, Targets
from gitops_tools.policies import BUILTIN_POLICY_DIR, load_policies
from gitops_tools.policyset import beyond_pin, newer_than, parse_version, pin_problem

CONFIG = ".gitops-tools.yaml"
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"


def custom_policy(policy_id: str, since: str | None) -> str:
    """A custom policy that fails every ConfigMap without labels, introduced in `since` (None: no `since`)."""
    since_line = f'since: "{since}"\n' if since is not None else ""
    return configmap_labels_policy(policy_id, since_line)


def synthetic(policy_id: str, since: str | None) -> Policy:
    return Policy(policy_id, "t", Severity.WARNING, "m", Targets("document"), "docs", "x.yaml", since=since)


def test_every_builtin_policy_records_the_version_that_introduced_it() -> None:
    builtin = load_policies()
    assert builtin
    for policy in builtin.values():
        assert policy.since is not None, f"{policy.id} has no since"
        assert parse_version(policy.since) <= parse_version(__version__), policy.id


def test_since_is_written_in_every_builtin_policy_file() -> None:
    files = sorted(path for path in BUILTIN_POLICY_DIR.rglob("*.yaml") if path.name != DOMAIN_FILE)
    assert files
    assert [path.name for path in files if "\nsince: " not in path.read_text(encoding="utf-8")] == []


@pytest.mark.parametrize(("since", "pin", "skipped"), [
    ("0.10.0", "0.9.0", True),  # numbers, not strings: "0.10.0" < "0.9.0" as text
    ("0.9.0", "0.10.0", False),
    ("0.1.0", "0.1.0", False),
    ("0.1.1", "0.1.0", True),
    ("1.0.0", "0.99.99", True),
    (None, "0.1.0", False),  # a custom policy without `since` always runs
    ("9.0.0", None, False),  # no pin: everything runs
])
def test_a_pin_skips_only_policies_newer_than_it(since: str | None, pin: str | None, skipped: bool) -> None:
    policy = synthetic("p", since)
    assert beyond_pin(policy, pin) is skipped
    assert newer_than([policy, synthetic("q", None)], pin) == ([policy] if skipped else [])


def test_active_policies_leave_out_those_newer_than_the_pin(tmp_path: Path) -> None:
    policies = {p.id: p for p in (synthetic("old", "0.9.0"), synthetic("new", "0.10.0"), synthetic("free", None))}
    pinned = load_config(None, tmp_path)
    pinned = type(pinned)(root=tmp_path, policy_set="0.9.0")
    assert [p.id for p in active_policies(policies, pinned, LintOptions())] == ["old", "free"]
    unpinned = type(pinned)(root=tmp_path)
    assert [p.id for p in active_policies(policies, unpinned, LintOptions())] == ["old", "new", "free"]


@pytest.mark.parametrize(("pin", "words"), [
    ("9.0.0", f"newer than the installed gitops-tools {__version__}"),
    ("0.0.9", "older than the first policy set"),
    ("0.1", "is not a version"),
    ("v0.1.0", "is not a version"),
    ("0.01.0", "is not a version"),
])
def test_pin_problems(pin: str, words: str) -> None:
    problem = pin_problem(pin, __version__)
    assert problem is not None and words in problem


def test_the_installed_version_is_a_valid_pin() -> None:
    assert pin_problem(__version__, __version__) is None


def test_a_pin_newer_than_the_installed_package_is_a_config_error_at_its_position(tmp_path: Path) -> None:
    (tmp_path / CONFIG).write_text('exclude: []\npolicy_set:   "99.0.0"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / CONFIG, tmp_path)
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) in {(2, 1), (2, 15)}
    assert "newer than the installed gitops-tools" in caught.value.message


@pytest.mark.parametrize("pin", ['"99.0.0"', '"0.1"', "1"])
def test_a_bad_pin_is_exit_2_with_its_position_through_the_cli(tmp_path: Path, run_cli: CliRun, pin: str) -> None:
    (tmp_path / CONFIG).write_text(f"exclude: []\npolicy_set: {pin}\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP, encoding="utf-8")
    code, _, err = run_cli("lint", "cm.yaml")
    assert code == 2
    assert f"{CONFIG}:2:" in err and "policy_set" in err
    assert "Traceback" not in err


def _repo_with_policies(tmp_path: Path, pin: str | None) -> None:
    (tmp_path / ".git").mkdir()
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "configmap-labels-next.yaml").write_text(custom_policy("configmap-labels-next", "0.10.0"), "utf-8")
    (folder / "configmap-labels-now.yaml").write_text(custom_policy("configmap-labels-now", "0.1.0"), "utf-8")
    (folder / "configmap-labels-own.yaml").write_text(custom_policy("configmap-labels-own", None), "utf-8")
    pin_line = f'policy_set: "{pin}"\n' if pin else ""
    (tmp_path / CONFIG).write_text(f"policy_dirs: [policies]\n{pin_line}", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text(CONFIG_MAP, encoding="utf-8")


def test_a_pinned_config_does_not_run_newer_policies(tmp_path: Path, run_cli: CliRun) -> None:
    _repo_with_policies(tmp_path, "0.1.0")
    code, out, _ = run_cli("lint", "cm.yaml", "--format", "json")
    assert code == 1
    assert "[configmap-labels-next]" not in out and '"configmap-labels-next"' not in out
    assert '"configmap-labels-now"' in out and '"configmap-labels-own"' in out


def test_without_a_pin_every_policy_runs(tmp_path: Path, run_cli: CliRun) -> None:
    _repo_with_policies(tmp_path, None)
    code, out, _ = run_cli("lint", "cm.yaml", "--format", "json")
    assert code == 1
    for policy_id in ("configmap-labels-next", "configmap-labels-now", "configmap-labels-own"):
        assert f'"{policy_id}"' in out


def test_rules_marks_policies_newer_than_the_pin(tmp_path: Path, run_cli: CliRun) -> None:
    _repo_with_policies(tmp_path, "0.1.0")
    code, out, _ = run_cli("rules")
    assert code == 0
    lines = {line.split()[0]: line for line in out.splitlines()}
    assert "new in 0.10.0, after your policy_set 0.1.0: not run" in lines["configmap-labels-next"]
    assert "policy_set" not in lines["configmap-labels-now"]
    assert "policy_set" not in lines["configmap-labels-own"]
    assert "policy_set" not in lines["container-cpu-limit-set"]


def test_rules_marks_nothing_without_a_pin(tmp_path: Path, run_cli: CliRun) -> None:
    _repo_with_policies(tmp_path, None)
    code, out, _ = run_cli("rules")
    assert code == 0 and "configmap-labels-next" in out
    assert "after your policy_set" not in out


def test_explain_shows_since(tmp_path: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("explain", "container-cpu-limit-set")
    assert code == 0 and "since: 0.1.0" in out


def test_since_must_be_a_version_string(tmp_path: Path, run_cli: CliRun) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "configmap-labels.yaml").write_text(custom_policy("configmap-labels", "0.1"), encoding="utf-8")
    code, _, err = run_cli("rules", "--policy-dir", "policies")
    assert code == 2
    assert "configmap-labels.yaml:4:" in err and "Traceback" not in err
