"""Profiles: `lint --profile NAME|PATH` (or the config's `profile:`) runs exactly a profile's policies at the target
Kubernetes version, with its parameters and severities; profiles extend others, ship in packs, list with `rules`;
a bad profile is exit 2 at its line and column."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import CliRun, ProcessRun, configmap_labels_policy
from test_packs import PACK_YAML, write_pack

from gitops_tools.model import Policy
from gitops_tools.profilefinder import known_profiles
from gitops_tools.profiles import Reader

FIXTURES = Path(__file__).parent / "fixtures" / "profiles"
CONFIG = ".gitops-tools.yaml"
TEAM = "./profiles/team.yaml"
STRICT = "./profiles/strict.yaml"
POSITION = re.compile(r"^gitops-tools: error: (?P<path>[^\s:]+):(?P<line>\d+):(?P<col>\d+): ")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository holding the fixture profiles under profiles/ and a Deployment that breaks several
    policies (two replicas, host network, image :latest, only an `app` label)."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "profiles").mkdir()
    for name in ("team.yaml", "strict.yaml"):
        shutil.copy(FIXTURES / name, tmp_path / "profiles" / name)
    shutil.copy(FIXTURES / "deploy.yaml", tmp_path / "deploy.yaml")
    return tmp_path


def findings(run_cli: CliRun, *argv: str) -> list[tuple[str, str]]:
    """(policy id, severity) of each finding of `lint --format json ARGV deploy.yaml`."""
    code, out, err = run_cli("lint", "--format", "json", *argv, "deploy.yaml")
    assert code in (0, 1), err
    return sorted((finding["policy_id"], finding["severity"]) for finding in json.loads(out)["findings"])


def fails(run_cli: CliRun, *argv: str) -> str:
    """The error of a run that must be a usage error (exit 2) without a traceback."""
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err
    return err


def position(error: str) -> tuple[str, int, int]:
    match = POSITION.match(error)
    assert match is not None, error
    return match["path"], int(match["line"]), int(match["col"])


# --- what a profile runs ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "expected"), [
    ("1.26", [("recommended-labels-set", "warning"), ("workload-replicas-not-single", "error")]),
    ("1.30", [("recommended-labels-set", "info"), ("workload-replicas-not-single", "error")]),
    ("1.36", [("container-image-tag-not-latest", "error"), ("workload-replicas-not-single", "error")]),
])
def test_the_target_version_picks_the_entry_that_applies(repo: Path, run_cli: CliRun, version: str,
                                                          expected: list[tuple[str, str]]) -> None:
    """Exactly the profile's entries for the version run, with their severities: no other policy (the Deployment
    breaks pod-host-network-unset, container-memory-limit-set... which the default run reports)."""
    assert findings(run_cli, "--profile", TEAM, "--kubernetes-version", version) == expected
    default = {policy for policy, _ in findings(run_cli)}
    assert {"pod-host-network-unset", "container-memory-limit-set"} <= default


def test_the_entry_s_parameters_apply(repo: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("lint", "--profile", TEAM, "--kubernetes-version", "1.26", "deploy.yaml")
    assert code == 1
    assert "recommended labels missing: team\n" in out  # the 1.26 entry's labels, not the policy's default ones
    code, out, _ = run_cli("lint", "--profile", TEAM, "--kubernetes-version", "1.30", "deploy.yaml")
    assert "recommended labels missing: owner\n" in out and "missing: team" not in out
    assert "(1 file, 1 document, 2 policies)" in out


def test_the_config_key_names_the_profile_and_the_flag_wins(repo: Path, run_cli: CliRun) -> None:
    (repo / CONFIG).write_text(f'profile: {TEAM}\nkubernetes_version: "1.36"\n', encoding="utf-8")
    team = [("container-image-tag-not-latest", "error"), ("workload-replicas-not-single", "error")]
    assert findings(run_cli) == team
    assert findings(run_cli, "--profile", STRICT) == [
        ("container-image-tag-not-latest", "error"), ("pod-host-network-unset", "error"),
        ("workload-replicas-not-single", "warning")]
    (repo / CONFIG).write_text("profile: team\n", encoding="utf-8")  # a name: no built-in profile has it
    error = fails(run_cli, "lint", "deploy.yaml")
    assert position(error) == (CONFIG, 1, 1)
    assert "unknown profile 'team'" in error


def test_extends_comes_first_and_a_later_entry_replaces_the_extended_one(repo: Path, run_cli: CliRun) -> None:
    """strict.yaml replaces team's workload-replicas-not-single entry (5 replicas, warning), keeps its others, and adds
    pod-host-network-unset."""
    assert findings(run_cli, "--profile", STRICT, "--kubernetes-version", "1.26") == [
        ("pod-host-network-unset", "error"), ("recommended-labels-set", "warning"),
        ("workload-replicas-not-single", "warning")]
    deploy = repo / "deploy.yaml"
    deploy.write_text(deploy.read_text("utf-8").replace("replicas: 2", "replicas: 4"), encoding="utf-8")
    assert "workload-replicas-not-single" not in dict(findings(run_cli, "--profile", TEAM))  # 4 >= 3
    assert ("workload-replicas-not-single", "warning") in findings(run_cli, "--profile", STRICT)  # 4 < 5


def test_the_config_s_own_settings_apply_on_top(repo: Path, run_cli: CliRun) -> None:
    """Severity and parameters of the config's `policies:` entries win over the profile's; `enabled: false` (an
    audited exemption) switches a profile's policy off; `enabled: true` adds nothing to a profile."""
    (repo / CONFIG).write_text("""\
policies:
  workload-replicas-not-single: {severity: info, parameters: {min_replicas: 2}}
  container-image-tag-not-latest: {enabled: false, reason: we promote by digest}
  container-memory-limit-set: {enabled: true}
""", encoding="utf-8")
    assert findings(run_cli, "--profile", TEAM, "--kubernetes-version", "1.36") == []  # 2 replicas are enough now
    (repo / CONFIG).write_text("policies:\n  workload-replicas-not-single: {severity: info}\n", encoding="utf-8")
    assert findings(run_cli, "--profile", TEAM, "--kubernetes-version", "1.36") == [
        ("container-image-tag-not-latest", "error"), ("workload-replicas-not-single", "info")]


