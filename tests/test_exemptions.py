"""Exemptions that expire: annotations, config entries and inline suppressions, with "today" injected."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from conftest import CliRun, FileWriter

from gitops_tools.config import find_config, load_config
from gitops_tools.errors import ConfigError
from gitops_tools.expiry import parse_date
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy

CONFIG = ".gitops-tools.yaml"
HOST = "pod-host-network-unset"
NAMESPACE = "namespace-not-default"
EXPIRED = "exemption-expired"
DAY = date(2026, 6, 30)

EXEMPT_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: exporter
  annotations:
    gitops-tools.io/exempt: "pod-host-network-unset: reads host network statistics"
    gitops-tools.io/exempt-expires: "{expires}"
spec:
  hostNetwork: true
  containers: [{{name: app, image: "app@sha256:0000000000000000000000000000000000000000000000000000000000000000"}}]
"""

CONFIG_MAP = """\
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: default}}  # gitops-tools: disable-line namespace-not-default -- shared{note}
"""


def _lint(tmp_path: Path, files: dict[str, str], today: date, *paths: str) -> LintResult:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    config = load_config(find_config(tmp_path), tmp_path, today=today)
    from gitops_tools.policies import load_policies

    return lint([str(tmp_path / p) for p in (paths or [n for n in files if n != CONFIG])], config, load_policies(),
                LintOptions())


