"""Policy packs: a config's `extend:` builds on packs of policies, parameters and a profile, kept in the repository or
installed as a Python package; bad packs are exit 2 at a position; pack policies go through every filter and report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CONSOLE_SCRIPT, CliRun, configmap_labels_policy

from gitops_tools import policycache

CONFIG = ".gitops-tools.yaml"
PACK_POLICY = "acme-configmap-labels-set"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"""
PACK_YAML = """\
name: acme-platform
version: 1.2.0
description: ACME's platform standards
"""


def write_pack(folder: Path, pack_yaml: str = PACK_YAML, policies: dict[str, str] | None = None) -> Path:
    """A pack folder: its pack.yaml and policy files under policies/kubernetes/ (default: one, since 1.1.0)."""
    policies = {PACK_POLICY: configmap_labels_policy(PACK_POLICY, 'since: "1.1.0"\n')} if policies is None else policies
    (folder / "policies" / "kubernetes").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(pack_yaml, encoding="utf-8")
    for policy_id, text in policies.items():
        (folder / "policies" / "kubernetes" / f"{policy_id}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A real git repository with a pack under packs/acme, a config extending it, a ConfigMap and a Deployment."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write_pack(tmp_path / "packs" / "acme")
    (tmp_path / CONFIG).write_text("extend: [./packs/acme]\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text(CONFIGMAP, encoding="utf-8")
    (tmp_path / "deploy.yaml").write_text(DEPLOYMENT, encoding="utf-8")
    return tmp_path


def findings(run_cli: CliRun, *argv: str) -> list[tuple[str, str]]:
    code, out, err = run_cli("lint", "--format", "json", *argv)
    assert code in (0, 1), err
    return [(finding["policy_id"], finding["severity"]) for finding in json.loads(out)["findings"]]


def fails(run_cli: CliRun, *argv: str) -> str:
    """The error of a run that must be a usage error (exit 2), never a traceback."""
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, ""), err
    assert "Traceback" not in err
    return err


# --- a pack kept in the repository ---------------------------------------------------------------------------------


def test_a_pack_policy_runs_and_rules_and_explain_name_its_pack(repo: Path, run_cli: CliRun) -> None:
    assert findings(run_cli, "cm.yaml") == [(PACK_POLICY, "warning")]
    code, out, _ = run_cli("rules")
    line = next(line for line in out.splitlines() if line.startswith(PACK_POLICY))
    assert code == 0 and line.endswith("ConfigMaps carry labels  (pack acme-platform 1.2.0)")
    assert "(pack " not in out.replace(line, "")  # built-in policies name no pack
    code, out, _ = run_cli("explain", PACK_POLICY)
    assert code == 0
    assert "pack: acme-platform 1.2.0\nsince: 1.1.0 (of pack acme-platform)\n" in out
    code, out, _ = run_cli("rules", "--format", "markdown")
    assert f"## {PACK_POLICY}" in out and "Pack: acme-platform 1.2.0." in out


def test_without_extend_the_pack_is_not_used(repo: Path, run_cli: CliRun) -> None:
    (repo / CONFIG).write_text("extend: []\n", encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == []
    assert "(pack " not in run_cli("rules")[1]


def test_a_profile_only_pack_needs_no_policies_folder(repo: Path, run_cli: CliRun) -> None:
    (repo / "packs" / "base").mkdir()
    (repo / "packs" / "base" / "pack.yaml").write_text(
        PACK_YAML.replace("acme-platform", "base") + "profile: {disabled: [" + PACK_POLICY + "]}\n", encoding="utf-8")
    (repo / CONFIG).write_text("extend: [./packs/acme, ./packs/base]\n", encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == []


def test_precedence_builtin_defaults_then_packs_in_order_then_the_config(repo: Path, run_cli: CliRun) -> None:
    write_pack(repo / "packs" / "team", PACK_YAML.replace("acme-platform", "team") + """\
profile:
  severity: {acme-configmap-labels-set: error}
parameters:
  workload-replicas-not-single: {min_replicas: 3}
""", policies={})
    (repo / "packs" / "acme" / "pack.yaml").write_text(PACK_YAML + """\
profile:
  severity: {acme-configmap-labels-set: info}
  enabled: [container-image-pinned-by-digest]
parameters:
  workload-replicas-not-single: {min_replicas: 5}
""", encoding="utf-8")
    watched = (PACK_POLICY, "workload-replicas-not-single", "container-image-pinned-by-digest")

    def select(*argv: str) -> list[tuple[str, str]]:  # not --select, which turns on whatever it names
        return [finding for finding in findings(run_cli, *argv) if finding[0] in watched]

    (repo / CONFIG).write_text("extend: [./packs/acme]\n", encoding="utf-8")
    assert select("cm.yaml", "deploy.yaml") == [
        (PACK_POLICY, "info"), ("workload-replicas-not-single", "warning"),  # 2 < 5
        ("container-image-pinned-by-digest", "warning")]  # opt-in, turned on by the pack
    (repo / CONFIG).write_text("extend: [./packs/acme, ./packs/team]\n", encoding="utf-8")  # the later pack wins
    assert select("cm.yaml", "deploy.yaml") == [
        (PACK_POLICY, "error"), ("workload-replicas-not-single", "warning"),  # 2 < 3
        ("container-image-pinned-by-digest", "warning")]
    (repo / CONFIG).write_text("""\
extend: [./packs/acme, ./packs/team]
policies:
  acme-configmap-labels-set: {severity: warning}
  container-image-pinned-by-digest: {enabled: false}
  workload-replicas-not-single: {parameters: {min_replicas: 2}}
""", encoding="utf-8")  # the config's own settings win over every pack
    assert select("cm.yaml", "deploy.yaml") == [(PACK_POLICY, "warning")]
    explained = run_cli("explain", "workload-replicas-not-single")[1]
    assert "`min_replicas` (default `3`)" in explained  # the packs' value is what the config overrides


def test_rules_check_runs_the_examples_against_the_declared_defaults(repo: Path, run_cli: CliRun) -> None:
    (repo / "packs" / "acme" / "pack.yaml").write_text(
        PACK_YAML + "parameters: {workload-replicas-not-single: {min_replicas: 4}}\n", encoding="utf-8")
    code, out, err = run_cli("rules", "--check")
    assert (code, err) == (0, "")
    assert out.endswith(" example(s) disagree.\n") and ", 0 example(s)" in out
    assert int(out.split()[0]) == len(run_cli("rules")[1].splitlines())  # the pack's policy was checked too


def test_pins_a_pack_pins_the_builtin_set_and_an_extend_entry_pins_the_pack(repo: Path, run_cli: CliRun) -> None:
    (repo / "packs" / "acme" / "pack.yaml").write_text(PACK_YAML + 'policy_set: "0.1.0"\n', encoding="utf-8")
    (repo / CONFIG).write_text('extend: [{pack: ./packs/acme, policy_set: "1.0.0"}]\n', encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == []  # the pack's policy came in 1.1.0, after the pin
    line = next(line for line in run_cli("rules")[1].splitlines() if line.startswith(PACK_POLICY))
    assert line.endswith("(pack acme-platform 1.2.0)  (new in acme-platform 1.1.0, after your pin 1.0.0: not run)")
    (repo / CONFIG).write_text('extend: [{pack: ./packs/acme, policy_set: "1.1.0"}]\n', encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == [(PACK_POLICY, "warning")]
    (repo / CONFIG).write_text('extend: [{pack: ./packs/acme, policy_set: "1.3.0"}]\n', encoding="utf-8")
    err = fails(run_cli, "lint", "cm.yaml")
    assert err == ("gitops-tools: error: .gitops-tools.yaml:1:31: invalid config: extend: policy_set 1.3.0 is newer "
                   "than the pack, acme-platform 1.2.0\n")


def test_the_pack_s_policy_set_pins_the_other_policies_unless_the_config_pins(repo: Path, run_cli: CliRun) -> None:
    """Built-in policies all date from the first set; a custom policy of 0.2.0 shows the pin at work."""
    (repo / "policies").mkdir()
    (repo / "policies" / "configmap-owner-set.yaml").write_text(
        configmap_labels_policy("configmap-owner-set", 'since: "0.2.0"\n'), encoding="utf-8")
    (repo / CONFIG).write_text("extend: [./packs/acme]\npolicy_dirs: [policies]\n", encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == [(PACK_POLICY, "warning"), ("configmap-owner-set", "warning")]
    (repo / "packs" / "acme" / "pack.yaml").write_text(PACK_YAML + 'policy_set: "0.1.0"\n', encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == [(PACK_POLICY, "warning")]  # the pack's pin holds the 0.2.0 policy back
    assert "(new in 0.2.0, after your policy_set 0.1.0: not run)" in run_cli("rules")[1]


# --- filters and reporters treat a pack's policy as any other ------------------------------------------------------


def test_a_pack_policy_is_suppressed_inline_and_by_the_config(repo: Path, run_cli: CliRun) -> None:
    (repo / "cm.yaml").write_text(f"# gitops-tools: disable-document {PACK_POLICY} -- legacy\n" + CONFIGMAP,
                                  encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == []
    (repo / "cm.yaml").write_text(CONFIGMAP, encoding="utf-8")
    (repo / CONFIG).write_text(f"extend: [./packs/acme]\npolicies:\n  {PACK_POLICY}: {{exclude: [cm.yaml]}}\n",
                               encoding="utf-8")
    assert findings(run_cli, "cm.yaml") == []


def test_a_baseline_holds_a_pack_policy_s_finding(repo: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("lint", "--write-baseline", "baseline.json", "cm.yaml")
    assert code == 0 and "Baseline of 1 finding(s)" in out
    entries = json.loads((repo / "baseline.json").read_text(encoding="utf-8"))["findings"]
    assert [entry["policy_id"] for entry in entries] == [PACK_POLICY]
    assert findings(run_cli, "--baseline", "baseline.json", "cm.yaml") == []
    (repo / "other.yaml").write_text(CONFIGMAP.replace("settings", "other"), encoding="utf-8")
    assert findings(run_cli, "--baseline", "baseline.json", "cm.yaml", "other.yaml") == [(PACK_POLICY, "warning")]


def test_sarif_describes_a_pack_policy_with_its_pack(repo: Path, run_cli: CliRun) -> None:
    code, out, _ = run_cli("lint", "--format", "sarif", "cm.yaml")
    run = json.loads(out)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    rule = rules[PACK_POLICY]
    assert code == 1
    assert rule["shortDescription"] == {"text": "ConfigMaps carry labels"}
    assert rule["defaultConfiguration"] == {"level": "warning"}
    assert rule["properties"]["pack"] == {"name": "acme-platform", "version": "1.2.0"}
    assert rule["properties"]["tags"] == ["kubernetes"]
    assert "helpUri" not in rule  # the published catalogue has the built-in rules only
    assert all("pack" not in other["properties"] for rule_id, other in rules.items() if rule_id != PACK_POLICY)
    assert [result["ruleId"] for result in run["results"]] == [PACK_POLICY]


# --- the cache ------------------------------------------------------------------------------------------------------


def test_the_policy_cache_keys_on_the_pack_s_files(repo: Path, run_cli: CliRun, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    from gitops_tools import packs

    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("GITOPS_TOOLS_CACHE_DIR", str(cache))
    assert run_cli("lint", "cm.yaml")[1].startswith("cm.yaml:3:1: warning [acme-configmap-labels-set] configmap has")
    policy_caches = [path.name for path in cache.iterdir() if "-policies-" in path.name]  # beside the data files'
    assert [name.startswith("pack-policies-") for name in policy_caches] == [True]
    real_load = packs.load_catalogue

    def unavailable(*args: object) -> object:
        raise AssertionError("read the pack again although the cache holds it")

    monkeypatch.setattr(packs, "load_catalogue", unavailable)
    assert "configmap has no labels" in run_cli("lint", "cm.yaml")[1]  # from the cache
    monkeypatch.setattr(packs, "load_catalogue", real_load)
    policy = repo / "packs" / "acme" / "policies" / "kubernetes" / f"{PACK_POLICY}.yaml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("configmap has no labels", "label it, please"),
                      encoding="utf-8")
    assert run_cli("lint", "cm.yaml")[1].startswith("cm.yaml:3:1: warning [acme-configmap-labels-set] label it")
    (repo / "packs" / "acme" / "pack.yaml").write_text(PACK_YAML + f"profile: {{disabled: [{PACK_POLICY}]}}\n",
                                                      encoding="utf-8")
    assert run_cli("lint", "cm.yaml")[0] == 0  # pack.yaml is in the key too
    assert policycache.cache_key((repo / "packs" / "acme",)) != policycache.cache_key()


def test_a_config_without_extend_imports_no_pack_module(repo: Path) -> None:
    (repo / CONFIG).write_text("policies: {container-cpu-limit-set: {enabled: true}}\n", encoding="utf-8")
    code = ("import sys; from gitops_tools.cli import main; main(['lint', 'cm.yaml']); "
            "print(sorted(name for name in sys.modules if 'pack' in name and name.startswith('gitops_tools')))")
    done = subprocess.run([sys.executable, "-c", code], cwd=repo, capture_output=True, text=True, check=False)
    assert done.stdout.splitlines()[-1] == "[]", done.stderr


# --- bad packs and bad extend entries: exit 2 at a position -------------------------------------------------------


def _symlink_outside(repo: Path) -> None:
    outside = repo.parent / f"{repo.name}-outside"
    write_pack(outside)
    (repo / "packs" / "linked").symlink_to(outside)


BAD_EXTEND = {
    "missing-folder": ("extend: [./packs/gone]\n", None, ".gitops-tools.yaml:1:10: invalid config: extend: policy "
                                                         "pack folder not found: "),
    "no-pack-file": ("extend: [./packs]\n", None, "invalid config: extend: './packs' is not a policy pack: "),
    "outside": ("extend: [../elsewhere]\n", None, ".gitops-tools.yaml:1:10: invalid config: extend: '../elsewhere' "
                                                  "is "),
    "link-outside": ("extend: [./packs/linked]\n", _symlink_outside, ".gitops-tools.yaml:1:10: invalid config: "
                                                                      "extend: './packs/linked' is "),
    "absolute": ("extend: [/etc/acme]\n", None, ".gitops-tools.yaml:1:10: invalid config: extend: '/etc/acme' is "
                                                 "neither a folder of this repository (./folder or ../folder"),
    "unknown-installed": ("extend: [nowhere-pack]\n", None, ".gitops-tools.yaml:1:10: invalid config: extend: no "
                                                            "installed policy pack 'nowhere-pack'"),
    "pin-not-a-version": ('extend: [{pack: ./packs/acme, policy_set: "1.2"}]\n', None, ".gitops-tools.yaml:1:31: "
                          "invalid config: extend: policy_set: '1.2' is not a version (MAJOR.MINOR.PATCH"),
    "twice": ("extend:\n  - ./packs/acme\n  - ./packs/../packs/acme\n", None, ".gitops-tools.yaml:3:5: invalid "
              "config: extend: './packs/../packs/acme' names the same pack as './packs/acme' (.gitops-tools.yaml:2:5)"),
}


@pytest.mark.parametrize("case", BAD_EXTEND)
def test_a_bad_extend_entry_is_a_config_error_at_its_position(repo: Path, run_cli: CliRun, case: str) -> None:
    config, prepare, expected = BAD_EXTEND[case]
    (repo / CONFIG).write_text(config, encoding="utf-8")
    if prepare is not None:
        prepare(repo)
    err = fails(run_cli, "lint", "cm.yaml")
    assert err.startswith(f"gitops-tools: error: {expected}" if expected.startswith(".") else "gitops-tools: error: ")
    assert expected in err
    if case in ("outside", "link-outside"):
        assert "outside the repository" in err


BAD_PACK_FILE = {
    "not-a-version": (PACK_YAML.replace("1.2.0", "1.2"), "packs/acme/pack.yaml:2:1: invalid pack file: version: "),
    "unknown-key": (PACK_YAML + "colour: blue\n", "packs/acme/pack.yaml:4:1: invalid pack file: colour: Additional"),
    "nested-extend": (PACK_YAML + "extend: [./other]\n",  # packs do not extend packs
                      "packs/acme/pack.yaml:4:1: invalid pack file: extend: Additional properties are not allowed "
                      "('extend' was unexpected)"),
    "unknown-policy": (PACK_YAML + "profile: {disabled: [no-such-policy]}\n",
                       "packs/acme/pack.yaml:4:22: invalid pack file: 'no-such-policy' is not a policy id"),
    "on-and-off": (PACK_YAML + f"profile: {{enabled: [{PACK_POLICY}], disabled: [{PACK_POLICY}]}}\n",
                   f"packs/acme/pack.yaml:4:21: invalid pack file: '{PACK_POLICY}' is both enabled and disabled"),
    "bad-parameter": (PACK_YAML + "parameters: {workload-replicas-not-single: {min_replicas: many}}\n",
                      "packs/acme/pack.yaml:4:45: parameter 'min_replicas' of 'workload-replicas-not-single': "
                      "\"many\" is not of type \"integer\""),
    "unknown-parameter": (PACK_YAML + "parameters: {workload-replicas-not-single: {most: 3}}\n",
                          "packs/acme/pack.yaml:4:45: policy 'workload-replicas-not-single' has no parameter 'most'"),
    "pin-too-new": (PACK_YAML + 'policy_set: "99.0.0"\n',
                    "packs/acme/pack.yaml:4:1: invalid pack file: policy_set: 99.0.0 is newer than the installed "),
    "two-documents": (PACK_YAML + "---\n" + PACK_YAML, "invalid pack file: a pack file holds one YAML mapping"),
    "syntax": ("name: [acme\n", "packs/acme/pack.yaml:2:1: invalid pack file: "),
}


@pytest.mark.parametrize("case", BAD_PACK_FILE)
def test_a_bad_pack_file_is_an_error_at_its_line_and_column(repo: Path, run_cli: CliRun, case: str) -> None:
    text, expected = BAD_PACK_FILE[case]
    (repo / "packs" / "acme" / "pack.yaml").write_text(text, encoding="utf-8")
    assert expected in fails(run_cli, "lint", "cm.yaml")


def test_two_packs_of_one_name_are_an_error(repo: Path, run_cli: CliRun) -> None:
    write_pack(repo / "packs" / "copy", policies={})
    (repo / CONFIG).write_text("extend: [./packs/acme, ./packs/copy]\n", encoding="utf-8")
    assert ".gitops-tools.yaml:1:24: two packs are named 'acme-platform': " in fails(run_cli, "lint", "cm.yaml")


BAD_PACK_POLICY = {
    "invalid": (configmap_labels_policy(PACK_POLICY, 'since: "1.1.0"\n').replace("severity: warning", "severity: 3"),
                f"{PACK_POLICY}.yaml:3:1: invalid policy: 3 is not one of "),
    "no-since": (configmap_labels_policy(PACK_POLICY), f"{PACK_POLICY}.yaml:1:1: a policy of pack 'acme-platform' "
                                                       'records the pack version that introduced it: add `since: '
                                                       '"1.2.0"`'),
    "since-too-new": (configmap_labels_policy(PACK_POLICY, 'since: "1.3.0"\n'),
                      f"{PACK_POLICY}.yaml:4:1: since 1.3.0 is newer than the version of its pack, acme-platform "
                      "1.2.0"),
    "bad-schema": (configmap_labels_policy(PACK_POLICY, 'since: "1.1.0"\n').replace("required: [metadata]",
                                                                                   "required: metadata"),
                   f"{PACK_POLICY}.yaml:9:1: invalid JSON Schema at required: "),
}


@pytest.mark.parametrize("case", BAD_PACK_POLICY)
def test_a_bad_policy_in_a_pack_is_an_error_at_its_position(repo: Path, run_cli: CliRun, case: str) -> None:
    text, expected = BAD_PACK_POLICY[case]
    (repo / "packs" / "acme" / "policies" / "kubernetes" / f"{PACK_POLICY}.yaml").write_text(text, encoding="utf-8")
    assert expected in fails(run_cli, "lint", "cm.yaml")


def test_an_id_clash_names_both_files(repo: Path, run_cli: CliRun) -> None:
    clash = configmap_labels_policy("pod-host-network-unset", 'since: "1.0.0"\n')
    write_pack(repo / "packs" / "acme", policies={"pod-host-network-unset": clash})
    err = fails(run_cli, "lint", "cm.yaml")
    assert "packs/acme/policies/kubernetes/pod-host-network-unset.yaml:1:1: policy id 'pod-host-network-unset' is " \
           "defined twice (also in " in err
    assert "schemas/policies/kubernetes/pod-host-network-unset.yaml)" in err
    write_pack(repo / "packs" / "team", PACK_YAML.replace("acme-platform", "team"))  # the same policy as acme's
    (repo / "packs" / "acme" / "policies" / "kubernetes" / "pod-host-network-unset.yaml").unlink()
    (repo / CONFIG).write_text("extend: [./packs/acme, ./packs/team]\n", encoding="utf-8")
    err = fails(run_cli, "lint", "cm.yaml")
    assert f"packs/team/policies/kubernetes/{PACK_POLICY}.yaml:1:1: policy id '{PACK_POLICY}' is defined twice " \
           f"(also in {repo}/packs/acme/policies/kubernetes/{PACK_POLICY}.yaml)" in err


# --- a pack installed as a Python package --------------------------------------------------------------------------

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "1.2.0"

[project.entry-points."gitops_tools.policy_packs"]
{entry_point}

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
"""


def _distribution(root: Path, name: str, entry_point: str, pack: bool = True) -> Path:
    """A source tree of a distribution whose package raises when imported: finding its pack must not import it."""
    package = name.replace("-", "_")
    source = root / name
    (source / "src" / package).mkdir(parents=True)
    (source / "pyproject.toml").write_text(PYPROJECT.format(name=name, entry_point=entry_point, package=package),
                                           encoding="utf-8")
    (source / "src" / package / "__init__.py").write_text("raise RuntimeError('a pack\\'s code ran')\n", "utf-8")
    if pack:
        write_pack(source / "src" / package / "pack")
    return source


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of really installed distributions (pip, from source trees): a good pack, one whose entry point names
    an object, and one whose package holds no pack."""
    root = tmp_path_factory.mktemp("distributions")
    sources = [_distribution(root, "acme-policies", 'acme-platform = "acme_policies.pack"'),
               _distribution(root, "object-pack", 'object-pack = "object_pack:PACK"'),
               _distribution(root, "empty-pack", 'empty-pack = "empty_pack"', pack=False)]
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--no-build-isolation", "--target", str(root / "site"), *map(str, sources)],
                   check=True, capture_output=True)
    return root / "site"


def _run(repo: Path, site: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run([str(CONSOLE_SCRIPT), *argv], cwd=repo, env=env, capture_output=True, text=True,
                          check=False, timeout=60)


@pytest.mark.slow
def test_an_installed_pack_is_found_by_its_entry_point_without_running_its_code(repo: Path, site: Path) -> None:
    (repo / CONFIG).write_text("extend: [acme-platform]\n", encoding="utf-8")
    done = _run(repo, site, "lint", "cm.yaml")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith("cm.yaml:3:1: warning [acme-configmap-labels-set] configmap has no labels\n")
    explained = _run(repo, site, "explain", PACK_POLICY).stdout
    assert f"source: {site}/acme_policies/pack/policies/kubernetes/{PACK_POLICY}.yaml\n" in explained
    assert "pack: acme-platform 1.2.0\n" in explained
    listed = yaml.safe_load((next(site.glob("acme_policies-*.dist-info")) / "entry_points.txt").read_text()
                            .replace("[gitops_tools.policy_packs]", "").replace(" = ", ": "))
    assert listed == {"acme-platform": "acme_policies.pack"}  # a real installed distribution's metadata


@pytest.mark.slow
@pytest.mark.parametrize(("name", "expected"), [
    ("object-pack", "the entry point of pack 'object-pack' is 'object_pack:PACK'; a pack's entry point names the "
                    "package that holds its pack.yaml"),
    ("empty-pack", "pack 'empty-pack' names the package 'empty_pack', which has no pack.yaml"),
    ("acme", "no installed policy pack 'acme' (installed packs: acme-platform, empty-pack, object-pack)"),
])
def test_a_bad_installed_pack_is_a_config_error(repo: Path, site: Path, name: str, expected: str) -> None:
    (repo / CONFIG).write_text(f"extend: [{name}]\n", encoding="utf-8")
    done = _run(repo, site, "lint", "cm.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("gitops-tools: error: .gitops-tools.yaml:1:10: invalid config: extend: ")
    assert expected in done.stderr and "Traceback" not in done.stderr
