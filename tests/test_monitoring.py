"""The monitoring domain on realistic repositories (tests/fixtures/monitoring): a rule file, a PrometheusRule, a
ServiceMonitor and a PodMonitor, a dashboard JSON file and a dashboard in a ConfigMap. The good repository lints
clean; the bad one gives each expected finding at its exact line and column."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from conftest import CliRun, sorted_spots

from gitops_tools.findings import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "monitoring"

BAD = [
    ("dashboards/api.json", 1, 1, "dashboard-uid-and-title-set"),
    ("dashboards/api.json", 13, 11, "dashboard-datasource-templated"),  # a uid, in a collapsed row's panel
    ("dashboards/api.json", 14, 27, "dashboard-panel-unit-set"),
    ("dashboards/api.json", 16, 52, "dashboard-rate-interval"),  # at rate( inside the JSON string
    ("dashboards/api.json", 23, 7, "dashboard-panel-title-set"),
    ("dashboards/api.json", 24, 7, "dashboard-datasource-templated"),  # a data source's name
    ("dashboards/api.json", 26, 7, "dashboard-panel-targets-set"),
    ("k8s/dashboard-configmap.yaml", 10, 5, "dashboard-uid-and-title-set"),  # the dashboard inside the ConfigMap
    ("k8s/dashboard-configmap.yaml", 14, 9, "dashboard-panel-unit-set"),
    ("k8s/dashboard-configmap.yaml", 17, 51, "dashboard-rate-interval"),  # at irate( in the literal block
    ("k8s/monitors.yaml", 7, 3, "monitor-selector-set"),  # selector: {}
    ("k8s/monitors.yaml", 9, 7, "monitor-endpoint-port-named"),  # targetPort
    ("k8s/monitors.yaml", 17, 1, "monitor-selector-set"),  # no selector
    ("k8s/monitors.yaml", 17, 1, "custom-resource-structure-valid"),  # the CRD requires spec.selector
    ("k8s/monitors.yaml", 19, 7, "monitor-endpoint-port-named"),  # portNumber
    ("k8s/prometheusrule.yaml", 14, 38, "promql-rate-on-counters"),  # worker_jobs_processed
    ("k8s/prometheusrule.yaml", 16, 11, "rule-durations-valid"),  # keep_firing_for: 1.5h
    ("k8s/prometheusrule.yaml", 16, 11, "custom-resource-structure-valid"),  # the CRD's duration pattern too
    ("k8s/prometheusrule.yaml", 24, 42, "promql-expr-parses"),  # the ( left open, in a plain scalar
    ("rules/api.rules.yaml", 4, 5, "rule-durations-valid"),  # interval: 30 seconds
    ("rules/api.rules.yaml", 6, 9, "recording-rule-name-convention"),
    ("rules/api.rules.yaml", 12, 24, "promql-expr-parses"),  # the ( left open, in a literal block
    ("rules/api.rules.yaml", 14, 20, "promql-rate-on-counters"),  # process_resident_memory_bytes
    ("rules/api.rules.yaml", 16, 15, "promql-expr-parses"),  # rate( of an instant vector
    ("rules/api.rules.yaml", 22, 9, "rule-durations-valid"),  # for: 10 m
    ("rules/api.rules.yaml", 24, 11, "alert-severity-label-allowed"),  # severity: high
    ("rules/api.rules.yaml", 26, 76, "alert-templates-parse"),  # `}` where `}}` closes
    ("rules/api.rules.yaml", 29, 9, "alert-names-unique"),
    ("rules/api.rules.yaml", 32, 11, "alert-severity-label-allowed"),
    ("rules/api.rules.yaml", 33, 9, "alert-annotations-set"),
    ("rules/api.rules.yaml", 35, 9, "alert-severity-label-allowed"),  # no labels at all
    ("rules/api.rules.yaml", 38, 35, "alert-templates-parse"),  # $labels.pod-name
    ("rules/api.rules.yaml", 39, 25, "alert-templates-parse"),  # {{ if }} without {{ end }}
]



def test_the_good_repository_lints_clean(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("good")
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (5, 6)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[[str], LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad")) == sorted(BAD)


def test_a_parse_error_carries_the_parsers_message(lint_fixture: Callable[[str], LintResult]) -> None:
    messages = {(f.location.path, f.location.line): f.message for f in lint_fixture("bad").findings
                if f.policy_id == "promql-expr-parses"}
    assert messages[("rules/api.rules.yaml", 16)].endswith(
        "expected type matrix in call to function 'rate', got vector")
    assert messages[("k8s/prometheusrule.yaml", 24)].endswith("unclosed left parenthesis")


def test_the_severity_parameter_sets_the_allowed_values(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    (tmp_path / "bad" / ".gitops-tools.yaml").write_text(
        "policies:\n  alert-severity-label-allowed:\n    parameters:\n      severities: [high]\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "bad/rules", "--select", "alert-severity-label-allowed")
    assert code == 1
    assert [line.split(": ")[0] for line in out.splitlines()[:-1]] == ["bad/rules/api.rules.yaml:35:9"]  # no label
