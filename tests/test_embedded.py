"""Documents embedded in another (a Grafana dashboard's JSON in a ConfigMap, the rule file in a PrometheusRule's spec)
are linted as documents of their own domain, and findings point into the outer file exactly."""

from __future__ import annotations

import json

import pytest
from conftest import CliRun, FileWriter

DASHBOARD_POLICY = """\
id: dashboard-panels-not-graph
title: Dashboard panels do not use the removed graph panel
severity: warning
message: the graph panel was removed in Grafana 11
targets:
  scope: document
  domain: monitoring
  kinds: [Dashboard]
schema:
  properties:
    panels:
      items:
        properties:
          type: {not: {const: graph}}
docs: Grafana 11 removed the old graph panel; dashboards using it show an error until migrated to timeseries.
examples:
  pass: [{filename: d.json, text: '{"schemaVersion": 39, "panels": [{"type": "timeseries"}]}'}]
  fail: [{filename: d.json, text: '{"schemaVersion": 39, "panels": [{"type": "graph"}]}'}]
"""
RULE_POLICY = """\
id: alert-for-set
title: Alerts wait before firing
severity: warning
message: alert fires on the first failed evaluation
targets:
  scope: document
  domain: monitoring
  kinds: [RuleFile]
schema:
  properties:
    groups:
      items:
        properties:
          rules:
            items:
              if: {required: [alert]}
              then: {required: [for]}
docs: An alert without `for` pages on a single failed scrape; `for` lets a blip pass without waking anyone.
examples:
  pass: ["groups: [{name: a, rules: [{alert: A, expr: up == 0, for: 5m}]}]\\n"]
  fail: ["groups: [{name: a, rules: [{alert: A, expr: up == 0}]}]\\n"]
"""
CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: dashboards
  annotations: {{}}
data:
  other.txt: "not json"
  broken.json: "{{"
  api.json: {style}
{body}"""
DASHBOARD_LINES = [
    "{",
    '  "uid": "api", "schemaVersion": 39,',
    '  "panels": [',
    '    {"type": "timeseries", "title": "ok"},',
    '      {"title": "old", "type": "graph"}',
    "  ]",
    "}",
]


def spot(text: str, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based line and column of the `occurrence`-th `needle` in `text`."""
    seen = 0
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number, line.index(needle) + 1
    raise AssertionError(needle)


def findings(run_cli: CliRun, *paths: str) -> list[dict[str, object]]:
    """The findings of the two custom policies alone (the built-in monitoring policies look at these files too)."""
    code, out, err = run_cli("lint", "--policy-dir", "mine", "--select", "dashboard-panels-not-graph,alert-for-set",
                             "--format", "json", *paths)
    assert code in (0, 1), err
    return [{key: f[key] for key in ("path", "line", "column", "end_line", "end_column", "policy_id", "pointer")}
            for f in json.loads(out)["findings"]]


@pytest.fixture
def policies_written(write_files: FileWriter) -> None:
    write_files({"mine/dashboard-panels-not-graph.yaml": DASHBOARD_POLICY, "mine/alert-for-set.yaml": RULE_POLICY})


@pytest.mark.parametrize(("style", "indent"), [("|", 4), ("|-", 4), ("|+", 6), ("|2", 4), ("|  # a comment", 8)])
def test_a_dashboard_in_a_literal_block_maps_to_its_line_and_column(run_cli: CliRun, write_files: FileWriter,
                                                                   policies_written: None, style: str,
                                                                   indent: int) -> None:
    body = "".join(" " * indent + line + "\n" for line in DASHBOARD_LINES)
    text = CONFIGMAP.format(style=style, body=body)
    write_files({"cm.yaml": text})
    line, col = spot(text, '"type": "graph"')
    end_line, end_col = line, col + len('"type": "graph"')
    assert findings(run_cli, "cm.yaml") == [{
        "path": "cm.yaml", "line": line, "column": col, "end_line": end_line, "end_column": end_col,
        "policy_id": "dashboard-panels-not-graph", "pointer": "/data/api.json/panels/1/type"}]
    assert (line, col) == (14, indent + 24)


def test_a_dashboard_after_blank_lines_in_its_block_keeps_its_lines(run_cli: CliRun, write_files: FileWriter,
                                                                    policies_written: None) -> None:
    body = "\n\n" + "".join("    " + line + "\n" for line in DASHBOARD_LINES)
    text = CONFIGMAP.format(style="|", body=body)
    write_files({"cm.yaml": text})
    [finding] = findings(run_cli, "cm.yaml")
    assert (finding["line"], finding["column"]) == spot(text, '"type": "graph"') == (16, 28)


def test_a_dashboard_in_a_quoted_string_is_reported_at_the_string(run_cli: CliRun, write_files: FileWriter,
                                                                  policies_written: None) -> None:
    inline = json.dumps(json.dumps({"schemaVersion": 39, "panels": [{"type": "graph"}]}))
    text = CONFIGMAP.format(style=inline, body="")
    write_files({"cm.yaml": text})
    [finding] = findings(run_cli, "cm.yaml")
    assert (finding["line"], finding["column"], finding["pointer"]) == (9, 3, "/data/api.json/panels/0/type")


