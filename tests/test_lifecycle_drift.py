"""Drift as data: versions, divergence, conflict markers, and the three formats (SARIF against its schema)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.drift import Layer, conflict_line, measure, unified
from gitops_tools.lifecycle.driftformats import FORMATS
from gitops_tools.lifecycle.tree import Entry
from gitops_tools.lifecycle.upstream import compare

ROOT = Path(__file__).resolve().parent.parent
BASE = {"ci.yml": Entry(b"on: push\n"), "deploy.yaml": Entry(b"replicas: 2\n"), "gone.md": Entry(b"# old\n")}
OURS = {"ci.yml": Entry(b"on: push\n"), "deploy.yaml": Entry(b"replicas: 3\n"), "app.py": Entry(b"print(1)\n")}
THEIRS = {"ci.yml": Entry(b"on: [push, pull_request]\n"), "deploy.yaml": Entry(b"replicas: 2\n"),
          "gone.md": Entry(b"# old\n"), "new.yaml": Entry(b"a: 1\n")}
MARKED = b"a\n<<<<<<< ours (repo)\nb\n||||||| base\nc\n=======\nd\n>>>>>>> theirs\ne\n"


@pytest.mark.parametrize(("newer", "older"), [("1.10.0", "1.9.2"), ("2.0.0", "1.99.99"), ("1.0.1", "1.0.0")])
def test_versions_order_numerically(newer: str, older: str) -> None:
    assert compare("service", older, newer) == Layer("service", older, newer, behind=True)
    assert compare("service", newer, older) == Layer("service", newer, older, ahead=True)
    assert compare("service", newer, newer) == Layer("service", newer, newer)
    assert compare("service", newer, None) == Layer("service", newer, None)


def test_a_bad_version_is_a_usage_error() -> None:
    with pytest.raises(ConfigError, match=r"^postgres: '1\.0' is not a version"):
        compare("postgres", "1.0", "1.0.0")


def test_measure_reports_template_changes_divergence_and_conflicts() -> None:
    ours = {**OURS, "merged.txt": Entry(MARKED)}
    drift = measure([Layer("service", "1.0.0", "1.1.0", behind=True)], BASE, ours, THEIRS, diff=True)
    assert drift.behind and drift.failed(strict=False)
    assert [(c.path, c.change) for c in drift.template_changes] == [("ci.yml", "changed"), ("new.yaml", "added")]
    assert [(c.path, c.change) for c in drift.divergence] == [("deploy.yaml", "changed"), ("gone.md", "deleted")]
    assert drift.conflicts == (("merged.txt", 2),)
    assert drift.diffs["deploy.yaml"] == ("--- a/deploy.yaml (scaffold)\n+++ b/deploy.yaml (repo)\n@@ -1 +1 @@\n"
                                          "-replicas: 2\n+replicas: 3\n")


def test_current_with_divergence_fails_only_when_strict() -> None:
    drift = measure([Layer("service", "1.1.0", "1.1.0")], BASE, OURS, None)
    assert not drift.behind and drift.template_changes == ()
    assert not drift.failed(strict=False) and drift.failed(strict=True)
    assert not measure([Layer("service", "1.1.0", "1.1.0")], BASE, dict(BASE), None).failed(strict=True)


@pytest.mark.parametrize(("data", "line"), [
    (MARKED, 2),
    (b"<<<<<<< only an opening marker\n", 0),
    (b"docs quoting a marker: <<<<<<< ours\n=======\n>>>>>>> theirs\n", 0),  # the opening one is mid-line
    (b"\0binary <<<<<<< x\n=======\n>>>>>>> y\n", 0),
])
def test_conflict_markers_need_all_three_at_line_starts(data: bytes, line: int) -> None:
    assert conflict_line(data) == line


def test_unified_diff_of_a_deleted_and_a_binary_file() -> None:
    assert unified("gone.md", Entry(b"# old"), None, "repo") == (
        "--- a/gone.md (scaffold)\n+++ /dev/null\n@@ -1 +0,0 @@\n-# old\n\\ No newline at end of file\n")
    assert unified("logo.png", Entry(b"\0a"), Entry(b"\0b"), "repo") == "Binary file logo.png differs\n"


def render(name: str, strict: bool = False) -> str:
    layers = [Layer("service", "1.0.0", "1.1.0", behind=True), Layer("postgres (component)", "1.0.0", None)]
    drift = measure(layers, BASE, {**OURS, "merged.txt": Entry(MARKED)}, THEIRS)
    stream = io.StringIO()
    FORMATS[name](drift, stream, strict)
    return stream.getvalue()


def test_text_format() -> None:
    assert render("text") == """\
service 1.0.0 (available 1.1.0): behind, run `gitops-tools update`
postgres (component) 1.0.0: not in the template source
Changes an update brings:
  changed  ci.yml
  added    new.yaml
Unresolved conflicts:
  merged.txt:2
Diverged from the scaffold's render (fails only with --strict):
  changed  deploy.yaml
  deleted  gone.md
"""


def test_json_format() -> None:
    report = json.loads(render("json"))
    assert report["behind"] is True and report["failed"] is True
    assert report["layers"][1] == {"name": "postgres (component)", "recorded": "1.0.0", "available": None,
                                   "behind": False}
    assert report["conflicts"] == [{"path": "merged.txt", "line": 2}]


@pytest.mark.parametrize("strict", [False, True])
def test_sarif_format_validates_and_levels_follow_strict(strict: bool) -> None:
    from jsonschema.validators import validator_for

    log = json.loads(render("sarif", strict))
    schema = json.loads((ROOT / "schemas/vendor/sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    validator_for(schema)(schema).validate(log)
    run = log["runs"][0]
    rules = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    found = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
              r["locations"][0]["physicalLocation"].get("region", {}).get("startLine")) for r in run["results"]]
    assert found == [("scaffold-behind", "error", ".scaffold.json", 1),
                     ("scaffold-conflict", "error", "merged.txt", 2),
                     ("scaffold-divergence", "warning" if strict else "note", "deploy.yaml", None),
                     ("scaffold-divergence", "warning" if strict else "note", "gone.md", None)]
    assert all(rules[r["ruleIndex"]] == r["ruleId"] for r in run["results"])
