"""Secrets found by their shape (configmap-values-not-secret, container-env-value-not-secret) on realistic
repositories (tests/fixtures/secrets): the good one is ordinary configuration (nginx, Grafana, Spring, Prometheus,
certificates, URLs without passwords, placeholders) and must stay quiet; the bad one gives each finding at its exact
line and column, once per leak, and no report ever prints a secret."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import CliRun, sorted_spots

from gitops_tools.findings import LintResult
from gitops_tools.model import Policy

FIXTURES = Path(__file__).parent / "fixtures" / "secrets"
SELECTED = ("configmap-values-not-secret", "container-env-value-not-secret", "container-env-secret-not-literal")

BAD = [
    ("configmaps.yaml", 7, 3, "configmap-values-not-secret"),  # under a key named like a secret
    ("configmaps.yaml", 8, 3, "configmap-values-not-secret"),  # a URL with a password
    ("configmaps.yaml", 9, 3, "configmap-values-not-secret"),  # a Stripe live key, under a plain name
    ("configmaps.yaml", 10, 3, "configmap-values-not-secret"),  # a GitLab token
    ("configmaps.yaml", 11, 3, "configmap-values-not-secret"),  # a signed JWT
    ("configmaps.yaml", 17, 3, "configmap-values-not-secret"),  # admin_password inside grafana.ini
    ("configmaps.yaml", 28, 3, "configmap-values-not-secret"),  # an OpenSSH private key (known_hosts is fine)
    ("configmaps.yaml", 35, 3, "configmap-values-not-secret"),  # a base64 private key in binaryData
    ("deployment.yaml", 14, 15, "container-env-secret-not-literal"),  # GITHUB_TOKEN: that policy's, not twice
    ("deployment.yaml", 16, 15, "container-env-value-not-secret"),  # the same token under a plain name
    ("deployment.yaml", 18, 15, "container-env-value-not-secret"),  # a Slack webhook
    ("deployment.yaml", 22, 15, "container-env-value-not-secret"),  # a password in an embedded properties line
]
SECRETS = ("Summer2024", "sk_live_", "glpat-", "eyJhbGci", "Gr4fana", "b3BlbnNzaC", "LS0tLS1CRUdJTiBQUklW", "ghp_",
           "Zx9Yw8Vu7")


def test_ordinary_configuration_is_quiet(lint_fixture: Callable[..., LintResult]) -> None:
    result = lint_fixture("good", select=SELECTED)
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (2, 5)


def test_each_leak_is_reported_once_at_its_place(lint_fixture: Callable[..., LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad", select=SELECTED)) == sorted(BAD)


def test_no_report_prints_a_secret(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    for output in ("text", "json", "sarif"):
        code, out, _ = run_cli("lint", "bad", "--select", ",".join(SELECTED), "--format", output)
        assert code == 1
        assert "DB_PASSWORD" in out  # the key is named...
        assert [secret for secret in SECRETS if secret in out] == []  # ...its value never


def test_the_env_policy_knows_the_configmap_formats_less_urls(policies: dict[str, Policy]) -> None:
    """One list of formats, kept in two policies (each tunable on its own): the env policy leaves URLs to
    container-env-secret-not-literal, which judges them under any name."""

    def patterns(policy_id: str) -> list[Any]:
        return next(p.default for p in policies[policy_id].parameters if p.name == "value_patterns")

    configmap, env = patterns("configmap-values-not-secret"), patterns("container-env-value-not-secret")
    assert [p for p in configmap if "://" not in p["pattern"] or "slack" in p["pattern"]] == env


def test_an_organisations_token_format_is_a_parameter(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "good", tmp_path / "good")
    (tmp_path / "good" / "internal.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: sync, namespace: shop}\n"
        "data:\n  UPSTREAM: acme_tok_8f14e45fceea167a5a36dedd4bea2543\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "good", "--select", "configmap-values-not-secret")
    assert code == 0, out
    (tmp_path / "good" / ".gitops-tools.yaml").write_text(
        "policies:\n  configmap-values-not-secret:\n    parameters:\n      value_patterns:\n"
        "        - {pattern: '\\bacme_tok_[0-9a-f]{32}\\b', description: an Acme internal token}\n",
        encoding="utf-8")
    code, out, _ = run_cli("lint", "good", "--select", "configmap-values-not-secret", "--format", "json")
    assert code == 1, out
    found = json.loads(out)["findings"]
    assert [(f["path"], f["line"], f["message"]) for f in found] == [
        ("good/internal.yaml", 5, "ConfigMap value looks like a secret, under key UPSTREAM")]
