"""Property-based tests: random bytes and YAML-like text through loading, the engine and every reporter.

Whatever the input, no exception escapes, every finding has a position inside the file, and every output format
stays valid (JSON parses, SARIF validates against its schema, JUnit XML parses, text keeps one finding per line).
`make test` runs a bounded number of examples; `make fuzz` runs the long profile (HYPOTHESIS_PROFILE=fuzz).
"""

from __future__ import annotations

import io
import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_reporters import valid_sarif

from gitops_tools.classification import Classifier
from gitops_tools.cli import main
from gitops_tools.engine import Engine
from gitops_tools.findings import Finding
from gitops_tools.lint import LintResult, check_file
from gitops_tools.loading import Limits, LoadedFile, load_bytes
from gitops_tools.policies import load_policies
from gitops_tools.reporters import Style, available_formats, get_reporter
from gitops_tools.targets import Workloads

POLICIES = load_policies()
ENGINE = Engine([p for p in POLICIES.values() if p.enabled], POLICIES, Workloads.load(), Classifier.load())

# Pieces of YAML and JSON that reach the loader's and the engine's corners: anchors, aliases and merges, tags
# (standard, application, code-running, malformed), flow and block collections, Kubernetes shapes the policies
# target, comments with suppressions, odd line breaks and characters YAML forbids.
FRAGMENTS = [
    "apiVersion: v1\n", "apiVersion: apps/v1\n", "kind: Pod\n", "kind: Deployment\n", "kind: List\n", "items:\n",
    "metadata: {name: web}\n", "spec:\n", "  template:\n", "    spec:\n", "  containers:\n", "    - name: app\n",
    "      image: nginx:latest\n", "      env:\n", "        - {name: DB_PASSWORD, value: hunter2}\n",
    "      securityContext:\n", "        privileged: true\n", "securityContext: ~\n", "- ", "  ", "    ", "\t",
    ": ", "-", "---\n", "...\n", "&a ", "*a", "&b [1, 2]\n", "<<: *a\n", "<<: {x: 1}\n",
    "!!python/object/apply:os.system ", "!!int ", "!!binary ", "!!set ", "!!omap ", "!reference ", "!<tag:x> ",
    "!!timestamp 2024-01-01\n", "on: ",
    "yes: ", "~: ", "0x1: ", "01: ", "1: ", "true: ", "? complex\n", "[", "]", "{", "}", ",", "'", '"', "\\u0000",
    "|\n", ">-\n", "# gitops-tools: disable-line container-memory-limit-set\n",
    "# gitops-tools: disable-document\n", "# gitops-tools: disable-file yaml-duplicate-key -- reason\n", "#",
    "\r\n", "\r", "\n", '"\\ud800"', '"\\udfff"', '{"\\udc00": 1}',
    "\u2028", "\u0085", "\ufeff", "\x1b[31m", "\x00", "é", "😀", "a" * 300, "9" * 5000,
    '{"a": 1, "a": 2}', '{"kind": "Pod", "spec": {"containers": [{"name": "x", "image": "y:latest"}]}}',
]

yaml_like = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=40).map("".join)
any_input = st.one_of(yaml_like.map(lambda text: text.encode("utf-8", "surrogatepass")), st.binary(max_size=2000))


def _load(raw: bytes, name: str) -> LoadedFile:
    return load_bytes(raw, name, Limits(max_file_bytes=1_000_000), is_json=name.endswith(".json"))


def _check_positions(findings: list[Finding], raw: bytes) -> None:
    lines = raw.count(b"\n") + raw.count(b"\r") + 1  # an upper bound whatever the line breaks
    for finding in findings:
        assert 1 <= finding.location.line <= lines, finding
        assert finding.location.col >= 1, finding


@given(raw=any_input, name=st.sampled_from(["in.yaml", "in.json"]))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_loading_and_evaluating_never_raise_and_positions_stay_in_the_file(raw: bytes, name: str) -> None:
    loaded = _load(raw, name)
    findings = check_file(ENGINE, loaded, name)
    _check_positions(findings, raw)
    assert all(f.policy_id in POLICIES for f in findings)


@given(raw=any_input)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_every_reporter_writes_valid_output_for_any_findings(raw: bytes) -> None:
    findings = check_file(ENGINE, _load(raw, "in.yaml"), "in.yaml")
    result = LintResult(findings=findings, files=1, rules=dict(ENGINE.policies), root=Path.cwd(), paths=["in.yaml"])
    for name in available_formats():
        stream = io.StringIO()
        get_reporter(name)(result, stream, Style())
        _assert_valid(name, stream.getvalue(), len(findings))


def _assert_valid(name: str, text: str, findings: int) -> None:
    text.encode("utf-8")  # no lone surrogate can reach a file or a terminal
    if name in ("json", "gitlab"):
        json.loads(text)
    elif name == "sarif":
        assert len(valid_sarif(text)["runs"][0]["results"]) == findings
    elif name == "junit":
        ET.fromstring(text)
    elif name == "text":
        assert len(text.splitlines()) == findings + 1


@given(names=st.lists(st.binary(min_size=1, max_size=30), min_size=1, max_size=4),
       fmt=st.sampled_from(available_formats()))
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
def test_any_file_name_lints_with_exit_1_and_valid_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           names: list[bytes], fmt: str) -> None:
    folder = tmp_path / os.urandom(6).hex()
    folder.mkdir()
    for raw in names:
        base = raw.replace(b"/", b"_").replace(b"\x00", b"_").lstrip(b".") or b"x"
        (folder / os.fsdecode(base + b".yaml")).write_bytes(b"kind: [\n")
    monkeypatch.chdir(folder)
    out, err = io.StringIO(), io.StringIO()
    code = main(["lint", "--format", fmt, "."], out, err)
    assert (code, err.getvalue()) == (1, "")
    _assert_valid(fmt, out.getvalue(), len(list(folder.iterdir())))
