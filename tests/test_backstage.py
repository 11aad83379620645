"""The backstage domain: a realistic good repository lints clean, a bad one gets every policy of the domain at its
exact line (and the engine's identity check on a duplicate entity); every structure error is reported at its own
position; placeholders read as text; the vendored catalog model is the one recorded; a run without entities never
loads it; and check-jsonschema, given the same schemas, agrees with our structure verdicts."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ToolFinder, folder_spots

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "backstage"
VENDOR = ROOT / "schemas" / "vendor"
BAD = [
    ("catalog-info.yaml", 5, 3, "catalog-entity-name-valid"),  # name: orders api
    ("catalog-info.yaml", 6, 3, "catalog-annotations-set"),  # no kubernetes-label-selector
    ("catalog-info.yaml", 10, 10, "catalog-entity-name-valid"),  # tags: [Python]
    ("catalog-info.yaml", 11, 1, "catalog-system-set"),
    ("catalog-info.yaml", 12, 3, "catalog-type-allowed"),  # microservice
    ("catalog-info.yaml", 13, 3, "catalog-lifecycle-allowed"),  # prod
    ("catalog-info.yaml", 14, 3, "catalog-owner-reference-valid"),  # Orders Team
    ("catalog-info.yaml", 15, 18, "catalog-references-well-formed"),  # providesApis: [component:...]
    ("catalog-info.yaml", 16, 3, "catalog-entity-structure-valid"),  # dependsOn: a string
    ("catalog-info.yaml", 30, 3, "manifest-identity-unique-in-unit"),  # Resource orders-db again
    ("catalog/shop.yaml", 3, 1, "catalog-entity-structure-valid"),  # kind: Sytem
    ("catalog/shop.yaml", 13, 3, "catalog-entity-name-valid"),  # namespace: Shop
    ("catalog/shop.yaml", 18, 14, "catalog-references-well-formed"),  # memberOf: [user:...]
    ("templates/service/template.yaml", 8, 3, "catalog-owner-reference-valid"),  # platform team
    ("templates/service/template.yaml", 10, 7, "catalog-entity-structure-valid"),  # a step without `action`
]
COMPONENT = ("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: orders-api\n"
             "spec:\n  type: service\n  lifecycle: production\n  owner: team-orders\n  system: shop\n")
API = ("apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: orders-api\nspec:\n  type: openapi\n"
       "  lifecycle: production\n  owner: team-orders\n  system: shop\n  definition:\n")


def test_the_good_repository_lints_clean(policies: dict[str, Policy]) -> None:
    assert folder_spots(FIXTURES / "good", policies) == []


def test_the_bad_repository_has_every_finding_at_its_line(policies: dict[str, Policy]) -> None:
    assert folder_spots(FIXTURES / "bad", policies) == BAD


def test_every_backstage_policy_fires_in_the_bad_repository(policies: dict[str, Policy]) -> None:
    domain = {p.id for p in policies.values() if p.domain == "backstage"}
    assert len(domain) == 8
    assert {policy_id for *_, policy_id in BAD} == domain | {"manifest-identity-unique-in-unit"}


def test_every_structure_error_is_reported_at_its_own_position(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "catalog-info.yaml").write_text(
        COMPONENT.replace("  lifecycle: production\n", "") + "  providesApis: orders-api\n"
        "  dependsOn: [resource:orders-db, 7]\nrelations: [{type: ownedBy}]\n", encoding="utf-8")
    result = lint([str(tmp_path)], Config(root=tmp_path), policies,
                  LintOptions(select=("catalog-entity-structure-valid",)))
    assert [(f.location.line, f.location.col, f.message.partition(": ")[2]) for f in result.findings] == [
        (5, 1, '"lifecycle" is a required property'),
        (9, 3, '"orders-api" is not of type "array"'),
        (10, 35, '7 is not of type "string"'),
        (11, 13, '"targetRef" is a required property')]


def test_a_document_that_is_no_mapping_is_no_entity_and_an_empty_one_is_skipped(
        tmp_path: Path, policies: dict[str, Policy]) -> None:
    """As Backstage reads a catalog file: a list or a text is an error, an empty document (`---` twice) none."""
    (tmp_path / "catalog-info.yaml").write_text(COMPONENT + "---\n---\n- orders-api\n---\njust text\n",
                                                encoding="utf-8")
    result = lint([str(tmp_path)], Config(root=tmp_path), policies,
                  LintOptions(select=("catalog-entity-structure-valid",)))
    assert [(f.location.line, f.message.partition(": ")[2]) for f in result.findings] == [
        (12, '["orders-api"] is not of type "object"'), (14, '"just text" is not of type "object"')]


def test_a_placeholder_reads_as_text(tmp_path: Path, policies: dict[str, Policy]) -> None:
    second = API.replace("name: orders-api", "name: orders-events")
    (tmp_path / "catalog-info.yaml").write_text(API + "    $text: ./openapi.yaml\n---\n" + second + "    text: no\n",
                                                encoding="utf-8")
    assert folder_spots(tmp_path, policies) == [("catalog-info.yaml", 22, 3, "catalog-entity-structure-valid")]


def test_an_entity_outside_catalog_info_is_found_by_its_api_version(tmp_path: Path,
                                                                     policies: dict[str, Policy]) -> None:
    (tmp_path / "org").mkdir()
    api = API.replace("lifecycle: production", "lifecycle: beta") + "    $text: ./openapi.yaml\n"
    (tmp_path / "org" / "teams.yaml").write_text(api, encoding="utf-8")
    other = api.replace("backstage.io/v1alpha1", "acme.io/v1")  # no entity: no catalog policy
    (tmp_path / "org" / "other.yaml").write_text(other, encoding="utf-8")
    assert folder_spots(tmp_path, policies) == [
        ("org/other.yaml", 1, 1, "custom-resource-schema-known"),  # a Kubernetes object of a kind no CRD defines
        ("org/teams.yaml", 7, 3, "catalog-lifecycle-allowed")]


def test_an_entity_is_no_kubernetes_resource(tmp_path: Path, policies: dict[str, Policy]) -> None:
    """Kubernetes policies that look at every kind (recommended labels, a namespace) do not see entities."""
    (tmp_path / "catalog-info.yaml").write_text(COMPONENT, encoding="utf-8")
    result = lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions(domains=("kubernetes",)))
    assert result.findings == [] and result.documents == 1


def test_the_vendored_catalog_model_is_the_recorded_one() -> None:
    source = (VENDOR / "backstage-catalog.SOURCE").read_text(encoding="utf-8")
    recorded = dict((name, digest) for digest, name in re.findall(r"([0-9a-f]{64})\s+(\S+\.json)", source))
    folder = VENDOR / "backstage-catalog"
    assert recorded == {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
                        for path in folder.rglob("*.json")}
    assert "Apache License 2.0" in source and "catalog-model 1.10.3" in source and "scaffolder-common 2.4.0" in source
    assert "Apache License" in (VENDOR / "backstage-catalog.LICENSE").read_text(encoding="utf-8")


@pytest.mark.parametrize(("name", "text", "loaded"), [
    ("deploy.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: web}\ndata: {a: b}\n", False),
    ("catalog-info.yaml", COMPONENT, True)])
def test_only_a_run_with_an_entity_loads_the_catalog_model(tmp_path: Path, name: str, text: str,
                                                           loaded: bool) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    probe = ("import io, sys; from gitops_tools.cli import main; main(['lint', sys.argv[1]], io.StringIO()); "
             "print('gitops_tools.checks._catalog_model' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe, name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(loaded)]


# --- differential: check-jsonschema with the same schemas ---------------------------------------------------------

def _entities() -> list[tuple[str, dict[str, Any]]]:
    """Every entity of the fixtures and of the structure policy's examples whose kind has a schema (which schema an
    entity gets is Backstage's code, not a schema: a misspelt kind is left out), each named, placeholders
    substituted with the file they name, as Backstage does before it validates."""
    found = []
    for path in sorted(FIXTURES.rglob("*.yaml")):
        for index, entity in enumerate(yaml.safe_load_all(path.read_text(encoding="utf-8"))):
            found.append((f"{path.relative_to(FIXTURES).as_posix()}#{index}", entity))
    policy = yaml.safe_load((ROOT / "schemas/policies/backstage/catalog-entity-structure-valid.yaml").read_text(
        encoding="utf-8"))
    for verdict in ("pass", "fail"):
        for index, example in enumerate(policy["examples"][verdict]):
            found.append((f"example-{verdict}-{index}", yaml.safe_load(example["text"])))
    kinds = _kind_schemas()
    return [(name, _substituted(entity, FIXTURES / name.split("/")[0])) for name, entity in found
            if isinstance(entity, dict) and entity.get("kind") in kinds]


def _kind_schemas() -> dict[str, str]:
    """Each kind's schema file, by kind (`Template` -> `Template.v1beta3.schema.json`)."""
    return {path.name.split(".")[0]: path.name for path in (VENDOR / "backstage-catalog" / "kinds").glob("*.json")}


