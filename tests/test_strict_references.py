"""`--strict-references` and the config's `strict_references`: a workspace check whose referenced object is not among
the objects read stays quiet by default (it may be deployed from elsewhere) and reports it when the run is strict;
the command line wins over the config."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import CliRun, FileWriter, TreeLint

from gitops_tools.config import Config, load_config
from gitops_tools.lint import LintResult

SELECTOR = "service-selector-matches-pods"
LONELY_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""


def spots(result: LintResult) -> list[tuple[str, int, int, str]]:
    return [(f.location.path, f.location.line, f.location.col, f.policy_id) for f in result.findings]


def test_a_reference_out_of_the_linted_set_is_quiet_by_default_and_reported_when_strict(lint_tree: TreeLint) -> None:
    files = {"svc.yaml": LONELY_SERVICE}
    assert spots(lint_tree(files, ".", select=(SELECTOR,))) == []
    strict = lint_tree(files, ".", select=(SELECTOR,), strict_references=True)
    assert spots(strict) == [("svc.yaml", 5, 3, SELECTOR)]
    assert strict.findings[0].message.endswith("app=web: no workload in namespace shop among the files read")


def test_strict_is_per_namespace(lint_tree: TreeLint) -> None:
    """A workload in another namespace is no target: namespace shop still has none."""
    other = ("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: other}\nspec:\n"
             "  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n"
             "    spec: {containers: [{name: web, image: registry.example.com/web:1.0.0}]}\n")
    result = lint_tree({"svc.yaml": LONELY_SERVICE, "other.yaml": other}, ".", select=(SELECTOR,),
                       strict_references=True)
    assert spots(result) == [("svc.yaml", 5, 3, SELECTOR)]


@pytest.mark.parametrize(("config", "flag", "reported"), [
    ("", None, False),
    ("strict_references: true\n", None, True),
    ("strict_references: false\n", None, False),
    ("", "--strict-references", True),
    ("strict_references: true\n", "--no-strict-references", False),  # the command line wins
    ("strict_references: false\n", "--strict-references", True),
])
def test_the_command_line_wins_over_the_config(run_cli: CliRun, write_files: FileWriter, config: str,
                                               flag: str | None, reported: bool) -> None:
    write_files({"svc.yaml": LONELY_SERVICE, ".gitops-tools.yaml": config or "render: false\n"})
    code, out, _ = run_cli("lint", "--select", SELECTOR, *([flag] if flag else []), "svc.yaml")
    assert (code, "svc.yaml:5:3: warning [service-selector-matches-pods]" in out) == (int(reported), reported), out


def test_the_config_key_is_a_boolean(tmp_path: Path, write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "render: false\nstrict_references: true\n"})
    assert load_config(tmp_path / ".gitops-tools.yaml", tmp_path).strict_references is True
    assert Config(root=tmp_path).strict_references is False


def test_a_config_value_that_is_no_boolean_is_an_error_at_its_position(run_cli: CliRun,
                                                                        write_files: FileWriter) -> None:
    write_files({".gitops-tools.yaml": "render: false\nstrict_references: yes please\n", "svc.yaml": LONELY_SERVICE})
    code, _, err = run_cli("lint", "svc.yaml")
    assert code == 2
    assert '.gitops-tools.yaml:2:1: invalid config: strict_references: "yes please" is not of type "boolean"' \
        in err, err


def test_a_policy_example_may_be_linted_strictly() -> None:
    """The meta-schema lets an example say `strict_references: true` (the Service policy's last fail example)."""
    from gitops_tools.policies import load_policies

    examples = load_policies()[SELECTOR].examples
    assert [bool(example.get("strict_references")) for example in examples["fail"]] == [False, True]
    assert not any(isinstance(example, dict) and example.get("strict_references") for example in examples["pass"])
