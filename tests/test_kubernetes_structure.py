"""kubernetes-structure-valid: built-in objects against their kind's schema at a Kubernetes version, every violation
at its own position; kinds without a schema are quiet; the schemas are read lazily, one kind at a time."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gitops_tools.checks import _kubernetes_schemas, kubernetes_structure
from gitops_tools.config import Config
from gitops_tools.errors import ConfigError
from gitops_tools.kubeversion import DEFAULT, KubernetesVersion
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.resources import schema_path

FIXTURES = Path(__file__).parent / "fixtures" / "kubernetes-structure"
POLICY = "kubernetes-structure-valid"
WORKLOADS = "apps/web/workloads.yaml"
BAD = [
    (WORKLOADS, 5, 1, POLICY),  # spec: without selector
    (WORKLOADS, 6, 3, POLICY),  # replicas: "2"
    (WORKLOADS, 11, 7, POLICY),  # containres
    (WORKLOADS, 17, 11, POLICY),  # imagePullPolice
    (WORKLOADS, 18, 11, POLICY),  # imagePullPolicy: Sometimes
    (WORKLOADS, 20, 15, POLICY),  # containerPort: "8080"
    (WORKLOADS, 26, 1, POLICY),  # ConfigMap data: as a list
    (WORKLOADS, 34, 3, POLICY),  # Service type: Internal
    (WORKLOADS, 40, 3, POLICY),  # sessionAfinity
]
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
       "spec": {"hostnameOverride": "web-0", "containers": [{"name": "c", "image": "nginx:1.27.3"}]}}


def structure(folder: Path, policies: dict[str, Policy]) -> list[tuple[str, int, int, str]]:
    result = lint([str(folder)], Config(root=folder), policies, LintOptions(select=(POLICY,)))
    return sorted((Path(f.location.path).relative_to(folder).as_posix(), f.location.line, f.location.col, f.policy_id)
                  for f in result.findings)


def test_the_good_repository_has_no_structure_finding(policies: dict[str, Policy]) -> None:
    assert structure(FIXTURES / "good", policies) == []


def test_the_bad_repository_has_each_violation_at_its_own_position(policies: dict[str, Policy]) -> None:
    assert structure(FIXTURES / "bad", policies) == BAD


def test_messages_are_the_validators(policies: dict[str, Policy]) -> None:
    folder = FIXTURES / "bad"
    result = lint([str(folder)], Config(root=folder), policies, LintOptions(select=(POLICY,)))
    messages = [f.message.removeprefix("the API server would refuse this object: ") for f in result.findings]
    assert "Additional properties are not allowed ('containres' was unexpected)" in messages
    assert '"selector" is a required property' in messages
    assert '"Sometimes" is not one of "Always", "Never" or 2 other candidates' in messages


def test_a_field_is_valid_from_the_version_that_added_it() -> None:
    """Pod `spec.hostnameOverride` came with Kubernetes 1.34."""
    assert list(kubernetes_structure.versioned_check(POD, KubernetesVersion(1, 34))) == []
    assert list(kubernetes_structure.versioned_check(POD, KubernetesVersion(1, 33))) == [
        (("spec", "hostnameOverride"), "Additional properties are not allowed ('hostnameOverride' was unexpected)")]


def test_the_runs_target_version_decides(tmp_path: Path, policies: dict[str, Policy]) -> None:
    """The same Pod is refused at 1.33 and valid from 1.34, by the run's --kubernetes-version."""
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(POD))
    spots = {minor: [(f.location.line, f.location.col) for f in lint(
        [str(tmp_path)], Config(root=tmp_path), policies,
        LintOptions(select=(POLICY,), kubernetes_version=KubernetesVersion(1, minor))).findings] for minor in (33, 34)}
    assert spots == {33: [(9, 3)], 34: []}  # hostnameOverride (safe_dump sorts the keys)


def test_at_least_the_last_six_minor_versions_are_there() -> None:
    versions = _kubernetes_schemas.versions()
    assert versions[-6:] == ("1.32", "1.33", "1.34", "1.35", "1.36", "1.37")
    assert str(DEFAULT) in versions


