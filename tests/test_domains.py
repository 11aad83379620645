"""Domains as data: every domain file is valid, documents are classified by path and content into one or several
domains, and policies target a domain, kinds or path globs (documents without `kind` included)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CliRun, FileWriter

from gitops_tools.classification import Classifier, Instance
from gitops_tools.config import load_config
from gitops_tools.domainfiles import DOMAIN_FILE, check_domain_file, domain_files, load_domains
from gitops_tools.errors import ConfigError, PolicyError
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.model import FilePaths
from gitops_tools.pathmatch import Globs

ROOT = Path(__file__).resolve().parent.parent
POLICY_ROOT = ROOT / "schemas" / "policies"

PROMETHEUS_RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata: {name: api-alerts, namespace: monitoring}
spec:
  groups:
    - name: api
      rules:
        - alert: ApiDown
          expr: up == 0
"""
WORKFLOW = """\
name: ci
on:
  push:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - run: make test
"""
PERMISSIONS_POLICY = """\
id: workflow-permissions-set
title: Workflows set their token's permissions
severity: error
message: the workflow does not set `permissions`
targets:
  scope: document
  {target}
schema:
  required: [permissions]
docs: Without `permissions`, the GITHUB_TOKEN gets the repository's default, often write access to everything.
examples:
  pass: [{{filename: .github/workflows/ci.yml, text: "on: push\\npermissions: {{}}\\njobs: {{}}\\n"}}]
  fail: [{{filename: .github/workflows/ci.yml, text: "on: push\\njobs: {{}}\\n"}}]
"""


# The domains this package ships, written by hand: a test oracle, not a registry (the code finds domains by listing
# schemas/policies/). A domain added or removed changes this list in the same commit, so a folder that disappears
# (or a domain.yaml that stops being found) fails here instead of going unnoticed.
SHIPPED_DOMAINS = ("backstage", "core", "dockerfile", "github-actions", "gitlab-ci", "kubernetes", "kustomize",
                   "monitoring", "repository")


def test_every_policy_folder_is_a_domain_with_a_valid_data_file() -> None:
    folders = {path.name for path in POLICY_ROOT.iterdir() if path.is_dir()}
    assert set(domain_files()) == folders
    assert tuple(domain_files()) == SHIPPED_DOMAINS
    for path in domain_files().values():
        check_domain_file(path)
    domains = load_domains()
    assert [name for name, domain in domains.items() if domain.default] == ["kubernetes"]
    assert tuple(domains) == SHIPPED_DOMAINS


@pytest.mark.parametrize(("text", "message", "line", "col"), [
    ("description: x\ndocuments:\n  - {name: a, why: b}\n", "invalid domain:", 3, 5),
    ("description: x\nembedded:\n  - {name: a, why: b, in: {domain: nowhere}, path: [x], kind: K}\n",
     "unknown domain 'nowhere'", 3, 28),
    ("description: x\nbogus: 1\n", "invalid domain:", 2, 1),
])
def test_a_broken_domain_file_is_an_error_at_its_position(tmp_path: Path, text: str, message: str, line: int,
                                                            col: int) -> None:
    path = tmp_path / "policies" / "mine" / DOMAIN_FILE
    path.parent.mkdir(parents=True)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as raised:
        check_domain_file(path)
    assert message in raised.value.message
    assert (raised.value.location.line, raised.value.location.col) == (line, col)


def classify(text: str, path: str, extra: dict[str, Globs] | None = None) -> list[Instance]:
    loaded = load_bytes(text.encode(), path, Limits(), is_json=path.endswith(".json"))
    classifier = Classifier.load(extra)
    allowed = classifier.file_rules(FilePaths(path, path, path))
    return [instance for document in loaded.documents
            for instance in classifier.classify(document, allowed, unclassified=True)]


def test_a_prometheus_rule_is_kubernetes_and_monitoring_and_its_spec_a_rule_file() -> None:
    host, spec = classify(PROMETHEUS_RULE, "rules.yaml")
    assert [(m.domain, m.rule.name, m.rtype.kind) for m in host.memberships] == [
        ("kubernetes", "object", "PrometheusRule"), ("monitoring", "prometheus-rule", "PrometheusRule")]
    assert (spec.prefix, spec.domains, spec.rtype.kind, spec.host) == (("spec",), ("monitoring",), "RuleFile", host)
    assert spec.data == {"groups": [{"name": "api", "rules": [{"alert": "ApiDown", "expr": "up == 0"}]}]}
    assert spec.identity == "monitoring.coreos.com/v1/PrometheusRule/monitoring/api-alerts/spec"


