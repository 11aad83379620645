"""The workspace: every object of a run indexed from compact records, the deployable units (proved against real
kustomize), the two workspace checks across files, and the context a run loads for them."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CliRun, FileWriter, ReadmeSnippet, ToolFinder, TreeLint

from gitops_tools.classification import Classifier
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.findings import LintResult
from gitops_tools.lint import LintOptions, active_policies
from gitops_tools.model import ObjectId, Policy
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
    records = workspace.Records([])
    for source in run.sources:
        records.add(source.file, evaluate_file(engine, source, Config(root=tmp_path)).objects)
    index = workspace.Workspace(records, run.units, workspace.load_cluster_scoped())
    (config_map,) = index.by_id[ObjectId("", "ConfigMap", "shop", "a")]
    assert (config_map.paths.display, config_map.document, config_map.pointer) == ("list.yaml", 0, "/items/0")
    assert config_map.location.line == config_map.span[0] > 1 and config_map.labels == (("team", "web"),)
    assert [r.id.name for r in index.by_kind["Secret"]] == ["b"]
    assert index.by_label[("team", "web")] == [config_map] and ("tier", 3) not in index.by_label
    (web,) = index.by_kind["Deployment"]
    assert (web.paths.display, web.span[:2], web.id.group, web.pointer) == ("web.yaml", (5, 3), "apps", "")
    assert web.fact("service_selector_matches") is not None  # the Service check collected its pod labels
    assert [unit.name for unit in run.units] == ["."] and run.context == []


def test_the_built_in_checks_build_no_whole_run_index(tmp_path: Path, policies: dict[str, Policy],
                                                     write_files: FileWriter, monkeypatch: pytest.MonkeyPatch) -> None:
    """The built-in workspace checks stream the records (`objects`, `placements`): an index (`by_id`, `by_kind`,
    `by_label`) holds every record of the run at once, and a 10,000-file run that spills them then peaks at 2.5
    times its 1,000-file peak (the Dockerfile check's `by_kind` did: 106 MiB against 45)."""
    write_files({"web.yaml": deployment("web", "shop", {"app": "web"}) + "---\n"
                 + service("web", "shop", {"app": "web"}), "Dockerfile": "FROM scratch\nUSER 10001\n"})
    monkeypatch.chdir(tmp_path)
    engine = engine_for(policies)
    assert len(engine.workspace_checks) >= 3  # every built-in one is active
    run = plan(["."], Config(root=tmp_path), LintOptions(), workspace=True)
    records = workspace.Records([])
    for source in run.sources:
        records.add(source.file, evaluate_file(engine, source, Config(root=tmp_path)).objects)
    index = workspace.Workspace(records, run.units, workspace.load_cluster_scoped())
    workspace.evaluate(engine, index)
    assert not {"by_id", "by_kind", "by_label"} & set(vars(index))


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
    assert all(isinstance(value, (tuple, int, bool, str, type(outcome.paths)))
               for value in (getattr(outcome, name) for name in outcome._fields))
    (record,) = outcome.objects
    assert record.fact("service_selector_matches") is not None and len(pickle.dumps(record)) < 1000


def test_equal_facts_share_one_slot_and_context_facts_keep_no_place(tmp_path: Path,
                                                                     policies: dict[str, Policy]) -> None:
    """Several checks keep a workload's pod template labels, only for other objects' selectors to be judged against:
    one value and one slot for those keeping equal values, and no position (a report would point at the name)."""
    (tmp_path / "web.yaml").write_text(deployment("web", "shop", {"app": "web", "tier": "frontend"}))
    source = SourceFile(tmp_path / "web.yaml", "web.yaml", "web.yaml", file="web.yaml")
    (record,) = evaluate_file(engine_for(policies), source, Config(root=tmp_path)).objects
    selecting = ("service_selector_matches", "pdb_selector_matches", "network_policy_selects_pods",
                 "network_policy_peers_select_pods")
    facts = [record.fact(check) for check in selecting]
    assert all(fact is not None and fact.value == ("pods", (("app", "web"), ("tier", "frontend"))) for fact in facts)
    assert len({id(fact.value) for fact in facts if fact is not None}) == 1
    assert {(fact.where, fact.pointer, fact.span) for fact in facts if fact is not None} == {
        (("metadata", "name"), "/metadata/name", record.span)}
    layout, slots = record.kept[0], record.kept[1:]
    assert len(layout) == len(record.facts) > len(slots) // 2  # fewer slots than facts: equal ones share
    assert record.fact("workload_has_pdb") is not None and record.fact("workload_has_pdb").value[2] == 1  # replicas
    assert pickle.loads(pickle.dumps(record)) == record


def test_without_an_active_workspace_check_no_record_is_kept(tmp_path: Path, policies: dict[str, Policy]) -> None:
    (tmp_path / "svc.yaml").write_text(service("web", "shop", {"app": "web"}))
    source = SourceFile(tmp_path / "svc.yaml", "svc.yaml", "svc.yaml", file="svc.yaml")
    engine = engine_for(policies, "service-type-*")
    assert engine.workspace_checks == () and evaluate_file(engine, source, Config(root=tmp_path)).objects == ()
    assert collect_file(engine_for(policies, *BOTH), source, Config(root=tmp_path))[0].id.name == "web"


@pytest.mark.parametrize(("name", "text"), [(".gitlab-ci.yml", "- a\n- b\n"), ("catalog-info.yaml", "just text\n")])
def test_a_document_of_a_path_domain_that_is_no_mapping_has_no_record(lint_tree: TreeLint, name: str,
                                                                       text: str) -> None:
    """Domains found by path classify whatever their files hold: a list or a text is reported by the domain's
    structure policy, and makes no record (it used to crash the run: exit 3)."""
    result = lint_tree({name: text}, ".")
    assert [spot[3] for spot in spots(result)] == [
        "gitlab-ci-structure-valid" if name == ".gitlab-ci.yml" else "catalog-entity-structure-valid"]


# --- two objects with one identity in one deployable unit ----------------------------------------------------------

def test_a_repeated_identity_in_one_folder_is_reported_on_the_second_naming_the_first(lint_tree: TreeLint) -> None:
    result = lint_tree({"apps/a.yaml": manifest("ConfigMap", "settings", "shop"),
                        "apps/b.yaml": "---\n" + manifest("ConfigMap", "settings", "shop")}, "apps", select=BOTH)
    assert spots(result) == [("apps/b.yaml", 5, 3, DUPLICATE)]
    assert result.findings[0].message.endswith("ConfigMap/settings in namespace shop is also defined at "
                                               "apps/a.yaml:4:3 (folder apps)")
    assert (result.findings[0].document, result.findings[0].pointer) == (0, "/metadata/name")


@pytest.mark.parametrize(("second", "reported"), [
    pytest.param(manifest("ConfigMap", "settings", "other"), False, id="another-namespace"),
    pytest.param(manifest("Secret", "settings", "shop"), False, id="another-kind"),
    pytest.param(manifest("ConfigMap", "settings"), False, id="namespace-unset-is-not-shop"),
    pytest.param(manifest("ConfigMap", "settings", "shop", "example.com/v1"), False, id="another-group"),
    pytest.param(manifest("ClusterRole", "settings", "a", "rbac.authorization.k8s.io/v1"), True,
                 id="cluster-scoped-ignores-namespace"),
])
def test_identity_is_group_kind_namespace_and_name(lint_tree: TreeLint, second: str, reported: bool) -> None:
    first = manifest("ConfigMap", "settings", "shop")
    if "ClusterRole" in second:
        first = manifest("ClusterRole", "settings", "b", "rbac.authorization.k8s.io/v1")
    result = lint_tree({"a.yaml": first, "b.yaml": second}, ".", select=(DUPLICATE,))
    assert [spot[0] for spot in spots(result)] == (["b.yaml"] if reported else [])


def test_per_environment_folders_may_repeat_a_name(lint_tree: TreeLint) -> None:
    files = {f"overlays/{env}/settings.yaml": manifest("ConfigMap", "settings", "shop") for env in ("dev", "prod")}
    files |= {f"clusters/{env}/kustomization.yaml": kustomization("../../base", namespace=env) for env in ("a", "b")}
    files |= {"base/kustomization.yaml": kustomization("web.yaml"), "base/web.yaml": manifest("ConfigMap", "web")}
    assert spots(lint_tree(files, ".", select=BOTH)) == []


def test_a_kustomization_build_is_one_unit_across_its_folders(lint_tree: TreeLint) -> None:
    """The overlay's namespace puts the base's object where the overlay's own copy is: one build, two definitions."""
    files = {"base/kustomization.yaml": kustomization("settings.yaml"),
             "base/settings.yaml": manifest("ConfigMap", "settings"),
             "overlays/prod/kustomization.yaml": kustomization("../../base", "extra.yaml", namespace="shop"),
             "overlays/prod/extra.yaml": manifest("ConfigMap", "settings", "shop")}
    result = lint_tree(files, ".", select=(DUPLICATE,))
    assert spots(result) == [("overlays/prod/extra.yaml", 4, 3, DUPLICATE)]
    assert "at base/settings.yaml:4:3 (kustomization overlays/prod)" in result.findings[0].message
    files["overlays/prod/kustomization.yaml"] = kustomization("../../base", "extra.yaml", namePrefix="prod-")
    assert spots(lint_tree(files, ".", select=(DUPLICATE,))) == []  # the base's is prod-settings there


def test_a_component_and_a_folder_with_its_own_kustomization_are_followed(lint_tree: TreeLint) -> None:
    files = {"app/kustomization.yaml": kustomization("sub", components=["../parts"]),
             "app/sub/kustomization.yaml": kustomization("web.yaml"),
             "app/sub/web.yaml": manifest("ConfigMap", "web", "shop"),
             "parts/kustomization.yaml": yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1alpha1",
                                                         "kind": "Component", "resources": ["web.yaml"]}),
             "parts/web.yaml": manifest("ConfigMap", "web", "shop")}
    result = lint_tree(files, ".", select=(DUPLICATE,))
    assert spots(result) == [("parts/web.yaml", 4, 3, DUPLICATE)]  # components come after resources
    assert "also defined at app/sub/web.yaml:4:3 (kustomization app)" in result.findings[0].message


