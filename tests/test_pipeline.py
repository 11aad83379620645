"""The lint pipeline's phases: names carried from discovery, the one filter chain, pure reporters, fixer fields."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from gitops_tools.checks import document_checks, workspace_modules
from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import LintResult, json_pointer
from gitops_tools.pipeline import filters
from gitops_tools.policies import load_policies
from gitops_tools.reporters import Style, get_reporter, sarif
from gitops_tools.reporters._about import about

POLICIES = load_policies()
LATEST = """apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: web
      image: nginx:latest
"""


def run(tmp_path: Path, *paths: str) -> LintResult:
    return lint(list(paths) or [str(tmp_path)], Config(root=tmp_path), POLICIES, LintOptions())


@pytest.mark.parametrize(("path", "pointer"), [
    ((), ""), (("spec", "containers", 0, "image"), "/spec/containers/0/image"),
    (("metadata", "annotations", "a/b~c"), "/metadata/annotations/a~1b~0c"), ((True, None, 1), "/true/null/1"),
])
def test_json_pointer_follows_rfc_6901(path: tuple[str | int, ...], pointer: str) -> None:
    assert json_pointer(path) == pointer


def test_findings_carry_what_a_fixer_needs(tmp_path: Path) -> None:
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "pod.yaml").write_text("---\nkind: ConfigMap\n---\n" + LATEST)
    result = run(tmp_path)
    (finding,) = [f for f in result.findings if f.policy_id == "container-image-tag-not-latest"]
    assert (finding.repo_path, finding.document, finding.pointer) == ("deploy/pod.yaml", 1, "/spec/containers/0/image")
    assert "nginx:latest" in finding.detail  # the validator's own words, kept
    stream = io.StringIO()
    get_reporter("json")(result, stream, Style())
    (record,) = [r for r in json.loads(stream.getvalue())["findings"] if r["policy_id"] == finding.policy_id]
    assert record["pointer"] == "/spec/containers/0/image" and record["document"] == 1
    assert record["repo_path"] == "deploy/pod.yaml" and record["detail"] == finding.detail


def test_a_file_problem_has_no_document_or_pointer(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n")
    (finding,) = run(tmp_path).findings
    assert (finding.policy_id, finding.document, finding.pointer, finding.repo_path) == ("yaml-syntax", None, None,
                                                                                         "bad.yaml")


def test_the_filter_chain_is_one_ordered_list() -> None:
    assert [step.__name__ for step in filters.PER_FILE] == ["exempted", "suppressed", "excluded", "off_diff"]


def test_an_annotation_exemption_filters_only_its_own_resource(tmp_path: Path) -> None:
    items = [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, **extra},
              "spec": {"containers": [{"name": "c", "image": "nginx:latest"}]}}
             for name, extra in (("a", {"annotations": {"gitops-tools.io/exempt":
                                                         "container-image-tag-not-latest: test"}}), ("b", {}))]
    (tmp_path / "list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    found = [f.pointer for f in run(tmp_path).findings if f.policy_id == "container-image-tag-not-latest"]
    assert found == ["/items/1/spec/containers/0/image"]


def test_workspace_findings_go_through_the_same_filter_chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A workspace finding joins its file's chain: a.yaml's disable-file suppression covers it, b.yaml's does not."""
    settings = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n"
    (tmp_path / "a.yaml").write_text(settings)
    (tmp_path / "b.yaml").write_text(settings)
    (tmp_path / "c.yaml").write_text("# gitops-tools: disable-file manifest-identity-unique-in-unit -- generated\n"
                                     + settings)
    monkeypatch.chdir(tmp_path)
    result = lint(["."], Config(root=tmp_path), POLICIES, LintOptions(select=("manifest-identity-unique-in-unit",)))
    assert [(f.location.path, f.location.line, f.document, f.pointer) for f in result.findings] == [
        ("b.yaml", 3, 0, "/metadata/name")]
    assert "ConfigMap/settings is also defined at a.yaml:3:" in result.findings[0].message


def test_workspace_checks_are_found_by_listing_their_folder() -> None:
    assert set(workspace_modules()) == {"identity_unique_in_unit", "service_selector_matches"}
    assert not set(workspace_modules()) & set(document_checks())


@pytest.mark.parametrize("name", ["sarif", "gitlab", "github", "json", "junit", "text"])
def test_reporters_never_touch_the_filesystem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    (tmp_path / "pod.yaml").write_text(LATEST)
    result = run(tmp_path)
    expected = io.StringIO()
    get_reporter(name)(result, expected, Style())

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a reporter touched the filesystem")

    reporter, stream = get_reporter(name), io.StringIO()
    package = about()  # SARIF names the tool from the installed package's metadata: the one read left, not ours
    monkeypatch.setattr(sarif, "about", lambda: package)
    with monkeypatch.context() as patched:  # undone before pytest itself needs the filesystem again
        for attribute in ("cwd", "exists", "resolve", "absolute", "stat", "lstat", "is_dir", "is_file", "open"):
            patched.setattr(Path, attribute, refuse)
        patched.setattr(os, "getcwd", refuse)
        patched.setattr(os.path, "realpath", refuse)
        reporter(result, stream, Style())
    assert stream.getvalue() == expected.getvalue() and "pod.yaml" in stream.getvalue()