@pytest.mark.parametrize(("path", "domains", "kind"), [
    (".github/workflows/ci.yml", ("github-actions",), "Workflow"),
    (".github/workflows/ci.yaml", ("github-actions",), "Workflow"),
    ("action.yml", ("github-actions",), "Action"),
    (".github/actions/setup/action.yaml", ("github-actions",), "Action"),
    ("ci/workflows/ci.yml", (), None),
    (".github/workflows/nested/ci.yml", (), None),
    ("templates/app/.github/workflows/ci.yml", ("github-actions",), "Workflow"),
])
def test_github_actions_files_are_found_by_path(path: str, domains: tuple[str, ...], kind: str | None) -> None:
    [instance] = classify(WORKFLOW, path)
    assert (instance.domains, instance.rtype.kind) == (domains, kind)


def test_a_workflow_keeps_its_on_key_as_written_while_other_documents_keep_yaml_1_1() -> None:
    [workflow] = classify(WORKFLOW, ".github/workflows/ci.yml")
    assert list(workflow.data) == ["name", "on", "jobs"]
    assert workflow.document.data is not workflow.data and True in workflow.document.data  # the loaded one is kept
    [other] = classify(WORKFLOW, "ci.yml")
    assert list(other.data) == ["name", True, "jobs"]


def test_config_globs_add_files_to_a_domain_with_its_first_path_rules_kind() -> None:
    [instance] = classify(WORKFLOW, "ci/workflows/ci.yml", {"github-actions": Globs(["ci/workflows/*.yml"])})
    assert (instance.domains, instance.rtype.kind, instance.memberships[0].rule.name) == (
        ("github-actions",), "Workflow", "config-paths")


@pytest.mark.parametrize(("text", "path", "expected"), [
    ('{"title": "API", "uid": "api", "schemaVersion": 39, "panels": []}', "dash.json", [("monitoring", "Dashboard")]),
    ("groups:\n  - name: api\n    rules: []\n", "rules.yml", [("monitoring", "RuleFile")]),
    ("replicaCount: 2\n", "values.yaml", []),
    ("apiVersion: v1\nkind: Config\nclusters: []\n", "kubeconfig.yaml", [("kubernetes", "Config")]),
])
def test_documents_are_classified_by_content(text: str, path: str, expected: list[tuple[str, str]]) -> None:
    [instance] = classify(text, path)
    assert [(m.domain, m.rtype.kind) for m in instance.memberships] == expected


def test_the_items_of_a_list_are_classified_one_by_one() -> None:
    text = ("apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"
            "  - " + PROMETHEUS_RULE.replace("\n", "\n    ").rstrip() + "\n  - just text\n")
    found = classify(text, "list.yaml")
    # An item that is no mapping makes the list itself an instance too, of the kind List (list-items-are-objects).
    assert (found[0].rtype.kind, found[0].rtype.config) == ("List", True)
    assert [(i.prefix, i.domains) for i in found] == [
        ((), ("kubernetes",)), (("items", 0), ("kubernetes",)), (("items", 1), ("kubernetes", "monitoring")),
        (("items", 1, "spec"), ("monitoring",)), (("items", 2), ())]


def test_a_component_configuration_is_seen_only_by_policies_naming_its_kind() -> None:
    [instance] = classify("apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n", "k.yaml")
    assert (instance.memberships[0].rule.name, instance.rtype.config) == ("component-config", True)


def test_the_shape_memo_gives_the_same_answer_for_every_document_of_a_shape() -> None:
    texts = "---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(3))
    found = classify(texts + "---\nkind: Config\napiVersion: v1\n", "many.yaml")
    assert [(i.memberships[0].rule.name, i.identity) for i in found] == [
        ("object", "v1/ConfigMap//c0"), ("object", "v1/ConfigMap//c1"), ("object", "v1/ConfigMap//c2"),
        ("kubeconfig", "v1/Config//#3")]


