"""The workspace: every object of a run indexed from compact records, the deployable units (proved against real
kustomize), the two workspace checks across files, and the context a run loads for them."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import yaml
from conftest import FileWriter

from gitops_tools.classification import Classifier
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.lint import LintOptions, active_policies
from gitops_tools.model import LintResult, ObjectId, Policy
from gitops_tools.pipeline import workspace
from gitops_tools.pipeline.discover import plan
from gitops_tools.pipeline.evaluate import FileOutcome, collect_file, evaluate_file
from gitops_tools.targets import Workloads

DUPLICATE, SELECTOR = "manifest-identity-unique-in-unit", "service-selector-matches-pods"
BOTH = (DUPLICATE, SELECTOR)


def manifest(kind: str, name: str, namespace: str | None = None, api: str = "v1", **extra: object) -> str:
    metadata: dict[str, object] = {"name": name} | ({"namespace": namespace} if namespace else {})
    return yaml.safe_dump({"apiVersion": api, "kind": kind, "metadata": metadata, **extra}, sort_keys=False)


def service(name: str, namespace: str | None, selector: dict[str, str] | None, **spec: object) -> str:
    body = spec | ({"selector": selector} if selector is not None else {}) | {"ports": [{"port": 80}]}
    return manifest("Service", name, namespace, spec=body)


def deployment(name: str, namespace: str | None, labels: dict[str, str]) -> str:
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "app", "image": "a:1"}]}}
    return manifest("Deployment", name, namespace, "apps/v1",
                    spec={"selector": {"matchLabels": labels}, "template": template})


def cronjob(name: str, namespace: str | None, labels: dict[str, str]) -> str:
    pod = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "a:1"}]}}
    return manifest("CronJob", name, namespace, "batch/v1",
                    spec={"schedule": "@daily", "jobTemplate": {"spec": {"template": pod}}})


def kustomization(*resources: str, **fields: object) -> str:
    return yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", **fields,
                           "resources": list(resources)}, sort_keys=False)


def spots(result: LintResult) -> list[tuple[str, int, int, str]]:
    return [(f.location.path, f.location.line, f.location.col, f.policy_id) for f in result.findings]


def engine_for(policies: dict[str, Policy], *selected: str) -> Engine:
    active = active_policies(policies, Config(root=Path.cwd()), LintOptions(select=selected))
    return Engine(active, policies, Workloads.load(), Classifier.load())


# --- the index and the per-file records ---------------------------------------------------------------------------

def test_the_index_holds_every_object_by_identity_kind_and_label_with_its_place(
        tmp_path: Path, policies: dict[str, Policy], write_files: FileWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    items = yaml.safe_load(manifest("ConfigMap", "a", "shop")), yaml.safe_load(manifest("Secret", "b"))
    items[0]["metadata"]["labels"] = {"team": "web", "tier": 3}  # a label that is no text is no label
    write_files({"list.yaml": "# a List\n" + yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}),
                 "web.yaml": "---\n" + deployment("web", "shop", {"app": "web"}),
                 "kustomization.yaml": kustomization("list.yaml", "web.yaml")})
    monkeypatch.chdir(tmp_path)
    engine = engine_for(policies, *BOTH)
    run = plan(["."], Config(root=tmp_path), LintOptions(), workspace=True)
    outcomes = [evaluate_file(engine, source, Config(root=tmp_path)) for source in run.sources]
    index = workspace.Workspace([r for o in outcomes for r in o.objects], run.units, workspace.load_cluster_scoped())
    (config_map,) = index.by_id[ObjectId("", "ConfigMap", "shop", "a")]
    assert (config_map.paths.display, config_map.document, config_map.pointer) == ("list.yaml", 0, "/items/0")
    assert config_map.location.line == config_map.span[0] > 1 and config_map.labels == (("team", "web"),)
    assert [r.id.name for r in index.by_kind["Secret"]] == ["b"]
    assert index.by_label[("team", "web")] == [config_map] and ("tier", 3) not in index.by_label
    (web,) = index.by_kind["Deployment"]
    assert (web.paths.display, web.span[:2], web.id.group, web.pointer) == ("web.yaml", (5, 3), "apps", "")
    assert web.fact("service_selector_matches") is not None  # the Service check collected its pod labels
    assert [unit.name for unit in run.units] == ["."] and run.context == []


def test_a_file_outcome_is_frozen_and_picklable_and_keeps_no_document(
        tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "svc.yaml").write_text("# gitops-tools: disable-file container-image-tag-not-latest\n"
                                       + service("web", "shop", {"app": "web"}))
    source = SourceFile(tmp_path / "svc.yaml", "svc.yaml", "svc.yaml", file="svc.yaml")
    outcome = evaluate_file(engine_for(policies), source, Config(root=tmp_path))
    copy = pickle.loads(pickle.dumps(outcome))
    assert copy == outcome and isinstance(copy, FileOutcome)
    with pytest.raises(AttributeError):
        outcome.findings = ()  # type: ignore[misc]
    assert all(isinstance(value, (tuple, int, bool, str, type(outcome.paths))) for value in vars(outcome).values())
    (record,) = outcome.objects
    assert record.fact("service_selector_matches") is not None and len(pickle.dumps(record)) < 1000


def test_without_an_active_workspace_check_no_record_is_kept(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "svc.yaml").write_text(service("web", "shop", {"app": "web"}))
    source = SourceFile(tmp_path / "svc.yaml", "svc.yaml", "svc.yaml", file="svc.yaml")
    engine = engine_for(policies, "service-type-*")
    assert engine.workspace_checks == () and evaluate_file(engine, source, Config(root=tmp_path)).objects == ()
    assert collect_file(engine_for(policies, *BOTH), source, Config(root=tmp_path))[0].id.name == "web"
