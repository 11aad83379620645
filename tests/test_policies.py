"""The policy catalogue: every file is valid, and its examples pass and fail as documented."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CliRun

from gitops_tools.checks import BUILTIN_SOURCES, document_checks, repository_modules, workspace_modules
from gitops_tools.errors import PolicyError
from gitops_tools.examples import check_examples, example_findings
from gitops_tools.model import Location, Policy
from gitops_tools.policies import BUILTIN_POLICY_DIR, load_policies, policy_files
from gitops_tools.schemacheck import check_schema

ROOT = Path(__file__).resolve().parent.parent
POLICY_FILES = policy_files(BUILTIN_POLICY_DIR)
CATALOGUE = load_policies()
EXAMPLES = [
    pytest.param(policy_id, verdict, index, example, id=f"{policy_id}-{verdict}-{index}")
    for policy_id, policy in sorted(CATALOGUE.items())
    for verdict in ("pass", "fail")
    for index, example in enumerate(policy.examples[verdict])
]


def test_catalogue_has_the_issue_minimum_of_kubernetes_policies() -> None:
    kubernetes = [p for p in CATALOGUE.values() if "/kubernetes/" in p.source]
    assert len(kubernetes) >= 35


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.stem)
def test_policy_file_is_named_after_its_id(path: Path) -> None:
    assert CATALOGUE[path.stem].source == str(path)


@pytest.mark.parametrize("policy", CATALOGUE.values(), ids=lambda p: p.id)
def test_coded_checks_exist(policy: Policy) -> None:
    assert policy.check is None or policy.check in {*document_checks(), *workspace_modules(), *repository_modules(),
                                                    *BUILTIN_SOURCES}


@pytest.mark.parametrize(("policy_id", "verdict", "index", "example"), EXAMPLES)
def test_example(tmp_path: Path, policy_id: str, verdict: str, index: int, example: Any) -> None:
    findings = example_findings(CATALOGUE[policy_id], CATALOGUE, example, tmp_path)
    assert {f.policy_id for f in findings} <= {policy_id}
    if verdict == "pass":
        assert findings == []
        return
    assert findings, f"{policy_id}: failing example {index} produced no finding"
    for finding in findings:  # each in its own file (a workspace check's example has several)
        path = tmp_path / finding.location.path
        lines = max(1, path.read_bytes().count(b"\n") + 1) if path.is_file() else 1  # never open a FIFO example
        assert 1 <= finding.location.line <= lines
        assert finding.location.col >= 1


def test_check_examples_reports_a_policy_whose_examples_disagree() -> None:
    policy = CATALOGUE["container-memory-limit-set"]._replace(
        examples={"pass": CATALOGUE["container-memory-limit-set"].examples["fail"][:1],
                  "fail": CATALOGUE["container-memory-limit-set"].examples["pass"][:1]})
    failures = [str(f) for f in check_examples({policy.id: policy})]
    assert failures == [
        "container-memory-limit-set: pass example 1: gave example.yaml:12:11: container has no memory limit",
        "container-memory-limit-set: fail example 1: gave no finding",
    ]


def test_invalid_policy_is_reported_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "bad-policy.yaml").write_text("id: bad-policy\ntitle: x\nseverity: fatal\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert caught.value.location is not None
    assert caught.value.location.path.endswith("bad-policy.yaml")


def test_policy_id_must_match_file_name(tmp_path: Path) -> None:
    text = Path(CATALOGUE["container-memory-limit-set"].source).read_text(encoding="utf-8")
    (tmp_path / "other-name.yaml").write_text(text.replace("id: container-memory-limit-set", "id: other"), "utf-8")
    with pytest.raises(PolicyError, match="must equal the file name"):
        load_policies([tmp_path])


def test_duplicate_policy_id_across_directories_is_an_error(tmp_path: Path) -> None:
    source = Path(CATALOGUE["container-memory-limit-set"].source)
    (tmp_path / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(PolicyError, match="defined twice"):
        load_policies([tmp_path])


def test_remote_ref_in_policy_schema_is_refused(tmp_path: Path) -> None:
    text = Path(CATALOGUE["container-memory-limit-set"].source).read_text(encoding="utf-8")
    text = text.replace("id: container-memory-limit-set", "id: remote-ref")
    text = text.replace("schema:\n", "schema:\n  $ref: https://example.com/evil.json\n", 1)
    (tmp_path / "remote-ref.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="not local") as caught:
        load_policies([tmp_path])
    schema_line = text.splitlines().index("schema:") + 1
    assert caught.value.location == Location(str(tmp_path / "remote-ref.yaml"), schema_line, 1)


@pytest.mark.parametrize("policy", [p for p in CATALOGUE.values() if p.schema is not None], ids=lambda p: p.id)
def test_builtin_schema_is_valid_and_local(policy: Policy) -> None:
    check_schema(policy.schema if policy.schema is not None else True)


def test_every_loader_problem_id_has_a_policy_file() -> None:
    package = Path(__file__).resolve().parent.parent / "gitops_tools"
    source = "\n".join(path.read_text(encoding="utf-8") for path in package.rglob("*.py"))
    emitted = set(re.findall(r'Problem\(\s*"([a-z0-9-]+)"', source))
    emitted |= set(re.findall(r'_located\(\s*"([a-z0-9-]+)"', source))
    assert emitted, "the pattern no longer finds where problems are made"
    assert emitted <= set(CATALOGUE), f"no policy file for {sorted(emitted - set(CATALOGUE))}"


CUSTOM_POLICY = """\
id: team-config-owner-set
title: ConfigMaps name their owner
severity: warning
message: configmap has no owner label
targets:
  scope: document
  kinds: [ConfigMap]