def test_kustomize_entries_leading_out_of_the_repository_or_remote_are_not_followed(
        tmp_path: Path, lint_tree: TreeLint) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "web.yaml").write_text(manifest("ConfigMap", "web"), encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    files = {"kustomization.yaml": kustomization(f"../{outside.name}/web.yaml", "https://example.com/web.yaml",
                                                 "github.com/example/repo//web?ref=v1", "web.yaml"),
             "web.yaml": manifest("ConfigMap", "web")}
    assert spots(lint_tree(files, "web.yaml", select=(DUPLICATE,))) == []


# --- a Service whose selector matches no pod template ---------------------------------------------------------------

@pytest.mark.parametrize(("workload", "reported"), [
    pytest.param(deployment("api", "shop", {"app": "api"}), True, id="other-labels"),
    pytest.param(deployment("web", "shop", {"app": "web", "tier": "front"}), False, id="superset"),
    pytest.param(cronjob("web", "shop", {"app": "web"}), False, id="cronjob-pod-template"),
    pytest.param(manifest("Pod", "web", "shop", metadata={"name": "web", "namespace": "shop",
                                                          "labels": {"app": "web"}}), False, id="bare-pod"),
    pytest.param(deployment("web", "other", {"app": "web"}), False, id="no-workload-in-its-namespace"),
])
def test_a_service_selector_is_matched_against_pod_templates_of_its_namespace(
        lint_tree: TreeLint, workload: str, reported: bool) -> None:
    files = {"svc.yaml": service("web", "shop", {"app": "web"}), "workload.yaml": workload}
    expected = [("svc.yaml", 7, 3, SELECTOR)] if reported else []
    result = lint_tree(files, ".", select=(SELECTOR,))
    assert spots(result) == expected
    if reported:
        assert result.findings[0].pointer == "/spec/selector"
        message = result.findings[0].message
        assert "app=web matches none of the pod templates in namespace shop (Deployment/api)" in message


@pytest.mark.parametrize("svc", [
    pytest.param(service("web", "shop", None), id="no-selector"),
    pytest.param(service("web", "shop", {"app": "x"}, type="ExternalName", externalName="x.example.com"),
                 id="external-name"),
])
def test_a_service_without_a_selector_is_never_reported(lint_tree: TreeLint, svc: str) -> None:
    files = {"svc.yaml": svc, "deploy.yaml": deployment("api", "shop", {"app": "api"})}
    assert spots(lint_tree(files, ".", select=(SELECTOR,))) == []


def test_namespaces_come_from_the_kustomization_and_unset_ones_stay_in_their_unit(lint_tree: TreeLint) -> None:
    files = {"base/kustomization.yaml": kustomization("svc.yaml"),
             "base/svc.yaml": service("web", None, {"app": "web"}),
             "overlays/prod/kustomization.yaml": kustomization("../../base", "deploy.yaml", namespace="shop"),
             "overlays/prod/deploy.yaml": deployment("api", None, {"app": "api"}),
             "other/deploy.yaml": deployment("api2", None, {"app": "api"})}
    result = lint_tree(files, ".", select=(SELECTOR,), render=False)  # the units as the files place them
    # in overlays/prod both are in shop: reported; in base the namespace is unset and has no workload: quiet there,
    # and other/'s workload, also without a namespace, is another unit's
    assert spots(result) == [("base/svc.yaml", 6, 3, SELECTOR)]
    assert "in namespace shop (Deployment/api)" in result.findings[0].message


# --- what the units are: real kustomize renders the same objects ---------------------------------------------------

def test_a_kustomization_unit_holds_what_kustomize_build_renders(
        tmp_path: Path, write_files: FileWriter, external_tool: ToolFinder, policies: dict[str, Policy],
        monkeypatch: pytest.MonkeyPatch) -> None:
    kubectl = external_tool("kubectl")
    write_files({
        "base/kustomization.yaml": kustomization("web.yaml", "cluster.yaml", "jobs", namePrefix="shop-"),
        "base/web.yaml": deployment("web", None, {"app": "web"}) + "---\n"
        + service("web", "elsewhere", {"app": "web"}),
        "base/cluster.yaml": manifest("ClusterRole", "reader", None, "rbac.authorization.k8s.io/v1"),
        "base/jobs/kustomization.yaml": kustomization("job.yaml", nameSuffix="-nightly", namespace="batch"),
        "base/jobs/job.yaml": cronjob("report", None, {"app": "report"}),
        "base/ignored.yaml": manifest("ConfigMap", "not-listed"),
        "overlays/prod/kustomization.yaml": kustomization("../../base", "extra.yaml", namespace="shop-prod",
                                                          components=["../../parts"]),
        "overlays/prod/extra.yaml": manifest("ConfigMap", "extra"),
        "parts/kustomization.yaml": yaml.safe_dump({"apiVersion": "kustomize.config.k8s.io/v1alpha1",
                                                    "kind": "Component", "resources": ["part.yaml"]}),
        "parts/part.yaml": manifest("ConfigMap", "part", "ignored-by-the-overlay"),
    })
    monkeypatch.chdir(tmp_path)
    engine = engine_for(policies, *BOTH)
    run = plan(["overlays/prod"], Config(root=tmp_path), LintOptions(), workspace=True)
    config = Config(root=tmp_path)
    records = workspace.Records([])
    for source in (*run.sources, *run.context):
        records.add(source.file, collect_file(engine, source, config), context=source in run.context)
    index = workspace.Workspace(records, run.units, workspace.load_cluster_scoped())
    (placed,) = [placements for unit, placements in index.placements if unit.name == "overlays/prod"]
    ours = sorted((p.id.kind, p.id.namespace or "", p.id.name) for p in placed)
    rendered = subprocess.run([kubectl, "kustomize", "overlays/prod"], capture_output=True, text=True, timeout=120,
                              check=True).stdout
    theirs = sorted((d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
                    for d in yaml.safe_load_all(rendered))
    assert ours == theirs
    assert "base/ignored.yaml" not in {source.display for source in run.context}



# --- what a run loads besides the linted files ----------------------------------------------------------------------

def test_linting_one_file_loads_its_unit_and_reports_only_on_it(lint_tree: TreeLint) -> None:
    files = {"apps/svc.yaml": service("web", "shop", {"app": "web"}),
             "apps/deploy.yaml": deployment("api", "shop", {"app": "api"}) + "---\n"
             + service("api", "shop", {"app": "nothing"}),
             "other/deploy.yaml": deployment("web", "shop", {"app": "web"})}  # another unit: not loaded
    result = lint_tree(files, "apps/svc.yaml", select=BOTH)
    assert spots(result) == [("apps/svc.yaml", 7, 3, SELECTOR)]  # apps/deploy.yaml's own Service is not reported
    assert result.files == 1 and result.paths == ["apps/svc.yaml"]
    assert spots(lint_tree({}, "other/deploy.yaml", select=BOTH)) == []


def git(root: Path, *argv: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *argv], cwd=root, check=True,
                   capture_output=True, timeout=60)


def test_changed_since_loads_the_unchanged_files_of_the_units_and_reports_only_on_changed_lines(
        tmp_path: Path, lint_tree: TreeLint) -> None:
    base = {"apps/deploy.yaml": deployment("web", "shop", {"app": "web"}),
            "apps/svc.yaml": service("web", "shop", {"app": "web"}),
            "apps/settings.yaml": manifest("ConfigMap", "settings", "shop")}
    lint_tree(base, ".")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "-q", "-m", "base")
    changed = {"apps/svc.yaml": service("web", "shop", {"app": "web-v2"}),  # orphaned by this change
               "apps/web-copy.yaml": manifest("ConfigMap", "settings", "shop") + "---\n" + manifest("ConfigMap", "b")}
    result = lint_tree(changed, ".", select=BOTH, changed_since="main")
    assert spots(result) == [("apps/svc.yaml", 7, 3, SELECTOR), ("apps/web-copy.yaml", 4, 3, DUPLICATE)]
    assert sorted(result.paths) == ["apps/svc.yaml", "apps/web-copy.yaml"]  # the unchanged ones: context only
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "-q", "-m", "change")
    (tmp_path / "apps/web-copy.yaml").write_text(manifest("ConfigMap", "settings", "shop") + "---\n"
                                             + manifest("ConfigMap", "c"), encoding="utf-8")
    result = lint_tree({}, ".", select=BOTH, changed_since="main", diff_lines=True)
    assert spots(result) == []  # the duplicate is on a line this change did not touch


