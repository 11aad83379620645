"""Policy parameters: declared in the policy file, used as whole schema nodes, overridden from the config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import git
import pytest
from conftest import CliRun

from gitops_tools.errors import ConfigError, PolicyError
from gitops_tools.model import Location, Policy
from gitops_tools.parameters import param_nodes, substitute, with_values
from gitops_tools.policies import load_policies

POLICY = """\
id: configmap-keys-limited
title: ConfigMaps hold few keys
severity: warning
message: configmap holds too many keys
targets:
  scope: document
  kinds: [ConfigMap]
parameters:
  max_keys:
    type: {type: integer, minimum: 1}
    default: 3
    description: The most keys a ConfigMap may hold.
schema:
  properties:
    data: {maxProperties: {$param: max_keys}}
docs: |
  A ConfigMap with many keys is a grab-bag that nobody owns; split it by the component that reads it.
examples:
  pass: ["kind: ConfigMap\\nmetadata: {name: a}\\ndata: {a: '1', b: '2'}\\n"]
  fail: ["kind: ConfigMap\\nmetadata: {name: a}\\ndata: {a: '1', b: '2', c: '3', d: '4'}\\n"]
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app}\ndata: {a: '1', b: '2'}\n"
USE = "    data: {maxProperties: {$param: max_keys}}\n"


def _repo(tmp_path: Path, config: str, policy: str = POLICY) -> None:
    """A real git repository holding a custom policy folder, a manifest and a config."""
    git.Repo.init(tmp_path)
    (tmp_path / "policies").mkdir(exist_ok=True)
    (tmp_path / "policies" / "configmap-keys-limited.yaml").write_text(policy, encoding="utf-8")
    (tmp_path / "app.yaml").write_text(CONFIGMAP, encoding="utf-8")
    (tmp_path / ".gitops-tools.yaml").write_text("policy_dirs: [policies]\n" + config, encoding="utf-8")


def test_substitute_replaces_whole_nodes_and_leaves_the_template_alone() -> None:
    template: dict[str, Any] = {"properties": {"a": {"minimum": {"$param": "low"}}, "b": {"enum": {"$param": "names"}}},
                "anyOf": [{"required": {"$param": "names"}}]}
    values = {"low": 2, "names": ["x", "y"]}
    schema = substitute(template, values)
    assert schema == {"properties": {"a": {"minimum": 2}, "b": {"enum": ["x", "y"]}},
                      "anyOf": [{"required": ["x", "y"]}]}
    assert template["properties"]["a"] == {"minimum": {"$param": "low"}}
    assert schema["properties"]["b"]["enum"] is not schema["anyOf"][0]["required"]  # each use is its own copy
    assert [path for path, _ in param_nodes(template)] == [("properties", "a", "minimum"),
                                                           ("properties", "b", "enum"), ("anyOf", 0, "required")]


def test_a_custom_policy_uses_its_default(tmp_path: Path) -> None:
    (tmp_path / "configmap-keys-limited.yaml").write_text(POLICY, encoding="utf-8")
    policy = load_policies([tmp_path])["configmap-keys-limited"]
    assert policy.schema == {"properties": {"data": {"maxProperties": 3}}}
    assert [(p.name, p.default) for p in policy.parameters] == [("max_keys", 3)]