def _spots(result: LintResult) -> list[tuple[str, int, int, str]]:
    return [(Path(f.location.path).name, f.location.line, f.location.col, f.policy_id) for f in result.findings
            if f.policy_id in (HOST, NAMESPACE, EXPIRED)]


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-06-30", date(2026, 6, 30)), ("2024-02-29", date(2024, 2, 29)),
    ("2026-02-30", None), ("2026-13-01", None), ("2026-6-30", None), ("30/06/2026", None), ("2026-06-30 ", None),
    ("20260630", None), ("2026-06-30T00:00:00", None), ("", None), ("２０２６-06-30", None),
])
def test_dates_are_read_strictly(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(("today", "expected"), [
    pytest.param(DAY, [], id="on-the-day-it-still-holds"),
    pytest.param(date(2026, 7, 1), [("pod.yaml", 7, 5, EXPIRED), ("pod.yaml", 9, 3, HOST)], id="the-day-after"),
])
def test_an_annotation_exemption_holds_through_its_expiry_date(tmp_path: Path, today: date,
                                                               expected: list[tuple[str, int, int, str]]) -> None:
    result = _lint(tmp_path, {"pod.yaml": EXEMPT_POD.format(expires="2026-06-30")}, today)
    assert _spots(result) == expected


@pytest.mark.parametrize("expires", ["2026-02-30", "30/06/2026", "soon"])
def test_an_annotation_expiry_that_is_no_date_exempts_nothing(tmp_path: Path, expires: str) -> None:
    result = _lint(tmp_path, {"pod.yaml": EXEMPT_POD.format(expires=expires)}, DAY)
    assert _spots(result) == [("pod.yaml", 7, 5, EXPIRED), ("pod.yaml", 9, 3, HOST)]
    [finding] = [f for f in result.findings if f.policy_id == EXPIRED]
    assert f"expires {expires!r} is not a date (YYYY-MM-DD)" in finding.message


def test_an_exemption_without_expiry_never_expires(tmp_path: Path) -> None:
    pod = EXEMPT_POD.format(expires="x").replace('    gitops-tools.io/exempt-expires: "x"\n', "")
    assert _spots(_lint(tmp_path, {"pod.yaml": pod}, date(9999, 12, 31))) == []


@pytest.mark.parametrize(("note", "today", "expected"), [
    pytest.param("", date(9999, 1, 1), [], id="no-expiry"),
    pytest.param(" (expires 2026-06-30)", DAY, [], id="on-the-day"),
    pytest.param(" (expires 2026-06-30)", date(2026, 7, 1),
                 [("cm.yaml", 3, 28, NAMESPACE), ("cm.yaml", 3, 49, EXPIRED)], id="the-day-after"),
    pytest.param(" (expires 2026-02-30)", DAY, [("cm.yaml", 3, 28, NAMESPACE), ("cm.yaml", 3, 49, EXPIRED)],
                 id="no-such-date"),
])
def test_a_suppression_reason_may_end_with_its_expiry(tmp_path: Path, note: str, today: date,
                                                      expected: list[tuple[str, int, int, str]]) -> None:
    result = _lint(tmp_path, {"cm.yaml": CONFIG_MAP.format(note=note)}, today)
    assert _spots(result) == expected
    assert not [f for f in result.findings if f.policy_id == "suppression-unused"]  # expired is not also "unused"


def test_an_expired_suppression_message_names_its_date(tmp_path: Path) -> None:
    result = _lint(tmp_path, {"cm.yaml": CONFIG_MAP.format(note=" (expires 2026-06-29)")}, DAY)
    [finding] = [f for f in result.findings if f.policy_id == EXPIRED]
    assert finding.message == ("exemption has expired: disable-line namespace-not-default: expired on 2026-06-29; "
                               "renew it with a new date or fix the finding")


POD_ON_HOST = """\
apiVersion: v1
kind: Pod
metadata: {name: exporter}
spec:
  hostNetwork: true
  containers: [{name: app, image: "app@sha256:0000000000000000000000000000000000000000000000000000000000000000"}]
"""


@pytest.mark.parametrize(("config", "at"), [
    pytest.param(f"policies:\n  {HOST}:\n    enabled: false\n    reason: r\n    expires: 2026-06-29\n", (5, 5),
                 id="policies-entry"),
    pytest.param(f"policies:\n  {HOST}:\n    exclude:\n      - {{path: '*.yaml', reason: r, expires: 2026-06-29}}\n",
                 (4, 37), id="policy-exclude-rule"),
    pytest.param("exclude:\n  - path: pod.yaml\n    expires: '2026-06-29'\n", (3, 5), id="global-exclude-rule"),
])
def test_an_expired_config_exemption_stops_exempting_and_is_a_finding(tmp_path: Path, config: str,
                                                                      at: tuple[int, int]) -> None:
    files = {CONFIG: config, "pod.yaml": POD_ON_HOST}
    assert _spots(_lint(tmp_path, files, date(2026, 6, 29), "pod.yaml")) == []
    assert _spots(_lint(tmp_path, files, DAY, "pod.yaml")) == [(CONFIG, *at, EXPIRED), ("pod.yaml", 5, 3, HOST)]


@pytest.mark.parametrize(("config", "at", "words"), [
    pytest.param(f"policies:\n  {HOST}:\n    enabled: false\n    expires: 2026-02-30\n", (4, 5),
                 "expires '2026-02-30' is not a calendar date (YYYY-MM-DD)", id="no-such-day"),
    pytest.param("exclude:\n  - {path: x, expires: 30/06/2026}\n", (2, 15),
                 "expires '30/06/2026' is not a calendar date (YYYY-MM-DD)", id="not-iso"),
    pytest.param(f"policies:\n  {HOST}: {{enabled: false, expires: 2026}}\n", (2, 44), "is not of type",
                 id="a-number"),
])
def test_a_bad_config_expiry_is_an_error_at_its_position(tmp_path: Path, run_cli: CliRun, write_files: FileWriter,
                                                         config: str, at: tuple[int, int], words: str) -> None:
    write_files({CONFIG: config, "pod.yaml": POD_ON_HOST})
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / CONFIG, tmp_path)
    assert caught.value.location is not None
    assert (caught.value.location.line, caught.value.location.col) == at
    code, out, err = run_cli("lint", "pod.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {CONFIG}:{at[0]}:{at[1]}: invalid config")
    assert words in err and "Traceback" not in err


def test_the_cli_reports_an_expired_exemption_and_exits_1(run_cli: CliRun, write_files: FileWriter,
                                                           policies: dict[str, Policy]) -> None:
    write_files({CONFIG: f"policies:\n  {HOST}: {{enabled: false, expires: 2001-01-01}}\n", "pod.yaml": POD_ON_HOST})
    code, out, _ = run_cli("lint", "--select", HOST, "pod.yaml")
    assert code == 1
    assert f"{CONFIG}:2:44: error [{EXPIRED}] exemption has expired: enabled: false: expired on 2001-01-01" in out
    assert f"pod.yaml:5:3: error [{HOST}]" in out


# --- gitops-tools exemptions: the audit listing ----------------------------------------------------------------------