def _substituted(entity: dict[str, Any], folder: Path) -> dict[str, Any]:
    spec = entity.get("spec")
    if isinstance(spec, dict) and isinstance(spec.get("definition"), dict):
        spec["definition"] = (folder / spec["definition"]["$text"]).read_text(encoding="utf-8")
    return entity


def _schemas(tmp_path: Path) -> Path:
    """The vendored schemas where check-jsonschema resolves their relative references: each named by its `$id`
    (`Entity`, `EntityMeta`, `common`) in the folder it runs in."""
    folder = tmp_path / "schemas"
    folder.mkdir()
    for path in (VENDOR / "backstage-catalog").rglob("*.json"):
        schema_id = json.loads(path.read_text(encoding="utf-8"))["$id"]
        shutil.copy(path, folder / (path.name if "kinds" in path.parts else schema_id))
    return folder


def test_structure_verdicts_agree_with_check_jsonschema(tmp_path: Path, policies: dict[str, Policy],
                                                        external_tool: ToolFinder) -> None:
    checker = external_tool("check-jsonschema")
    schemas, kinds = _schemas(tmp_path), _kind_schemas()
    ours, theirs = {}, {}
    for number, (name, entity) in enumerate(_entities()):
        folder = tmp_path / str(number)
        folder.mkdir()
        (folder / "catalog-info.yaml").write_text(yaml.safe_dump(entity), encoding="utf-8")
        result = lint([str(folder)], Config(root=folder), policies,
                      LintOptions(select=("catalog-entity-structure-valid",)))
        ours[name] = not result.findings
        done = subprocess.run([checker, "--schemafile", kinds[entity["kind"]], str(folder / "catalog-info.yaml")],
                              cwd=schemas, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode in (0, 1), done.stdout + done.stderr
        theirs[name] = done.returncode == 0
    assert ours == theirs
    # invalid: the bad Component and Template, and the structure policy's failing Component and Template examples
    assert sorted(name for name, valid in ours.items() if not valid) == [
        "bad/catalog-info.yaml#0", "bad/templates/service/template.yaml#0", "example-fail-0", "example-fail-2"]
    assert len(ours) == 17