@pytest.mark.parametrize(("old", "new", "line", "col", "message"), [
    pytest.param(USE, "    data: {maxProperties: {$param: max_key}}\n", 15, 12,
                 "{$param: max_key} names no declared parameter (declared: max_keys)", id="undeclared"),
    pytest.param(USE, "    data: {maxProperties: {$param: max_keys, minimum: 1}}\n", 15, 46,
                 "invalid policy: Additional properties are not allowed ('minimum' was unexpected)", id="sibling-key"),
    pytest.param(USE, "    data: {maxProperties: {$param: [max_keys]}}\n", 15, 28, "invalid policy", id="not-a-name"),
    pytest.param("    default: 3\n", "    default: 0\n", 11, 5,
                 "parameter 'max_keys': the default does not satisfy its type: 0 is less than the minimum of 1",
                 id="bad-default"),
    pytest.param(USE, "    data: {maxProperties: 3}\n", 9, 3,
                 "parameter 'max_keys' is declared but no `{$param: max_keys}` in the schema uses it", id="unused"),
    pytest.param("    type: {type: integer, minimum: 1}\n", "    type: {type: integr}\n", 10, 5,
                 "parameter 'max_keys': type: invalid JSON Schema", id="unsound-type"),
    pytest.param("  max_keys:\n", "  Max-Keys:\n", 8, 1, "invalid policy", id="bad-name"),
])
def test_a_bad_parameter_is_a_policy_error_at_its_position(tmp_path: Path, old: str, new: str, line: int, col: int,
                                                            message: str) -> None:
    assert old in POLICY
    path = tmp_path / "configmap-keys-limited.yaml"
    path.write_text(POLICY.replace(old, new), encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        load_policies([tmp_path])
    assert caught.value.message.startswith(message)
    assert caught.value.location is not None
    assert (caught.value.location.path, caught.value.location.line, caught.value.location.col) == (str(path), line, col)


def test_the_config_overrides_a_custom_policy_parameter_via_the_cli(tmp_path: Path, run_cli: CliRun) -> None:
    _repo(tmp_path, "")
    assert run_cli("lint", "app.yaml")[0] == 0  # two keys: within the default of 3
    _repo(tmp_path, "policies:\n  configmap-keys-limited:\n    parameters:\n      max_keys: 1\n")
    code, out, _ = run_cli("lint", "app.yaml")
    assert code == 1
    assert "app.yaml:4:1: warning [configmap-keys-limited] configmap holds too many keys" in out
    _repo(tmp_path, "policies:\n  configmap-keys-limited:\n    parameters: {max_keys: 2}\n")
    assert run_cli("lint", "app.yaml")[0] == 0


@pytest.mark.parametrize(("parameters", "position", "message"), [
    pytest.param("{max_keys: many}", "4:18",
                 "parameter 'max_keys' of 'configmap-keys-limited': \"many\" is not of type \"integer\"",
                 id="wrong-type"),
    pytest.param("{max_keys: 0}", "4:18", "0 is less than the minimum of 1", id="out-of-range"),
    pytest.param("{max_key: 2}", "4:18", "policy 'configmap-keys-limited' has no parameter 'max_key' (its parameters: "
                 "max_keys)", id="unknown-name"),
    pytest.param("[2]", "4:5", "invalid config: policies.configmap-keys-limited.parameters: [2] is not of type "
                 "\"object\"", id="not-a-mapping"),
])
def test_a_bad_override_is_a_config_error_at_its_position(tmp_path: Path, run_cli: CliRun, parameters: str,
                                                          position: str, message: str) -> None:
    _repo(tmp_path, f"policies:\n  configmap-keys-limited:\n    parameters: {parameters}\n")
    code, out, err = run_cli("lint", "app.yaml")
    assert code == 2
    assert out == ""
    assert err.startswith(f"gitops-tools: error: .gitops-tools.yaml:{position}: ")
    assert message in err
    assert "Traceback" not in err


def test_an_override_is_located_down_to_the_list_item(tmp_path: Path, run_cli: CliRun) -> None:
    _repo(tmp_path, "policies:\n  recommended-labels-set:\n    parameters:\n      labels:\n        - team\n"
                    "        - 3\n")
    code, _, err = run_cli("lint", "app.yaml")
    assert code == 2
    assert err.startswith("gitops-tools: error: .gitops-tools.yaml:7:11: "
                          "parameter 'labels' of 'recommended-labels-set'[1]: 3 is not of type \"string\"")


def test_an_override_that_breaks_the_schema_is_refused(tmp_path: Path, run_cli: CliRun) -> None:
    policy = POLICY.replace("type: {type: integer, minimum: 1}", "type: {type: string}").replace(
        "default: 3", "default: '^a'").replace(USE, "    data: {propertyNames: {pattern: {$param: max_keys}}}\n")
    policy = policy.replace("data: {a: '1', b: '2'}", "data: {a: '1'}").replace("data: {a: '1', b: '2', c: '3', "
                                                                                "d: '4'}", "data: {b: '1'}")
    _repo(tmp_path, "policies:\n  configmap-keys-limited:\n    parameters: {max_keys: '(?=a)'}\n", policy)
    code, _, err = run_cli("lint", "app.yaml")
    assert code == 2
    assert err.startswith("gitops-tools: error: .gitops-tools.yaml:4:18: these parameters make the schema of "
                          "'configmap-keys-limited' unusable")
    assert "is not a \"regex\"" in err


@pytest.mark.parametrize(("config", "manifest", "expected"), [
    pytest.param("workload-replicas-not-single:\n    parameters: {min_replicas: 3}",
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {replicas: 2}\n",
                 "[workload-replicas-not-single] workload runs fewer replicas than the minimum", id="min-replicas"),
    pytest.param("recommended-labels-set:\n    parameters: {labels: [team]}",
                 "apiVersion: v1\nkind: Service\nmetadata: {name: web, labels: {app.kubernetes.io/name: web}}\n",
                 "[recommended-labels-set] recommended labels missing: team", id="labels"),
])
def test_built_in_parameters_are_overridden_from_the_config(tmp_path: Path, run_cli: CliRun, config: str,
                                                            manifest: str, expected: str) -> None:
    _repo(tmp_path, f"policies:\n  {config}\n")
    (tmp_path / "app.yaml").write_text(manifest, encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", expected[1:].split("]")[0], "app.yaml")
    assert code == 1
    assert expected in out


@pytest.mark.parametrize(("policy_id", "values", "manifest_value", "findings"), [
    ("container-capabilities-no-dangerous-add", {"allowed": ["NET_ADMIN"]}, "NET_ADMIN", 0),
    ("container-capabilities-no-dangerous-add", {"allowed": ["NET_ADMIN"]}, "SYS_ADMIN", 1),
])
def test_allow_lists_let_named_values_through(policies: dict[str, Policy], policy_id: str, values: dict[str, list[str]],
                                              manifest_value: str, findings: int) -> None:
    from gitops_tools.validation import SchemaEvaluator

    policy = policies[policy_id]
    policy = with_values(policy, values, lambda where: Location("config")) if values else policy
    instance: dict[str, Any] = {"securityContext": {"capabilities": {"add": [manifest_value]}}}
    assert policy.schema is not None
    assert len(list(SchemaEvaluator(policy.schema).violations(instance))) == findings


def test_with_values_leaves_the_loaded_policy_alone(policies: dict[str, Policy]) -> None:
    policy = policies["workload-replicas-not-single"]
    changed = with_values(policy, {"min_replicas": 4}, lambda where: Location("config"))
    assert "minimum': 4" in str(changed.schema)
    assert "minimum': 2" in str(policy.schema)
    with pytest.raises(ConfigError, match="no parameter 'replicas'"):
        with_values(policy, {"replicas": 4}, lambda where: Location("config"))


def test_explain_and_the_catalogue_show_parameters_with_defaults(run_cli: CliRun) -> None:
    code, out, _ = run_cli("explain", "recommended-labels-set")
    assert code == 0
    assert "Parameters (override under policies.recommended-labels-set.parameters in .gitops-tools.yaml):" in out
    assert '  `labels` (default `["app.kubernetes.io/name", "app.kubernetes.io/instance"]`): The labels' in out
    markdown = run_cli("rules", "--format", "markdown")[1]
    assert "- `min_replicas` (default `2`): The fewest replicas" in markdown