@pytest.mark.parametrize(("target", "used"), [("1.30", "1.30"), ("1.20", "1.25"), ("1.99", "1.37")])
def test_a_target_without_schemas_of_its_own_uses_the_closest(target: str, used: str) -> None:
    assert _kubernetes_schemas.closest(target) == used


def test_a_version_without_schemas_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"no schemas for Kubernetes 1\.99") as error:
        _kubernetes_schemas.validator("1.99", "v1", "Pod")
    assert "1.25" in error.value.details[0]


@pytest.mark.parametrize(("api_version", "kind"), [
    ("monitoring.coreos.com/v1", "ServiceMonitor"),  # a custom resource
    ("networking.istio.io/v1", "Ingress"),  # file names keep the group's first label only: networking-v1
    ("extensions/v1beta1", "Ingress"),  # removed long before 1.25
    ("v1", "../../_definitions"),  # no path out of the version's folder
    ("../v1", "ConfigMap"),
    ("v1", "Config\0Map"),
])
def test_kinds_without_a_schema_of_their_own_are_quiet(api_version: str, kind: str) -> None:
    assert _kubernetes_schemas.validator("1.35", api_version, kind) is None


def test_only_the_kinds_met_are_compiled(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n")
    _kubernetes_schemas.validator.cache_clear()
    lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions(select=(POLICY,)))
    info = _kubernetes_schemas.validator.cache_info()
    assert (info.misses, info.currsize) == (1, 1)


def test_every_enum_of_the_data_file_names_a_field_of_every_version() -> None:
    """schemas/resources/kubernetes_enums.yaml only adds values to fields that exist: a typo there would be silent."""
    import json

    enums = yaml.safe_load(schema_path("resources", "kubernetes_enums.yaml").read_text(encoding="utf-8"))
    for version in _kubernetes_schemas.versions():
        folder = _kubernetes_schemas.schema_root() / f"v{version}.0-local-strict"
        definitions = json.loads((folder / "_definitions.json").read_text(encoding="utf-8"))["$defs"]
        absent = [(name, field) for name, fields in enums.items() for field in fields
                  if field not in definitions.get(name, {}).get("properties", {})]
        assert absent == [], version


def test_a_kinds_schema_is_kept_in_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A one-file run reads the kind's self-contained schema from the cache instead of parsing every definition."""
    monkeypatch.setenv("GITOPS_TOOLS_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GITOPS_TOOLS_NO_CACHE", raising=False)
    made = _kubernetes_schemas._bundle("1.35", "deployment-apps-v1.json")
    stored = tmp_path / "kubernetes-schema-1.35-deployment-apps-v1.json.pickle"
    assert made is not None and stored.is_file()
    assert "io.k8s.api.core.v1.Container" in made["$defs"] and "io.k8s.api.core.v1.Service" not in made["$defs"]
    assert _kubernetes_schemas._bundle("1.35", "deployment-apps-v1.json") == made
    stored.write_bytes(b"damaged")  # a damaged cache is made again
    assert _kubernetes_schemas._bundle("1.35", "deployment-apps-v1.json") == made


def test_every_reference_of_a_kinds_schema_is_local() -> None:
    for api_version, kind in [("apps/v1", "Deployment"), ("batch/v1", "CronJob"), ("v1", "Pod")]:
        group = _kubernetes_schemas.FILE_GROUP.sub(r"\1-", api_version)
        name = f"{kind.lower()}-{group}.json"
        made = _kubernetes_schemas._bundle("1.35", name)
        refs = {ref for ref in _refs(made) if ref.removeprefix("#/$defs/") not in (made or {})["$defs"]}
        assert refs == set(), kind


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    return [ref for value in node for ref in _refs(value)] if isinstance(node, list) else []


def test_a_field_named_description_is_still_validated() -> None:
    """Descriptions are dropped from the kept schemas, but PriorityClass's `description` field is a field."""
    priority = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"},
                "value": 1000}
    assert list(kubernetes_structure.versioned_check({**priority, "description": "batch"}, DEFAULT)) == []
    assert [path for path, *_ in kubernetes_structure.versioned_check({**priority, "description": 5}, DEFAULT)] == [
        ("description",)]
