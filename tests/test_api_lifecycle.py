"""Deprecated and removed apiVersions: the vendored data (its checksum, its shape, the removals it must cover), and
the two policies judging for the run's target Kubernetes version, from the command line, the config and the default."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import CliRun

from gitops_tools.apilifecycle import DERIVED, derive, lifecycles, release
from gitops_tools.config import Config
from gitops_tools.findings import LintResult
from gitops_tools.kubeversion import DEFAULT, NEWEST, KubernetesVersion
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "schemas" / "vendor"
FIXTURES = Path(__file__).parent / "fixtures" / "api-lifecycle"
POLICY_IDS = ("api-version-not-removed", "api-version-not-deprecated")
REMOVED, DEPRECATED = POLICY_IDS

# Every removal from 1.16 through 1.32 the brief names (apiVersion, kind, removed in), as Kubernetes' deprecation
# guide gives them: the data must know each.
GUIDE_REMOVALS = [
    ("extensions/v1beta1", "Deployment", "1.16"), ("extensions/v1beta1", "DaemonSet", "1.16"),
    ("extensions/v1beta1", "ReplicaSet", "1.16"), ("extensions/v1beta1", "NetworkPolicy", "1.16"),
    ("extensions/v1beta1", "PodSecurityPolicy", "1.16"), ("apps/v1beta1", "Deployment", "1.16"),
    ("apps/v1beta2", "StatefulSet", "1.16"), ("apps/v1beta2", "DaemonSet", "1.16"),
    ("extensions/v1beta1", "Ingress", "1.22"), ("networking.k8s.io/v1beta1", "Ingress", "1.22"),
    ("networking.k8s.io/v1beta1", "IngressClass", "1.22"),
    ("admissionregistration.k8s.io/v1beta1", "ValidatingWebhookConfiguration", "1.22"),
    ("admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", "1.22"),
    ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22"),
    ("apiregistration.k8s.io/v1beta1", "APIService", "1.22"),
    ("authentication.k8s.io/v1beta1", "TokenReview", "1.22"),
    ("certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22"),
    ("coordination.k8s.io/v1beta1", "Lease", "1.22"),
    ("rbac.authorization.k8s.io/v1beta1", "ClusterRole", "1.22"),
    ("rbac.authorization.k8s.io/v1beta1", "RoleBinding", "1.22"),
    ("scheduling.k8s.io/v1beta1", "PriorityClass", "1.22"),
    ("storage.k8s.io/v1beta1", "StorageClass", "1.22"), ("storage.k8s.io/v1beta1", "CSIDriver", "1.22"),
    ("storage.k8s.io/v1beta1", "CSINode", "1.22"), ("storage.k8s.io/v1beta1", "VolumeAttachment", "1.22"),
    ("batch/v1beta1", "CronJob", "1.25"), ("discovery.k8s.io/v1beta1", "EndpointSlice", "1.25"),
    ("events.k8s.io/v1beta1", "Event", "1.25"), ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25"),
    ("policy/v1beta1", "PodDisruptionBudget", "1.25"), ("policy/v1beta1", "PodSecurityPolicy", "1.25"),
    ("node.k8s.io/v1beta1", "RuntimeClass", "1.25"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", "1.26"),
    ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26"),
    ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "1.29"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "PriorityLevelConfiguration", "1.29"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "1.32"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration", "1.32"),
]

INGRESS = """apiVersion: {api}
kind: Ingress
metadata: {{name: web, namespace: shop}}
spec:
  rules: [{{host: shop.example.com}}]