schema:
  required: [metadata]
docs: |
  Every ConfigMap carries labels so that the team that owns it can be found from the object alone.
examples:
  pass: ["kind: ConfigMap\\nmetadata: {name: a}\\n"]
  fail: ["kind: ConfigMap\\n"]
"""
SCHEMA = "schema:\n  required: [metadata]\n"
FILE_SCOPE = "  scope: file\n"
FILE_ONLY = "scope 'file' is only for the built-in loader and exemption checks"


@pytest.mark.parametrize(
    ("replacements", "line", "message"),
    [
        pytest.param({SCHEMA: "check: nope\n"}, 8, "unknown check 'nope'; coded checks are: "
                     "action_schema, alert_names_unique",
                     id="unknown-check"),
        pytest.param({SCHEMA: "check: loader\n"}, 8, "unknown check 'loader'; coded checks are: "
                     "action_schema, alert_names_unique",
                     id="loader-check"),
        pytest.param({SCHEMA: "check: exemptions\n"}, 8, "unknown check 'exemptions'", id="exemptions-check"),
        pytest.param({"  scope: document\n  kinds: [ConfigMap]\n": FILE_SCOPE}, 7, FILE_ONLY, id="file-scope-schema"),
        pytest.param({"  scope: document\n  kinds: [ConfigMap]\n": FILE_SCOPE, SCHEMA: "check: env_names_unique\n"}, 7,
                     FILE_ONLY, id="file-scope-coded-check"),
    ],
)
def test_a_custom_policy_cannot_use_the_loader_or_an_unknown_check(tmp_path: Path, run_cli: CliRun,
                                                                   replacements: dict[str, str], line: int,
                                                                   message: str) -> None:
    text = CUSTOM_POLICY
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "team-config-owner-set.yaml").write_text(text, encoding="utf-8")
    (tmp_path / ".gitops-tools.yaml").write_text("policy_dirs: [mine]\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([folder])
    path = str(folder / "team-config-owner-set.yaml")
    assert caught.value.location == Location(path, line, 1)
    assert caught.value.message.startswith(message)
    code, out, err = run_cli("lint", "cm.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {(tmp_path / 'mine' / 'team-config-owner-set.yaml').resolve()}:"
                          f"{line}:1: {message}")


def test_a_custom_policy_may_use_a_coded_check(tmp_path: Path) -> None:
    text = CUSTOM_POLICY.replace(SCHEMA, "check: env_names_unique\n").replace("kinds: [ConfigMap]", "kinds: [Pod]")
    (tmp_path / "team-config-owner-set.yaml").write_text(text.replace("  scope: document", "  scope: container"),
                                                         encoding="utf-8")
    policy = load_policies([tmp_path])["team-config-owner-set"]
    assert (policy.check, policy.schema, policy.targets.scope) == ("env_names_unique", None, "container")


# --- custom policies from a repository are untrusted input ----------------------------------------------------------


# Each link of the chain doubles the subschemas applied to one value: 2**12 in all.
ANYOF_CHAIN = "schema:\n  $defs:\n" + "".join(
    f"    d{i}: {{anyOf: [{{$ref: '#/$defs/d{i + 1}'}}, {{$ref: '#/$defs/d{i + 1}'}}]}}\n" for i in range(12)
) + "    d12: {type: 'null'}\n  $ref: '#/$defs/d0'\n"


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        pytest.param("schema:\n  $ref: '#/$defs/nowhere'\n", "$ref '#/$defs/nowhere' points nowhere: the schema has "
                     "no '/$defs/nowhere'", id="ref-points-nowhere"),
        pytest.param("schema:\n  $ref: '#missing-anchor'\n", "$ref '#missing-anchor' names no $anchor in the schema",
                     id="ref-to-a-missing-anchor"),
        pytest.param("schema:\n  $ref: '#'\n", "$ref loop: # -> # evaluates the same value forever",
                     id="ref-to-itself"),
        pytest.param("schema:\n  $defs:\n    a: {$ref: '#/$defs/b'}\n    b: {allOf: [{$ref: '#/$defs/a'}]}\n"
                     "  $ref: '#/$defs/a'\n",
                     "$ref loop: #/$defs/a -> #/$defs/b -> #/$defs/b/allOf/0 -> #/$defs/a", id="ref-loop-via-allof"),
        pytest.param("schema:\n  $ref: 'https://example.com/s.json'\n", "$ref 'https://example.com/s.json' is not "
                     "local", id="remote-ref"),
        pytest.param("schema:\n  properties: {name: {pattern: '(?P<x>a)(?P=x)'}}\n", "the schema cannot be compiled:",
                     id="python-only-pattern-syntax"),
        pytest.param("schema:\n  properties: {name: {pattern: '^(?!kube-)'}}\n", "the schema cannot be compiled:",
                     id="look-around-needs-backtracking"),
        pytest.param(ANYOF_CHAIN, "# applies more than 1000 subschemas to one value", id="anyof-chain-2-to-the-12"),
        pytest.param("schema:\n  required: [x]\n  properties: {a: {$ref: '#'}}\n"
                     "  patternProperties: {'^a$': {$ref: '#'}}\n",
                     "# applies its recursion twice to one child (key a)", id="recursion-twice-per-child"),
        pytest.param("schema:\n  items: {$ref: '#'}\n  contains: {$ref: '#'}\n",
                     "# applies its recursion twice to one child (item *)", id="recursion-twice-per-item"),
        pytest.param("schema:\n  $defs: {a: {$id: 'https://x/a', type: object}}\n",
                     "$id at #/$defs/a: a nested $id changes", id="nested-id"),
    ],
)
def test_a_custom_schema_that_cannot_be_evaluated_is_refused_naming_the_policy_file(
        tmp_path: Path, run_cli: CliRun, schema: str, message: str) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "team-config-owner-set.yaml").write_text(CUSTOM_POLICY.replace(SCHEMA, schema), encoding="utf-8")
    (tmp_path / ".gitops-tools.yaml").write_text("policy_dirs: [mine]\n", encoding="utf-8")
    (tmp_path / "cm.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
    code, out, err = run_cli("lint", "cm.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {(folder / 'team-config-owner-set.yaml').resolve()}:8:1: {message}")


@pytest.mark.parametrize(
    "schema",
    [
        {"$defs": {"tree": {"properties": {"children": {"items": {"$ref": "#/$defs/tree"}}}}}, "$ref": "#/$defs/tree"},
        {"properties": {"left": {"$ref": "#"}, "right": {"$ref": "#"}}},  # a binary tree: each child recursed once
        {"anyOf": [{"type": "string"}, {"items": {"$ref": "#"}}]},  # nested lists of strings
        {"allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/a"}], "$defs": {"a": {"type": "object"}}},  # no recursion
    ],
    ids=["tree", "binary-tree", "nested-lists", "one-subschema-twice"],
)
def test_recursive_and_combined_schemas_within_bounds_are_sound(schema: dict[str, Any]) -> None:
    check_schema(schema)


@pytest.mark.parametrize(
    ("example", "field"),
    [
        pytest.param({"filename": "../escape.yaml", "text": "a: 1\n"}, "filename", id="dot-dot"),
        pytest.param({"filename": "sub/../../escape.yaml", "text": "a: 1\n"}, "filename", id="dot-dot-inside"),
        pytest.param({"filename": "/tmp/escape.yaml", "text": "a: 1\n"}, "filename", id="absolute"),
        pytest.param({"symlink": "/etc/hostname"}, "symlink", id="absolute-symlink"),
        pytest.param({"filename": "a/link.yaml", "symlink": "../../outside.yaml"}, "symlink", id="symlink-climbs-out"),
        pytest.param({"text": "a: 1\n", "lint": "../.."}, "lint", id="lint-outside"),
    ],
)
def test_an_example_that_leaves_its_folder_is_refused_before_anything_is_written(
        tmp_path: Path, run_cli: CliRun, example: dict[str, str], field: str) -> None:
    """The meta-schema refuses these when the policy is loaded; the code that writes refuses them again."""
    work = tmp_path / "work"
    work.mkdir()
    policy = CATALOGUE["container-memory-limit-set"]._replace(examples={"pass": [example], "fail": []})
    with pytest.raises(PolicyError) as caught:
        example_findings(policy, CATALOGUE, example, work)
    assert f"example {field} " in caught.value.message
    assert "leaves the example's folder" in caught.value.message
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["work"]
    text = CUSTOM_POLICY.replace('fail: ["kind: ConfigMap\\n"]', "fail:\n    - " + json.dumps(example))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "team-config-owner-set.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli("rules", "--check", "--policy-dir", "mine")
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: mine/team-config-owner-set.yaml:")
    if ".." in example.get("symlink", ""):  # only the writer can tell where a relative link leads
        assert "example symlink '../../outside.yaml' leaves the example's folder" in err  # the writer's check
    else:
        assert "invalid policy: " in err  # the meta-schema's check
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["mine", "team-config-owner-set.yaml", "work"]


@pytest.mark.parametrize("policy_dirs", ["[/]", "['..']", "[../elsewhere]", "[link]"],
                         ids=["root", "parent", "sibling", "symlink-out"])
def test_a_config_cannot_name_policy_dirs_outside_its_repository(tmp_path: Path, run_cli: CliRun,
                                                                 policy_dirs: str) -> None:
    """A config in a pull request must not make the linter read (and echo) any folder of the CI machine."""
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "team-config-owner-set.yaml").write_text(CUSTOM_POLICY, encoding="utf-8")
    (repo / "link").symlink_to(tmp_path / "elsewhere")
    (repo / ".gitops-tools.yaml").write_text(f"policy_dirs: {policy_dirs}\n", encoding="utf-8")
    (repo / "cm.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
    code, out, err = run_cli("lint", "repo/cm.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: repo/.gitops-tools.yaml:1:")
    assert f"is outside the repository {repo}: a config may only name folders inside it (give others with " \
           "--policy-dir)" in err


def test_policy_dir_on_the_command_line_may_be_anywhere(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "repo").mkdir()
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "team-config-owner-set.yaml").write_text(CUSTOM_POLICY, encoding="utf-8")
    (tmp_path / "repo" / "cm.yaml").write_text("kind: ConfigMap\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "--policy-dir", "shared", "--select", "team-config-owner-set", "repo/cm.yaml")
    assert (code, out.splitlines()[0]) == (1, "repo/cm.yaml:1:1: warning [team-config-owner-set] configmap has no "
                                              "owner label")


def test_a_policy_file_linking_out_of_its_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("id: x\n", encoding="utf-8")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "leak.yaml").symlink_to(tmp_path / "secret.yaml")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path / "mine"])
    assert caught.value.message == f"{tmp_path / 'mine' / 'leak.yaml'} links outside its policy directory " \
                                   f"{tmp_path / 'mine'}; not read"


def test_an_empty_policy_file_says_it_is_empty(tmp_path: Path) -> None:
    (tmp_path / "empty.yaml").write_text("\n", encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert caught.value.message == f"policy file {tmp_path / 'empty.yaml'} is empty"


@pytest.mark.parametrize(
    ("example", "message"),
    [
        pytest.param({"base64": "!!!not base64"}, "example base64 is not base64", id="bad-base64"),
        pytest.param({"text": "a: 1\n", "lint": "nowhere"}, "example lint folder 'nowhere' is not a folder",
                     id="lint-folder-missing"),
    ],
)
def test_a_broken_example_is_exit_2_naming_the_policy(tmp_path: Path, run_cli: CliRun, example: dict[str, str],
                                                      message: str) -> None:
    text = CUSTOM_POLICY.replace('fail: ["kind: ConfigMap\\n"]', "fail:\n    - " + json.dumps(example))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "team-config-owner-set.yaml").write_text(text, encoding="utf-8")
    code, out, err = run_cli("rules", "--check", "--policy-dir", "mine")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: mine/team-config-owner-set.yaml:1:1: {message}")


CONTAINER_NAMED_DEBUG_POLICY = """\
id: team-no-debug-containers
title: No container is named debug
severity: warning
message: a container named debug
targets:
  scope: container