@pytest.mark.parametrize("target", [
    "domain: github-actions",
    "domain: github-actions\n  kinds: [Workflow]",
    'files: [".github/workflows/*.yml"]',
])
def test_a_custom_policy_lints_a_workflow_without_kind(run_cli: CliRun, write_files: FileWriter, target: str) -> None:
    workflow = "name: ci\non: push\njobs:\n  test: {runs-on: ubuntu-latest, steps: [{run: make}]}\n"
    write_files({"mine/workflow-permissions-set.yaml": PERMISSIONS_POLICY.format(target=target),
                 ".github/workflows/ci.yml": workflow, ".github/workflows/ok.yml": "permissions: {}\n" + workflow,
                 "ci.yml": workflow})
    # --select: the built-in github-actions policies (zizmor's audits) report these workflows too
    code, out, _ = run_cli("lint", "--policy-dir", "mine", "--select", "workflow-permissions-set", "--format", "json",
                           ".")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert {key: finding[key] for key in ("path", "line", "column", "policy_id", "document", "pointer")} == {
        "path": ".github/workflows/ci.yml", "line": 1, "column": 1, "policy_id": "workflow-permissions-set",
        "document": 0, "pointer": ""}


def test_a_policy_sees_the_on_key_of_a_workflow_as_on(run_cli: CliRun, write_files: FileWriter) -> None:
    policy = PERMISSIONS_POLICY.format(target="domain: github-actions").replace(
        "required: [permissions]", "properties: {'on': {not: {const: push}}}")
    write_files({"mine/workflow-permissions-set.yaml": policy,
                 ".github/workflows/ci.yml": "name: ci\non: push\njobs: {}\n"})
    # --select: the built-in github-actions policies (zizmor's audits) report these workflows too
    code, out, _ = run_cli("lint", "--policy-dir", "mine", "--select", "workflow-permissions-set", "--format", "json",
                           ".")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert (finding["line"], finding["column"], finding["pointer"]) == (2, 1, "/on")


def test_a_schema_key_yaml_reads_as_a_boolean_is_an_error_with_the_fix(run_cli: CliRun,
                                                                         write_files: FileWriter) -> None:
    policy = PERMISSIONS_POLICY.format(target="domain: github-actions").replace(
        "required: [permissions]", "properties: {on: {not: {const: push}}}")
    write_files({"mine/workflow-permissions-set.yaml": policy, "a.yaml": "x: 1\n"})
    code, out, err = run_cli("lint", "--policy-dir", "mine", "a.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: mine/workflow-permissions-set.yaml:9:16: schema key True is not "
                          "text: YAML 1.1 reads on/off/yes/no and numbers as such; quote the key (e.g. 'on':)")


def _builtin_domains() -> str:
    """The shipped domains as the message lists them: in name order."""
    return ", ".join(SHIPPED_DOMAINS)


def test_a_policy_naming_an_unknown_domain_is_an_error_at_its_position(run_cli: CliRun,
                                                                       write_files: FileWriter) -> None:
    write_files({"mine/workflow-permissions-set.yaml": PERMISSIONS_POLICY.format(target="domain: github"),
                 "a.yaml": "x: 1\n"})
    code, out, err = run_cli("lint", "--policy-dir", "mine", "a.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: mine/workflow-permissions-set.yaml:7:3: unknown domain 'github'; "
                          f"domains: {_builtin_domains()}\n")


def test_config_domains_map_more_files_to_a_domain(run_cli: CliRun, write_files: FileWriter) -> None:
    workflow = "name: ci\non: push\njobs: {}\n"
    write_files({".gitops-tools.yaml": "policy_dirs: [mine]\ndomains:\n  github-actions:\n    paths: [ci/*.yml]\n",
                 "mine/workflow-permissions-set.yaml": PERMISSIONS_POLICY.format(target="domain: github-actions"),
                 "ci/build.yml": workflow, "other/build.yml": workflow})
    code, out, _ = run_cli("lint", ".")
    assert code == 1
    assert out.startswith("ci/build.yml:1:1: error [workflow-permissions-set]")
    assert "other/build.yml" not in out


@pytest.mark.parametrize(("text", "message", "line", "col"), [
    ("domains:\n  github:\n    paths: [ci/*.yml]\n", "domains: unknown domain 'github'; domains: backstage, core, ",
     2, 3),
    ("domains:\n  github-actions:\n    globs: [ci/*.yml]\n", "invalid config: domains.github-actions:", 2, 3),
    ("domains:\n  github-actions:\n    paths: []\n", "invalid config: domains.github-actions.paths:", 3, 5),
])
def test_a_bad_config_domains_entry_is_an_error_at_its_position(tmp_path: Path, text: str, message: str, line: int,
                                                                col: int) -> None:
    path = tmp_path / ".gitops-tools.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_config(path, tmp_path)
    assert message in raised.value.message
    assert (raised.value.location.line, raised.value.location.col) == (line, col)


def test_a_bad_config_domains_entry_exits_2(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "domains:\n  github:\n    paths: [ci/*.yml]\n", "a.yaml": "x: 1\n"})
    code, out, err = run_cli("lint", "a.yaml")
    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: .gitops-tools.yaml:2:3: invalid config: domains: unknown domain")