def test_a_new_copy_whose_name_sorts_first_is_reported_on_the_new_copy_in_a_partial_run(
        tmp_path: Path, lint_tree: TreeLint) -> None:
    """In apply order the new copy comes first, so a full run reports the unchanged file; a run that reads that file
    only as context reports the copy instead, naming the file that was there before."""
    lint_tree({"apps/settings.yaml": manifest("ConfigMap", "settings", "shop")}, ".")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "--all")
    git(tmp_path, "commit", "-q", "-m", "base")
    copy = {"apps/a-copy.yaml": manifest("ConfigMap", "settings", "shop")}
    assert spots(lint_tree(copy, ".", select=(DUPLICATE,))) == [("apps/settings.yaml", 4, 3, DUPLICATE)]
    for partial in ({"changed_since": "main"}, {"changed_since": "main", "diff_lines": True}):
        result = lint_tree({}, ".", select=(DUPLICATE,), **partial)
        assert spots(result) == [("apps/a-copy.yaml", 4, 3, DUPLICATE)]
        assert result.findings[0].message.endswith("is also defined at apps/settings.yaml:4:3 (folder apps)")
    assert spots(lint_tree({}, "apps/a-copy.yaml", select=(DUPLICATE,))) == [("apps/a-copy.yaml", 4, 3, DUPLICATE)]