"""


def test_the_vendored_file_is_the_recorded_one() -> None:
    source = (VENDOR / "pluto-versions.SOURCE").read_text(encoding="utf-8")
    recorded = dict((name, digest) for digest, name in re.findall(r"([0-9a-f]{64})\s+(\S+\.yaml)", source))
    assert recorded == {"pluto-versions.yaml": hashlib.sha256(
        (VENDOR / "pluto-versions.yaml").read_bytes()).hexdigest()}
    assert "Apache-2.0" in source and "v5.24.0" in source
    assert "Apache License" in (VENDOR / "pluto-versions.LICENSE").read_text(encoding="utf-8")


def test_the_data_has_its_shape() -> None:
    spec = yaml.safe_load((ROOT / "schemas" / "resources" / "api-lifecycle.yaml").read_text(encoding="utf-8"))
    vendored = yaml.safe_load((ROOT / "schemas" / spec["source"]).read_text(encoding="utf-8"))
    entries = [entry for entry in vendored["deprecated-versions"] if entry["component"] == spec["component"]]
    assert len(entries) > 80
    for entry in entries:
        assert {"version", "kind", "deprecated-in", "removed-in", "replacement-api"} <= set(entry), entry
        assert re.fullmatch(r"([a-z0-9.-]+/)?v[0-9]+((alpha|beta)[0-9]+)?", entry["version"]), entry
        assert re.fullmatch(r"[A-Z][A-Za-z]+", entry["kind"]), entry
        release(entry["deprecated-in"]), release(entry["removed-in"])  # readable releases, or empty
    known = {(entry["version"], entry["kind"]) for entry in entries}
    for fix in spec["corrections"]:
        assert (fix["apiVersion"], fix["kind"]) in known, fix  # a correction names an entry it changes
        assert fix["why"]
    for found in lifecycles().values():  # deprecated before removed, and a replacement names an apiVersion
        if found.deprecated_in is not None and found.removed_in is not None:
            assert found.deprecated_in <= found.removed_in, found
        assert found.replacement == "" or "/" in found.replacement or found.replacement == "v1", found


def test_the_derived_data_is_in_step_with_the_vendored_file_and_its_corrections() -> None:
    """Runs read schemas/resources/api-lifecycle.json (a JSON load, not a YAML parse); `make docs` writes it."""
    derived = json.loads((ROOT / "schemas" / "resources" / DERIVED).read_text(encoding="utf-8"))
    assert derived == derive(), "schemas/resources/api-lifecycle.json is stale: run `make docs`"
    assert derived["sha256"] == hashlib.sha256((VENDOR / "pluto-versions.yaml").read_bytes()).hexdigest()
    assert ("flowcontrol.apiserver.k8s.io/v1beta1", "FlowControl") not in lifecycles()  # dropped


def test_the_newest_known_version_is_the_newest_the_data_names() -> None:
    named = {version for found in lifecycles().values() for version in (found.deprecated_in, found.removed_in)
             if version is not None}
    assert max(named) == NEWEST == DEFAULT


@pytest.mark.parametrize(("api", "kind", "removed"), GUIDE_REMOVALS)
def test_every_removal_of_the_guide_is_known(api: str, kind: str, removed: str) -> None:
    assert lifecycles()[(api, kind)].removed_in == KubernetesVersion.parse(removed)


def _spots(result: LintResult) -> list[tuple[str, int, int, str]]:
    return sorted((f.location.path, f.location.line, f.location.col, f.policy_id) for f in result.findings
                  if f.policy_id in POLICY_IDS)


def _lint(tmp_path: Path, policies: dict[str, Policy], text: str, version: str | None,
          configured: str | None = None) -> LintResult:
    (tmp_path / "ingress.yaml").write_text(text, encoding="utf-8")
    config = Config(root=tmp_path, kubernetes_version=KubernetesVersion.parse(configured) if configured else None)
    flag = KubernetesVersion.parse(version) if version else None
    return lint([str(tmp_path / "ingress.yaml")], config, policies, LintOptions(kubernetes_version=flag))


@pytest.mark.parametrize(("api", "version", "expected"), [
    ("networking.k8s.io/v1beta1", "1.15", []),
    ("networking.k8s.io/v1beta1", "1.18", []),
    ("networking.k8s.io/v1beta1", "1.19", [DEPRECATED]),
    ("networking.k8s.io/v1beta1", "1.21", [DEPRECATED]),
    ("networking.k8s.io/v1beta1", "1.22", [REMOVED]),
    ("extensions/v1beta1", "1.13", []),
    ("extensions/v1beta1", "1.14", [DEPRECATED]),  # as the API server says: "deprecated in v1.14+"
    ("extensions/v1beta1", "1.19", [DEPRECATED]),
    ("extensions/v1beta1", "1.22", [REMOVED]),
    ("extensions/v1beta1", None, [REMOVED]),
    ("networking.k8s.io/v1", "1.15", []),  # unknown to the data: it was never deprecated
    ("networking.k8s.io/v1", None, []),
])
def test_the_verdict_depends_on_the_target_version(tmp_path: Path, policies: dict[str, Policy], api: str,
                                                   version: str | None, expected: list[str]) -> None:
    result = _lint(tmp_path, policies, INGRESS.format(api=api), version)
    assert [(line, col, policy) for _, line, col, policy in _spots(result)] == [(1, 1, p) for p in expected]


def test_the_messages_name_the_release_and_the_replacement(tmp_path: Path, policies: dict[str, Policy]) -> None:
    removed = _lint(tmp_path, policies, INGRESS.format(api="extensions/v1beta1"), "1.22").findings
    assert [f.message for f in removed if f.policy_id == REMOVED] == [
        "the target Kubernetes version no longer serves this apiVersion: extensions/v1beta1 Ingress was removed in "
        "Kubernetes 1.22; use networking.k8s.io/v1 (target: 1.22)"]
    deprecated = _lint(tmp_path, policies, INGRESS.format(api="networking.k8s.io/v1beta1"), "1.20").findings
    assert [f.message for f in deprecated if f.policy_id == DEPRECATED] == [
        "the apiVersion is deprecated at the target Kubernetes version: networking.k8s.io/v1beta1 Ingress is "
        "deprecated since Kubernetes 1.19 (removed in 1.22); use networking.k8s.io/v1 (target: 1.20)"]
    psp = "apiVersion: policy/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: restricted}\nspec: {}\n"
    assert "policy/v1beta1 PodSecurityPolicy was removed in Kubernetes 1.25; it has no replacement API" in \
        " ".join(f.message for f in _lint(tmp_path, policies, psp, "1.25").findings)


def test_a_replacement_removed_by_the_target_is_followed(tmp_path: Path, policies: dict[str, Policy]) -> None:
    text = "apiVersion: flowcontrol.apiserver.k8s.io/v1beta1\nkind: FlowSchema\nmetadata: {name: probes}\nspec: {}\n"
    at_26 = " ".join(f.message for f in _lint(tmp_path, policies, text, "1.26").findings if f.policy_id == REMOVED)
    assert "removed in Kubernetes 1.26; use flowcontrol.apiserver.k8s.io/v1beta3 " in at_26  # served at 1.26
    at_32 = " ".join(f.message for f in _lint(tmp_path, policies, text, "1.32").findings if f.policy_id == REMOVED)
    assert "use flowcontrol.apiserver.k8s.io/v1 " in at_32  # v1beta3 itself is gone at 1.32


def test_the_config_sets_the_target_and_the_flag_overrides_it(tmp_path: Path, policies: dict[str, Policy]) -> None:
    text = INGRESS.format(api="networking.k8s.io/v1beta1")
    assert [s[3] for s in _spots(_lint(tmp_path, policies, text, None, configured="1.18"))] == []
    assert [s[3] for s in _spots(_lint(tmp_path, policies, text, None, configured="1.20"))] == [DEPRECATED]
    assert [s[3] for s in _spots(_lint(tmp_path, policies, text, "1.22", configured="1.18"))] == [REMOVED]


def test_the_cli_flag_and_config_key_reach_the_policies(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "ingress.yaml").write_text(INGRESS.format(api="networking.k8s.io/v1beta1"), encoding="utf-8")
    (tmp_path / ".gitops-tools.yaml").write_text('kubernetes_version: "1.18"\n', encoding="utf-8")
    select = ("--select", "api-version-*")
    assert run_cli("lint", *select, "ingress.yaml")[0] == 0
    code, out, _ = run_cli("lint", *select, "--kubernetes-version", "1.22", "ingress.yaml")
    assert code == 1 and "ingress.yaml:1:1: error [api-version-not-removed]" in out
    (tmp_path / ".gitops-tools.yaml").write_text('kubernetes_version: "1.19"\n', encoding="utf-8")
    code, out, _ = run_cli("lint", *select, "ingress.yaml")
    assert code == 1 and "ingress.yaml:1:1: warning [api-version-not-deprecated]" in out


def _lint_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policies: dict[str, Policy], name: str,
                  version: str | None = None) -> LintResult:
    """Lint a copy of the fixture repository from inside it, for `version` (None: the default target)."""
    copy = tmp_path / f"{name}-{version}"
    shutil.copytree(FIXTURES / name, copy)
    monkeypatch.chdir(copy)
    options = LintOptions(kubernetes_version=KubernetesVersion.parse(version) if version else None)
    return lint(["."], Config(root=copy), policies, options)


OLD_REPO_REMOVED = [
    ("deploy/cluster.yaml", 1, 1), ("deploy/cluster.yaml", 10, 1), ("deploy/cluster.yaml", 25, 5),
    ("deploy/jobs.yaml", 1, 1), ("deploy/jobs.yaml", 17, 1), ("deploy/jobs.yaml", 27, 1),
    ("deploy/web.yaml", 2, 1), ("deploy/web.yaml", 27, 1),
]


def test_an_old_repository_has_each_removed_api_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            policies: dict[str, Policy]) -> None:
    result = _lint_fixture(tmp_path, monkeypatch, policies, "old")
    assert _spots(result) == [(path, line, col, REMOVED) for path, line, col in OLD_REPO_REMOVED]
    assert result.failed


def test_the_old_repository_on_its_own_cluster_is_only_deprecated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  policies: dict[str, Policy]) -> None:
    """At 1.15 everything is still served: the extensions/v1beta1 Deployment and Ingress and the scheduling beta are
    deprecated; the rbac, policy, autoscaling and batch betas were deprecated by later releases, so they are clean."""
    spots = _spots(_lint_fixture(tmp_path, monkeypatch, policies, "old", "1.15"))
    assert spots == [("deploy/cluster.yaml", 25, 5, DEPRECATED), ("deploy/web.yaml", 2, 1, DEPRECATED),
                     ("deploy/web.yaml", 27, 1, DEPRECATED)]


def test_a_current_repository_is_clean(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       policies: dict[str, Policy]) -> None:
    assert _spots(_lint_fixture(tmp_path, monkeypatch, policies, "current")) == []
    assert _spots(_lint_fixture(tmp_path, monkeypatch, policies, "current", "1.25")) == []


PROBE = ("import io, json, sys; from gitops_tools.cli import main; main(json.loads(sys.argv[1]), io.StringIO()); "
         "print(json.dumps(sorted(m for m in sys.modules if m.startswith('gitops_tools.') and 'api' in m "
         "and 'lifecycle' in m or m.startswith('gitops_tools.checks.api_version'))))")


@pytest.mark.parametrize(("name", "text", "imported"), [
    ("Dockerfile", "FROM scratch\nUSER 1\n", False),
    ("settings.yaml", "retries: 3\n", False),
    ("pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: []}\n", True),
])
def test_the_data_is_read_only_when_a_kubernetes_object_is_linted(tmp_path: Path, name: str, text: str,
                                                                  imported: bool) -> None:
    """Run twice: a cold policy cache imports every check module to validate the policies (not reading the data)."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(["lint", name])], cwd=tmp_path,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
    modules = json.loads(done.stdout.splitlines()[-1])
    expected = ["gitops_tools.apilifecycle", "gitops_tools.checks.api_version_not_deprecated",
                "gitops_tools.checks.api_version_not_removed"]
    assert modules == (expected if imported else [])