def test_a_dashboard_file_and_a_configmap_in_json_are_linted_too(run_cli: CliRun, write_files: FileWriter,
                                                                 policies_written: None) -> None:
    dashboard = "\n".join(DASHBOARD_LINES) + "\n"
    configmap = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "d"},
                            "data": {"api.json": dashboard}}, indent=2)
    write_files({"dash.json": dashboard, "cm.json": configmap})
    assert [(f["path"], f["line"], f["column"]) for f in findings(run_cli, "dash.json", "cm.json")] == [
        ("cm.json", *spot(configmap, '"api.json"')), ("dash.json", *spot(dashboard, '"type": "graph"'))]


def test_the_rules_of_a_prometheus_rule_and_of_a_rule_file_are_linted_in_place(run_cli: CliRun,
                                                                               write_files: FileWriter,
                                                                               policies_written: None) -> None:
    rules = ("groups:\n  - name: api\n    rules:\n      - alert: ApiDown\n        expr: up == 0\n"
             "        for: 5m\n      - record: job:up:sum\n        expr: sum(up)\n"
             "      - alert: ApiSlow\n        expr: latency > 1\n")
    prometheus_rule = ("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: api}\nspec:\n"
                       + "".join(f"  {line}\n" for line in rules.splitlines()))
    write_files({"rules.yml": rules, "prometheus-rule.yaml": prometheus_rule})
    assert [(f["path"], f["line"], f["column"], f["pointer"])
            for f in findings(run_cli, "rules.yml", "prometheus-rule.yaml")] == [
        ("prometheus-rule.yaml", *spot(prometheus_rule, "alert: ApiSlow"), "/spec/groups/0/rules/2"),
        ("rules.yml", *spot(rules, "alert: ApiSlow"), "/groups/0/rules/2")]
    assert spot(prometheus_rule, "alert: ApiSlow") == (13, 11)


def test_an_exemption_on_the_configmap_covers_its_dashboards(run_cli: CliRun, write_files: FileWriter,
                                                            policies_written: None) -> None:
    body = "".join("    " + line + "\n" for line in DASHBOARD_LINES)
    text = CONFIGMAP.format(style="|", body=body).replace(
        "annotations: {}", "annotations: {gitops-tools.io/exempt: 'dashboard-panels-not-graph: migrating'}")
    write_files({"cm.yaml": text})
    assert findings(run_cli, "cm.yaml") == []


def test_an_inline_suppression_in_the_outer_file_covers_an_embedded_finding(run_cli: CliRun,
                                                                            write_files: FileWriter,
                                                                            policies_written: None) -> None:
    body = "".join("    " + line + "\n" for line in DASHBOARD_LINES)
    text = ("# gitops-tools: disable-document dashboard-panels-not-graph -- migrating\n"
            + CONFIGMAP.format(style="|", body=body))
    write_files({"cm.yaml": text})
    assert findings(run_cli, "cm.yaml") == []


def test_explain_classification_names_each_document_s_domains_and_why(run_cli: CliRun,
                                                                       write_files: FileWriter) -> None:
    body = "".join("    " + line + "\n" for line in DASHBOARD_LINES)
    write_files({"cm.yaml": CONFIGMAP.format(style="|", body=body), "values.yaml": "replicas: 2\n"})
    code, out, err = run_cli("lint", "--explain-classification", "cm.yaml", "values.yaml")
    assert (code, err) == (0, "")
    assert out == (
        "cm.yaml:1:1: document 0 (v1/ConfigMap/dashboards)\n"
        "  kubernetes: object (kind ConfigMap), a Kubernetes object (a text `kind`): kind ConfigMap matches *\n"
        "cm.yaml:10:5: document 0 /data/api.json (api)\n"
        "  monitoring: configmap-dashboard (kind Dashboard), a Grafana dashboard (JSON) in a ConfigMap's data, as "
        "Grafana's dashboard sidecar loads it: embedded in ConfigMap dashboards at line 1 (/data/api.json)\n"
        "values.yaml:1:1: document 0\n"
        "  no domain: no policy of any domain looks at it (a policy naming only its files would)\n"
        "3 document(s): kubernetes 1, monitoring 1, no domain 1.\n")
    code, out, _ = run_cli("lint", "--explain-classification", "--format", "json", "cm.yaml")
    assert code == 0
    assert json.loads(out)["documents"][1] == {
        "path": "cm.yaml", "line": 10, "column": 5, "document": 0, "pointer": "/data/api.json", "identity": "api",
        "domains": [{"domain": "monitoring", "rule": "configmap-dashboard", "kind": "Dashboard",
                     "why": "a Grafana dashboard (JSON) in a ConfigMap's data, as Grafana's dashboard sidecar loads "
                            "it: embedded in ConfigMap dashboards at line 1 (/data/api.json)"}]}


def test_explain_classification_says_why_a_file_has_no_document(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"broken.yaml": "a: [\n", "patch.yaml": "spec: {}\n",
                 "kustomization.yaml": "resources: []\npatches: [{path: patch.yaml}]\n"})
    code, out, _ = run_cli("lint", "--explain-classification", "broken.yaml", "patch.yaml")
    assert code == 0
    assert out.splitlines() == [
        "broken.yaml:2:1:",
        "  not classified: no document was read (yaml-syntax: did not find expected node content (while parsing a "
        "flow node))",
        "patch.yaml:1:1:",
        "  not classified: a kustomize patch: only its syntax is checked",
        "0 document(s): none."]


def test_explain_classification_refuses_other_formats(run_cli: CliRun) -> None:
    code, out, err = run_cli("lint", "--explain-classification", "--format", "sarif", ".")
    assert (code, out) == (2, "")
    assert "--explain-classification prints text or json, not 'sarif'" in err