def test_a_service_is_matched_among_many_workloads_by_label(lint_tree: TreeLint) -> None:
    """Hundreds of workloads in one namespace: each Service finds its own template (or none) among them."""
    files = {f"apps/w{i}.yaml": deployment(f"w{i}", "shop", {"app": f"w{i}", "tier": "web"}) for i in range(300)}
    files |= {f"apps/s{i}.yaml": service(f"s{i}", "shop", {"app": f"w{i}", "tier": "web"}) for i in range(0, 300, 7)}
    files["apps/lost.yaml"] = service("lost", "shop", {"app": "w1", "tier": "db"})
    assert spots(lint_tree(files, ".", select=(SELECTOR,))) == [("apps/lost.yaml", 7, 3, SELECTOR)]


def test_rules_shows_the_workspace_policies_as_new_in_0_2_0_after_a_0_1_0_pin(
        tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / ".gitops-tools.yaml").write_text('policy_set: "0.1.0"\n', encoding="utf-8")
    code, out, _ = run_cli("rules")
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert code == 0
    for policy_id in BOTH:
        assert "(new in 0.2.0, after your policy_set 0.1.0: not run)" in lines[policy_id]
    (tmp_path / "a.yaml").write_text(manifest("ConfigMap", "x"), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(manifest("ConfigMap", "x"), encoding="utf-8")
    assert run_cli("lint", "--select", DUPLICATE, ".")[0] == 2  # pinned out: nothing selected is left to run


@pytest.mark.slow
def test_a_workspace_check_is_added_by_adding_one_file(tmp_path: Path, readme_snippet: ReadmeSnippet) -> None:
    """README's example check, as one new module in a copy of the package, with README's policy file: it runs."""
    root = Path(__file__).resolve().parent.parent
    copy, work = tmp_path / "copy", tmp_path / "work"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "gitops_tools", copy / "gitops_tools", ignore=ignore)
    shutil.copytree(root / "schemas", copy / "schemas", ignore=ignore)
    module = readme_snippet("How lint works", "gitops_tools/checks/configmap_used.py")
    (copy / "gitops_tools" / "checks" / "configmap_used.py").write_text(module, encoding="utf-8")
    (work / "policies").mkdir(parents=True)
    policy = readme_snippet("How lint works", "schemas/policies/kubernetes/configmap-has-a-workload.yaml")
    (work / "policies" / "configmap-has-a-workload.yaml").write_text(policy, encoding="utf-8")
    (work / "apps").mkdir()
    (work / "apps" / "cm.yaml").write_text(manifest("ConfigMap", "left-over", "a"), encoding="utf-8")
    (work / "apps" / "deploy.yaml").write_text(deployment("web", "b", {"app": "web"}) + "---\n"
                                               + manifest("ConfigMap", "web", "b"), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "GITOPS_TOOLS_NO_CACHE": "1"}
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "--policy-dir", "policies", "--select",
                           "configmap-has-a-workload", "apps/cm.yaml"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr  # info is below the default --fail-on
    assert done.stdout.startswith("apps/cm.yaml:4:3: info [configmap-has-a-workload] ConfigMap in a namespace "
                                  "without workloads: no workload in its namespace\n"), done.stdout
    assert "apps/deploy.yaml" not in done.stdout  # read as context (the unit is apps/), never reported