check: no_debug_name
docs: A coded check added as one file to a copy of the package.
examples:
  pass: ["apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\nspec: {containers: [{name: app, image: a:1}]}\\n"]
  fail: ["apiVersion: v1\\nkind: Pod\\nmetadata: {name: p}\\nspec: {containers: [{name: debug, image: a:1}]}\\n"]
"""
NO_DEBUG_CHECK = '''\
def check(container):
    if isinstance(container, dict) and container.get("name") == "debug":
        yield ("name",), "rename it"
'''


@pytest.mark.slow
def test_a_coded_check_is_added_by_adding_one_file(tmp_path: Path) -> None:
    """In a copy of the package, one new module in checks/ is a check a policy can name: nothing else is edited."""
    copy = tmp_path / "copy"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gitops_tools", copy / "gitops_tools", ignore=ignore)
    shutil.copytree(ROOT / "schemas", copy / "schemas", ignore=ignore)
    (copy / "gitops_tools" / "checks" / "no_debug_name.py").write_text(NO_DEBUG_CHECK, encoding="utf-8")
    work = tmp_path / "work"
    (work / "policies").mkdir(parents=True)
    (work / "policies" / "team-no-debug-containers.yaml").write_text(CONTAINER_NAMED_DEBUG_POLICY, encoding="utf-8")
    (work / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n"
                                   "spec:\n  containers:\n    - name: debug\n      image: a:1\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "GITOPS_TOOLS_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "--policy-dir", "policies",
                           "--select", "team-no-debug-containers", "pod.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("pod.yaml:6:7: warning [team-no-debug-containers] a container named debug: rename "
                                  "it\n"), done.stdout