def test_a_config_parameter_keeps_the_profile_s_values_for_the_others(repo: Path, run_cli: CliRun) -> None:
    (repo / "profiles" / "labels.yaml").write_text("""\
name: labels
title: Labels
description: Two parameters of one policy... of which the config overrides none here
policies:
  - policy: recommended-labels-set
    parameters: {labels: [team, tier]}
""", encoding="utf-8")
    code, out, _ = run_cli("lint", "--profile", "./profiles/labels.yaml", "deploy.yaml")
    assert code == 1 and "recommended labels missing: team, tier\n" in out


def test_a_former_id_names_the_renamed_policy(repo: Path, run_cli: CliRun) -> None:
    (repo / "policies").mkdir()
    (repo / "policies" / "configmap-labels-set.yaml").write_text(
        configmap_labels_policy("configmap-labels-set", "aliases: [configmap-labelled]\n"), encoding="utf-8")
    (repo / CONFIG).write_text("policy_dirs: [policies/]\n", encoding="utf-8")
    (repo / "profiles" / "old.yaml").write_text(
        "name: old\ntitle: T\ndescription: D\npolicies: [{policy: configmap-labelled, severity: error}]\n",
        encoding="utf-8")
    (repo / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n", encoding="utf-8")
    code, out, err = run_cli("lint", "--format", "json", "--profile", "./profiles/old.yaml", "cm.yaml", "deploy.yaml")
    assert code == 1, err
    assert [(found["policy_id"], found["severity"]) for found in json.loads(out)["findings"]] == [
        ("configmap-labels-set", "error")]


def test_select_and_ignore_narrow_a_profile(repo: Path, run_cli: CliRun) -> None:
    base = ("--profile", TEAM, "--kubernetes-version", "1.36")
    assert findings(run_cli, *base, "--select", "workload-*") == [("workload-replicas-not-single", "error")]
    assert findings(run_cli, *base, "--ignore", "workload-*") == [("container-image-tag-not-latest", "error")]
    error = fails(run_cli, "lint", *base, "--select", "pod-host-network-unset", "deploy.yaml")
    assert "no selected policy is left to run" in error  # --select narrows a profile, never adds to it


def test_an_exemption_annotation_still_applies_under_a_profile(repo: Path, run_cli: CliRun) -> None:
    text = (repo / "deploy.yaml").read_text("utf-8").replace(
        "  labels: {app: web}\n",
        "  labels: {app: web}\n  annotations:\n"
        "    gitops-tools.io/exempt: 'workload-replicas-not-single: a canary runs two'\n", 1)
    (repo / "deploy.yaml").write_text(text, encoding="utf-8")
    assert findings(run_cli, "--profile", TEAM, "--kubernetes-version", "1.36") == [
        ("container-image-tag-not-latest", "error")]


def test_a_profile_change_is_seen_by_the_next_run_with_the_cache_on(repo: Path, run_cli: CliRun) -> None:
    """The policy cache holds the policies as their files say; a profile is read by every run that names it, so an
    edit (here: a new severity) shows at once."""
    first = findings(run_cli, "--profile", TEAM, "--kubernetes-version", "1.36")
    assert ("workload-replicas-not-single", "error") in first
    profile = repo / "profiles" / "team.yaml"
    profile.write_text(profile.read_text("utf-8").replace("    severity: error\n", "    severity: info\n", 1),
                       encoding="utf-8")
    assert ("workload-replicas-not-single", "info") in findings(run_cli, "--profile", TEAM,
                                                                 "--kubernetes-version", "1.36")


def test_the_console_script_runs_a_profile(repo: Path, run_process: ProcessRun) -> None:
    done = run_process("lint", "--profile", TEAM, "--kubernetes-version", "1.30", "deploy.yaml")
    assert done.returncode == 1, done.stderr
    assert "[workload-replicas-not-single]" in done.stdout and "[pod-host-network-unset]" not in done.stdout


# --- a pack ships profiles -------------------------------------------------------------------------------------------


def test_a_pack_ships_a_profile_named_by_its_name(repo: Path, run_cli: CliRun) -> None:
    pack = write_pack(repo / "packs" / "acme", policies={})
    (pack / "profiles").mkdir()
    shutil.copy(FIXTURES / "team.yaml", pack / "profiles" / "team.yaml")
    (repo / CONFIG).write_text("extend: [./packs/acme]\nprofile: team\n", encoding="utf-8")
    assert findings(run_cli, "--kubernetes-version", "1.30") == [
        ("recommended-labels-set", "info"), ("workload-replicas-not-single", "error")]
    code, out, _ = run_cli("rules", "--profiles")
    assert code == 0
    assert re.search(r"^team +The team's standards  \(pack acme-platform, 4 entries\)$", out, re.MULTILINE), out


def test_two_profiles_of_one_name_are_an_error_naming_both(repo: Path, run_cli: CliRun) -> None:
    for name in ("one", "two"):
        pack = write_pack(repo / "packs" / name, PACK_YAML.replace("acme-platform", name), policies={})
        (pack / "profiles").mkdir()
        shutil.copy(FIXTURES / "team.yaml", pack / "profiles" / "team.yaml")
    (repo / CONFIG).write_text("extend: [./packs/one, ./packs/two]\n", encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "team", "deploy.yaml")
    assert "profile 'team' is defined twice: packs/one/profiles/team.yaml and packs/two/profiles/team.yaml" in error


# --- listing ---------------------------------------------------------------------------------------------------------


def test_rules_lists_the_profile_s_policies_at_the_target_version(repo: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("rules", "--profile", TEAM, "--kubernetes-version", "1.30")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == ["recommended-labels-set", "workload-replicas-not-single"]
    assert lines[0].split()[1] == "info" and lines[0].endswith("(control: Ownership; kubernetes 1.28 to 1.33)")
    assert lines[1].split()[1] == "error" and lines[1].endswith("(control: Availability)")
    code, out, _ = run_cli("rules", "--profile", TEAM, "--kubernetes-version", "1.36")
    assert "container-image-tag-not-latest" in out and out.count("\n") == 2
    assert "(control: Images; kubernetes 1.34 and newer)" in out


def test_explain_names_the_profiles_that_run_a_policy(repo: Path, run_cli: CliRun) -> None:
    pack = write_pack(repo / "packs" / "acme", policies={})
    (pack / "profiles").mkdir()
    shutil.copy(FIXTURES / "team.yaml", pack / "profiles" / "team.yaml")
    (repo / CONFIG).write_text("extend: [./packs/acme]\n", encoding="utf-8")
    code, out, _ = run_cli("explain", "recommended-labels-set")
    assert code == 0 and "\nprofiles: team (Ownership)\n" in out
    assert "profiles:" not in run_cli("explain", "container-memory-limit-set")[1]  # in no profile


def test_rules_profile_lists_text_only(repo: Path, run_cli: CliRun) -> None:
    assert "print text" in fails(run_cli, "rules", "--profile", TEAM, "--format", "markdown")


# --- bad profiles: exit 2 at a position ------------------------------------------------------------------------------


def test_an_unknown_profile_name_lists_the_known_ones(repo: Path, run_cli: CliRun) -> None:
    pack = write_pack(repo / "packs" / "acme", policies={})
    (pack / "profiles").mkdir()
    shutil.copy(FIXTURES / "team.yaml", pack / "profiles" / "team.yaml")
    (repo / CONFIG).write_text("extend: [./packs/acme]\n", encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "tema", "deploy.yaml")
    assert "unknown profile 'tema'; profiles: " in error and "team" in error
    assert "profile file not found: profiles/nope.yaml" in fails(run_cli, "lint", "--profile", "./profiles/nope.yaml")


def test_a_cycle_of_extends_is_an_error_at_the_entry(repo: Path, run_cli: CliRun) -> None:
    for name, other in (("a", "b"), ("b", "a")):
        (repo / "profiles" / f"{name}.yaml").write_text(
            f"name: {name}\ntitle: T\ndescription: D\nextends: [./{other}.yaml]\npolicies: []\n", encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "./profiles/a.yaml", "deploy.yaml")
    assert position(error) == ("profiles/b.yaml", 4, 11)
    assert "extends './a.yaml' makes a cycle: a -> b -> a" in error


def test_a_chain_of_extends_is_bounded(repo: Path, run_cli: CliRun) -> None:
    """Reading a profile follows its extends recursively: a chain deeper than MAX_DEPTH is an error, not a crash."""
    from gitops_tools.profiles import MAX_DEPTH

    for number in range(MAX_DEPTH + 1):
        extends = f"extends: [./p{number + 1}.yaml]\n" if number < MAX_DEPTH else ""
        (repo / "profiles" / f"p{number}.yaml").write_text(
            f"name: p{number}\ntitle: T\ndescription: D\n{extends}policies: []\n", encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "./profiles/p0.yaml", "deploy.yaml")
    assert f"makes a chain of more than {MAX_DEPTH} profiles (p0 -> p1 -> p2 -> ...)" in error
    assert position(error) == (f"profiles/p{MAX_DEPTH - 1}.yaml", 4, 11)
    (repo / "profiles" / f"p{MAX_DEPTH - 1}.yaml").write_text(
        f"name: p{MAX_DEPTH - 1}\ntitle: T\ndescription: D\npolicies: [{{policy: pod-host-network-unset}}]\n",
        encoding="utf-8")  # a chain of MAX_DEPTH profiles is fine
    assert findings(run_cli, "--profile", "./profiles/p0.yaml") == [("pod-host-network-unset", "error")]


@pytest.mark.parametrize(("entries", "at", "message"), [
    ("  - policy: no-such-policy\n", (5, 5), "'no-such-policy' is not a policy id"),
    ("  - policy: workload-replicas-not-single\n    parameters: {min_replicas: many}\n",
     (6, 18), "parameter 'min_replicas' of 'workload-replicas-not-single'"),
    ("  - policy: workload-replicas-not-single\n    parameters: {replicas: 3}\n",
     (6, 18), "has no parameter 'replicas'"),
    ("  - policy: pod-host-network-unset\n    kubernetes: {max: \"1.29\"}\n"
     "  - policy: pod-host-network-unset\n    kubernetes: {min: \"1.29\"}\n",
     (7, 5), "a second entry of 'pod-host-network-unset' for 1.29 and newer overlaps the one at "
             "profiles/bad.yaml:5:5 (up to 1.29)"),
    ("  - policy: pod-host-network-unset\n    kubernetes: {min: \"1.30\", max: \"1.29\"}\n",
     (6, 18), "min 1.30 is newer than max 1.29"),
    ("  - policy: pod-host-network-unset\n    kubernetes: {min: 1.30}\n", (6, 18), "quote a version"),
    ("  - policy: pod-host-network-unset\n    severity: fatal\n", (6, 5), "invalid profile: policies.0.severity"),
])
def test_a_bad_entry_is_an_error_at_its_position(repo: Path, run_cli: CliRun, entries: str, at: tuple[int, int],
                                                 message: str) -> None:
    (repo / "profiles" / "bad.yaml").write_text(f"name: bad\ntitle: Bad\ndescription: A broken profile\n"
                                                f"policies:\n{entries}", encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "./profiles/bad.yaml", "deploy.yaml")
    assert message in error
    assert position(error) == ("profiles/bad.yaml", *at)


def test_a_profile_whose_name_is_not_its_file_s_is_an_error(repo: Path, run_cli: CliRun) -> None:
    (repo / "profiles" / "other.yaml").write_text(
        (FIXTURES / "team.yaml").read_text("utf-8"), encoding="utf-8")
    error = fails(run_cli, "lint", "--profile", "./profiles/other.yaml", "deploy.yaml")
    assert "name 'team' must equal the file name 'other'" in error
    assert position(error) == ("profiles/other.yaml", 2, 1)


def test_a_config_names_profile_files_of_its_repository_only(repo: Path, run_cli: CliRun, tmp_path_factory:
                                                              pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(FIXTURES / "team.yaml", outside / "team.yaml")
    (repo / CONFIG).write_text(f"profile: {outside}/team.yaml\n", encoding="utf-8")
    error = fails(run_cli, "lint", "deploy.yaml")
    assert "outside the repository" in error and position(error) == (CONFIG, 1, 1)
    (repo / CONFIG).write_text("", encoding="utf-8")  # the command line may name a file anywhere
    assert findings(run_cli, "--profile", str(outside / "team.yaml"), "--kubernetes-version", "1.36") == [
        ("container-image-tag-not-latest", "error"), ("workload-replicas-not-single", "error")]


def test_the_config_key_is_checked_by_the_config_schema(repo: Path, run_cli: CliRun) -> None:
    (repo / CONFIG).write_text("profile: [team]\n", encoding="utf-8")
    error = fails(run_cli, "lint", "deploy.yaml")
    assert "invalid config: profile" in error and position(error) == (CONFIG, 1, 1)


def test_every_builtin_profile_reads_cleanly(policies: dict[str, Policy]) -> None:
    """Each file of schemas/profiles/ is a valid profile named after its file, whose entries (extends included) name
    built-in policies with parameters of the right types and ranges that do not overlap."""
    known = known_profiles()
    assert {"pss-baseline", "pss-restricted"} <= set(known)
    reader = Reader(known, policies, None)
    for name, where in known.items():
        profile = reader.profile(name, Path.cwd(), None)
        assert (profile.name, where.path.stem, where.pack) == (name, name, None)
        assert profile.entries and all(entry.policy in policies for entry in profile.entries)
