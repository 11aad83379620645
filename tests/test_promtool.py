"""Differential test against promtool (Prometheus's own rule checker, from the OS package `prometheus`): on every
rule of the monitoring fixtures and of the rule-file policies' examples, one rule file per rule, our verdict and
promtool's agree for each concept both check. promtool refuses a rule file whose expression does not parse, whose
durations are not durations or whose templates do not parse (we: promql-expr-parses, rule-durations-valid,
alert-templates-parse), and reports two rules with one name and the same labels as a lint error
(alert-names-unique). Missing promtool: skipped, and a failure under CI=true."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from conftest import ToolFinder

from gitops_tools.config import Config
from gitops_tools.lint import lint
from gitops_tools.model import Policy
from gitops_tools.pipeline.options import LintOptions

FIXTURES = Path(__file__).parent / "fixtures" / "monitoring"
LOAD_ERRORS = ("promql-expr-parses", "rule-durations-valid", "alert-templates-parse")
DUPLICATES = "alert-names-unique"


def _rule_files(policies: dict[str, Policy]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, rule file) for every fixture and example rule file (a PrometheusRule's `spec`): each rule alone in its
    group, and each group whole (for duplicates)."""
    sources: list[tuple[str, Any]] = []
    for path in sorted(FIXTURES.glob("*/*/*.yaml")):
        sources.extend((str(path.relative_to(FIXTURES)), data)
                       for data in yaml.safe_load_all(path.read_text(encoding="utf-8")))
    for policy_id in (*LOAD_ERRORS, DUPLICATES):
        for verdict in ("pass", "fail"):
            for index, example in enumerate(policies[policy_id].examples[verdict]):
                sources.append((f"{policy_id}-{verdict}-{index}", yaml.safe_load(example)))
    for name, data in sources:
        rule_file = data.get("spec") if data.get("kind") == "PrometheusRule" else data
        if not isinstance(rule_file, dict) or "groups" not in rule_file:
            continue  # a ServiceMonitor, a dashboard's ConfigMap
        for group in rule_file["groups"]:
            yield f"{name}:{group['name']}", {"groups": [group]}
            for index, rule in enumerate(group.get("rules") or []):
                yield f"{name}:{group['name']}:{index}", {"groups": [{**group, "rules": [rule]}]}


def test_promtool_and_gitops_tools_agree_on_rule_files(tmp_path: Path, external_tool: ToolFinder,
                                                       policies: dict[str, Policy]) -> None:
    promtool = external_tool("promtool")
    cases = list(_rule_files(policies))
    assert len(cases) > 30
    disagreements = []
    for number, (name, rule_file) in enumerate(cases):
        path = tmp_path / f"rules-{number}.yaml"
        path.write_text(yaml.safe_dump(rule_file, sort_keys=False), encoding="utf-8")
        done = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60,
                              check=False)
        theirs = (done.returncode != 0, "duplicate rule" in done.stdout + done.stderr)
        found = {f.policy_id for f in lint([str(path)], Config(root=tmp_path), policies, LintOptions()).findings}
        ours = (bool(found & set(LOAD_ERRORS)), DUPLICATES in found)
        if theirs[0]:  # promtool stops at a file it cannot load: its duplicates check never runs
            ours = (ours[0], False)
        if theirs != ours:
            disagreements.append(f"{name}: promtool {theirs}, gitops-tools {ours} {sorted(found)}\n"
                                 f"{done.stdout}{done.stderr}")
    assert disagreements == [], "\n".join(disagreements)
