"""Renamed policies: a policy's `aliases` (former ids) keep inline suppressions, exemption annotations, config
entries, --select/--ignore and baseline entries that name the old id working for the renamed policy."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import CliRun, configmap_labels_policy

from gitops_tools.aliases import alias_map, current_ids, current_patterns
from gitops_tools.errors import PolicyError
from gitops_tools.policies import load_policies

CONFIG = ".gitops-tools.yaml"
OLD, NEW = "configmap-labels-old", "configmap-labels-new"
# The same ConfigMap twice: two identical findings, whose second fingerprint is derived from the first.
MANIFEST = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n---\napiVersion: v1\nkind: ConfigMap\n" \
           "metadata: {name: settings}\n"


def policy_text(policy_id: str, aliases: list[str] | None = None) -> str:
    alias_line = f"aliases: {json.dumps(aliases)}\n" if aliases is not None else ""
    return configmap_labels_policy(policy_id, alias_line)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with the policy under its old id, a config naming its folder, and a manifest."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / f"{OLD}.yaml").write_text(policy_text(OLD), encoding="utf-8")
    # The manifest repeats one ConfigMap on purpose: the duplicate-identity policy would report it.
    (tmp_path / CONFIG).write_text("policy_dirs: [policies]\n"
                                   "policies: {manifest-identity-unique-in-unit: {enabled: false}}\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text(MANIFEST, encoding="utf-8")
    return tmp_path


def rename(repo: Path, aliases: list[str] | None = None) -> None:
    (repo / "policies" / f"{OLD}.yaml").unlink()
    (repo / "policies" / f"{NEW}.yaml").write_text(policy_text(NEW, [OLD] if aliases is None else aliases), "utf-8")


def findings(run_cli: CliRun, *argv: str) -> tuple[int, list[str]]:
    code, out, err = run_cli("lint", "--format", "json", *argv)
    assert code in (0, 1), err
    return code, [finding["policy_id"] for finding in json.loads(out)["findings"]]


def test_a_baseline_written_under_the_old_id_still_matches_after_the_rename(repo: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("lint", "--write-baseline", "baseline.json", "cm.yaml")
    assert code == 0 and "Baseline of 2 finding(s)" in out
    entries = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))["findings"]
    assert [entry["policy_id"] for entry in entries] == [OLD, OLD]
    assert len({entry["fingerprint"] for entry in entries}) == 2  # the repeat got its own fingerprint
    rename(repo)
    assert findings(run_cli, "--baseline", "baseline.json", "cm.yaml") == (0, [])
    code, out, _ = run_cli("lint", "--baseline", "baseline.json", "cm.yaml")
    assert code == 0 and "fixed" not in out.lower().replace("0 fixed", "")


def test_without_the_alias_the_renamed_policy_s_findings_are_new(repo: Path, run_cli: CliRun) -> None:
    run_cli("lint", "--write-baseline", "baseline.json", "cm.yaml")
    (repo / "policies" / f"{OLD}.yaml").unlink()
    (repo / "policies" / f"{NEW}.yaml").write_text(policy_text(NEW), encoding="utf-8")
    assert findings(run_cli, "--baseline", "baseline.json", "cm.yaml") == (1, [NEW, NEW])


def test_a_new_finding_of_the_renamed_policy_is_still_reported(repo: Path, run_cli: CliRun) -> None:
    run_cli("lint", "--write-baseline", "baseline.json", "cm.yaml")
    rename(repo)
    (repo / "cm.yaml").write_text(MANIFEST + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n", "utf-8")
    code, found = findings(run_cli, "--baseline", "baseline.json", "cm.yaml")
    assert (code, found) == (1, [NEW])


def test_an_inline_suppression_naming_the_old_id_applies(repo: Path, run_cli: CliRun) -> None:
    (repo / "cm.yaml").write_text(f"# gitops-tools: disable-file {OLD} -- legacy settings\n{MANIFEST}", "utf-8")
    rename(repo)
    assert findings(run_cli, "cm.yaml") == (0, [])  # no finding, no suppression-unused, no unknown policy


def test_an_unused_suppression_naming_the_old_id_is_still_reported(repo: Path, run_cli: CliRun) -> None:
    labelled = MANIFEST.replace("{name: settings}", "{name: settings, labels: {team: a}}")
    (repo / "cm.yaml").write_text(f"# gitops-tools: disable-file {OLD} -- legacy settings\n{labelled}", "utf-8")
    rename(repo)
    assert findings(run_cli, "cm.yaml") == (1, ["suppression-unused"])


def test_an_annotation_naming_the_old_id_exempts_the_resource(repo: Path, run_cli: CliRun) -> None:
    exempt = f"metadata:\n  name: settings\n  annotations:\n    gitops-tools.io/exempt: \"{OLD}: legacy\"\n"
    (repo / "cm.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\n{exempt}", encoding="utf-8")
    rename(repo)
    assert findings(run_cli, "cm.yaml") == (0, [])


@pytest.mark.parametrize("entry", [f"{OLD}: {{enabled: false}}", f"{OLD}: {{exclude: [cm.yaml]}}"])
def test_a_config_entry_under_the_old_id_applies(repo: Path, run_cli: CliRun, entry: str) -> None:
    rename(repo)
    (repo / CONFIG).write_text(f"policy_dirs: [policies]\npolicies:\n  {entry}\n"
                               "  manifest-identity-unique-in-unit: {enabled: false}\n", encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == (0, [])  # and no exemption-unknown-policy for the old id


def test_a_config_entry_under_both_ids_is_an_error_at_the_old_one(repo: Path, run_cli: CliRun) -> None:
    rename(repo)
    (repo / CONFIG).write_text(f"policy_dirs: [policies]\npolicies:\n  {NEW}: {{severity: error}}\n"
                               f"  {OLD}: {{enabled: false}}\n", encoding="utf-8")
    code, _, err = run_cli("lint", "cm.yaml")
    assert code == 2 and f"{CONFIG}:4:3:" in err and "former id" in err and "Traceback" not in err


def test_select_and_ignore_accept_the_old_id(repo: Path, run_cli: CliRun) -> None:
    rename(repo)
    assert findings(run_cli, "--select", OLD, "cm.yaml") == (1, [NEW, NEW])
    assert findings(run_cli, "--ignore", OLD, "cm.yaml") == (0, [])


def test_explain_names_the_former_ids(repo: Path, run_cli: CliRun) -> None:
    rename(repo)
    code, out, _ = run_cli("explain", NEW)
    assert code == 0 and f"formerly: {OLD}" in out


@pytest.mark.parametrize(("aliases", "words"), [
    (["container-cpu-limit-set"], "'container-cpu-limit-set' of 'configmap-labels-new' is a policy id"),
    ([NEW], "is a policy id"),
])
def test_an_alias_may_not_be_a_policy_id(repo: Path, run_cli: CliRun, aliases: list[str], words: str) -> None:
    rename(repo, aliases)
    code, _, err = run_cli("lint", "cm.yaml")
    assert code == 2 and f"{NEW}.yaml:4:" in err and words in err and "Traceback" not in err


def test_an_alias_may_not_be_another_policy_s_alias(tmp_path: Path) -> None:
    (tmp_path / "configmap-a.yaml").write_text(policy_text("configmap-a", ["shared-old"]), encoding="utf-8")
    (tmp_path / "configmap-b.yaml").write_text(policy_text("configmap-b", ["other", "shared-old"]), "utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert "already an alias of 'configmap-a'" in caught.value.message
    assert caught.value.location is not None
    assert caught.value.location.path.endswith("configmap-b.yaml")
    assert (caught.value.location.line, caught.value.location.col) == (4, 20)


@pytest.mark.parametrize("value", ['"old-id"', "[]", "[Old_Id]", "[old-id, old-id]"])
def test_aliases_must_be_a_list_of_distinct_ids(tmp_path: Path, value: str) -> None:
    text = policy_text("configmap-a").replace("message:", f"aliases: {value}\nmessage:")
    (tmp_path / "configmap-a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert caught.value.location is not None and caught.value.location.line == 4


def test_policies_without_aliases_keep_their_fingerprints_alone(policies: dict[str, object]) -> None:
    assert alias_map(load_policies().values()) == {}  # no built-in policy has been renamed yet


def test_alias_helpers() -> None:
    aliases = {"old": "new"}
    assert current_ids(["old", "other"], aliases) == frozenset({"new", "other"})
    assert current_patterns(("old", "old*", "x"), aliases) == ("new", "old*", "x")