AUDIT_CONFIG = """\
policies:
  container-cpu-limit-set:
    enabled: false
    reason: CPU requests and LimitRanges
  namespace-not-default: {enabled: false, reason: legacy, expires: 2001-01-01}
  container-image-pinned-by-digest: {enabled: true}
exclude:
  - {path: generated/**, reason: rendered by CI, expires: 2999-12-31}
  - vendor/**
"""
AUDIT_MANIFEST = """\
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: node-exporter
  annotations:
    gitops-tools.io/exempt: "pod-host-network-unset, container-host-port-unset: reads host network stats"
    gitops-tools.io/exempt-expires: "2999-06-30"
spec: {}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}  # gitops-tools: disable-line namespace-not-default -- shared (expires 2001-01-31)
# gitops-tools: disable-file yaml-duplicate-key
"""


def test_the_exemptions_command_lists_every_exemption(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({CONFIG: AUDIT_CONFIG, "k8s/exporter.yaml": AUDIT_MANIFEST, "k8s/plain.yaml": POD_ON_HOST,
                 "k8s/data.json": '{"a": "# gitops-tools: disable-file x"}'})
    code, out, err = run_cli("exemptions")
    assert (code, err) == (0, "")
    assert out == (
        ".gitops-tools.yaml:2:3: config [container-cpu-limit-set] enabled: false -- CPU requests and LimitRanges\n"
        ".gitops-tools.yaml:5:59: config [namespace-not-default] enabled: false -- legacy (expires 2001-01-01, "
        "EXPIRED)\n"
        ".gitops-tools.yaml:8:5: config [*] exclude generated/** -- rendered by CI (expires 2999-12-31)\n"
        ".gitops-tools.yaml:9:5: config [*] exclude vendor/** -- no reason given\n"
        "k8s/exporter.yaml:6:5: annotation [pod-host-network-unset, container-host-port-unset] DaemonSet/node-exporter"
        " -- reads host network stats (expires 2999-06-30)\n"
        "k8s/exporter.yaml:12:29: suppression [namespace-not-default] disable-line -- shared (expires 2001-01-31, "
        "EXPIRED)\n"
        "k8s/exporter.yaml:13:1: suppression [yaml-duplicate-key] disable-file -- no reason given\n"
        "7 exemption(s), 2 expired.\n")


def test_the_exemptions_command_writes_json_for_a_path(run_cli: CliRun, write_files: FileWriter) -> None:
    import json

    write_files({CONFIG: AUDIT_CONFIG, "k8s/exporter.yaml": AUDIT_MANIFEST})
    code, out, _ = run_cli("exemptions", "--format", "json", "k8s/exporter.yaml")
    assert code == 0
    listed = json.loads(out)["exemptions"]
    assert [(e["path"], e["line"], e["kind"], e["expired"]) for e in listed] == [
        (CONFIG, 2, "config", False), (CONFIG, 5, "config", True), (CONFIG, 8, "config", False),
        (CONFIG, 9, "config", False), ("k8s/exporter.yaml", 6, "annotation", False),
        ("k8s/exporter.yaml", 12, "suppression", True), ("k8s/exporter.yaml", 13, "suppression", False)]
    assert listed[4] == {"path": "k8s/exporter.yaml", "line": 6, "column": 5, "kind": "annotation",
                         "policies": ["pod-host-network-unset", "container-host-port-unset"],
                         "scope": "DaemonSet/node-exporter", "reason": "reads host network stats",
                         "expires": "2999-06-30", "expired": False}


def test_the_listing_uses_the_injected_today(tmp_path: Path, write_files: FileWriter) -> None:
    from gitops_tools.exemption_audit import list_exemptions

    write_files({CONFIG: AUDIT_CONFIG, "k8s/exporter.yaml": AUDIT_MANIFEST})
    before = load_config(tmp_path / CONFIG, tmp_path, today=date(2000, 1, 1))
    after = load_config(tmp_path / CONFIG, tmp_path, today=date(3000, 1, 1))
    target = [str(tmp_path / "k8s")]
    assert [item.expired is not None for item in list_exemptions(target, before)] == [False] * 7
    assert [item.expired is not None for item in list_exemptions(target, after)] == [
        False, True, True, False, True, True, False]


def test_the_exemptions_command_reports_a_bad_config_with_exit_2(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({CONFIG: "exclude:\n  - {path: x, expires: 2026-02-30}\n"})
    code, out, err = run_cli("exemptions")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {CONFIG}:2:15: invalid config: expires '2026-02-30'")