@pytest.mark.parametrize("domain", ["github-actions", "monitoring", "kubernetes", "core"])
def test_domain_accepts_every_domain(run_cli: CliRun, write_files: FileWriter, domain: str) -> None:
    write_files({"pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n"
                             "    - {name: a, image: 'a:latest'}\n", "broken.yaml": "a: [\n"})
    code, out, _ = run_cli("lint", "--domain", domain, "pod.yaml", "broken.yaml")
    assert code == 1
    assert "broken.yaml:2:1: error [yaml-syntax]" in out
    assert ("[container-image-tag-not-latest]" in out) == (domain == "kubernetes")


def test_domain_refuses_a_name_that_is_no_domain(run_cli: CliRun) -> None:
    code, out, err = run_cli("lint", "--domain", "k8s", ".")
    assert (code, out) == (2, "")
    assert f"--domain 'k8s' is no domain; domains: {_builtin_domains()}\n" in err


HELM_DOMAIN = """\
description: Helm charts' metadata files.
identity: [name]
documents:
  - name: chart
    why: a Helm chart's Chart.yaml (by path)
    kind: Chart
    paths: ["**/Chart.yaml"]
"""
CHART_POLICY = """\
id: chart-description-set
title: Charts describe themselves
severity: warning
since: "0.1.0"
message: the chart has no description
targets:
  scope: document
  kinds: [Chart]
schema:
  required: [description]
docs: A chart's description is what `helm search` and Artifact Hub show; without it nobody knows what it installs.
examples:
  pass: [{filename: Chart.yaml, text: "apiVersion: v2\\nname: a\\nversion: 1.0.0\\ndescription: A\\n"}]
  fail: [{filename: Chart.yaml, text: "apiVersion: v2\\nname: a\\nversion: 1.0.0\\n"}]
"""


@pytest.mark.slow
def test_a_domain_is_added_as_one_folder_of_data_and_policies(tmp_path: Path) -> None:
    """In a copy of the package, a new folder of schemas/policies/ holding a domain.yaml and a policy is a domain
    whose policy lints its files: no Python is edited."""
    import os
    import shutil
    import subprocess
    import sys

    copy = tmp_path / "copy"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "gitops_tools", copy / "gitops_tools", ignore=ignore)
    shutil.copytree(ROOT / "schemas", copy / "schemas", ignore=ignore)
    helm = copy / "schemas" / "policies" / "helm"
    helm.mkdir()
    (helm / DOMAIN_FILE).write_text(HELM_DOMAIN, encoding="utf-8")
    (helm / "chart-description-set.yaml").write_text(CHART_POLICY, encoding="utf-8")
    work = tmp_path / "work"
    (work / "charts" / "api").mkdir(parents=True)
    (work / "charts" / "api" / "Chart.yaml").write_text("apiVersion: v2\nname: api\nversion: 1.0.0\n", "utf-8")
    (work / "Other.yaml").write_text("apiVersion: v2\nname: api\n", "utf-8")
    env = {**os.environ, "PYTHONPATH": str(copy), "GITOPS_TOOLS_NO_CACHE": "1"}

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=work, env=env, capture_output=True,
                              text=True, timeout=120, check=False)

    done = run("lint", "--domain", "helm", ".")
    assert (done.returncode, done.stdout.splitlines()[0]) == (
        1, "charts/api/Chart.yaml:1:1: warning [chart-description-set] the chart has no description"), \
        done.stdout + done.stderr
    assert "Other.yaml" not in done.stdout
    explained = run("lint", "--explain-classification", "charts")
    assert explained.stdout.splitlines()[:2] == [
        "charts/api/Chart.yaml:1:1: document 0 (api)",
        "  helm: chart (kind Chart), a Helm chart's Chart.yaml (by path): path charts/api/Chart.yaml matches "
        "**/Chart.yaml"], explained.stdout + explained.stderr
    assert run("rules", "--check").returncode == 0


def test_explain_names_a_policy_s_domain(run_cli: CliRun, write_files: FileWriter) -> None:
    target = "domain: github-actions\n  kinds: [Workflow]"
    write_files({"mine/workflow-permissions-set.yaml": PERMISSIONS_POLICY.format(target=target)})
    code, out, _ = run_cli("explain", "--policy-dir", "mine", "workflow-permissions-set")
    assert code == 0
    assert "applies to: each matching document of the github-actions domain; kinds: Workflow\n" in out
