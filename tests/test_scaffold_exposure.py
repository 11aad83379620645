"""The service scaffold's exposure choices (`expose`: gateway, ingress, none): what each puts in every environment's
built manifests, that its answers flow into them, that nothing outside the choice's own files mentions a choice not
taken, and that a 1.x repo exposed by an Ingress keeps its Ingress and host through the update to 2.0.

One render per choice for the module, with answers that differ from the defaults, so a default cannot pass for an
answer that flowed through."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ToolFinder

from gitops_tools.cli import main

ROOT = Path(__file__).resolve().parent.parent
HOST = "orders.shop.example.org"
HOSTS = {"dev": f"dev.{HOST}", "staging": f"staging.{HOST}", "prod": HOST}  # production answers on the host itself
ANSWERS = {
    "gateway": ["gateway_name=edge", "gateway_namespace=platform-gateways"],
    "ingress": ["ingress_class=internal-nginx", "ingress_controller_namespace=ingress-internal"],
    "none": [],
}
PROXIES = {"gateway": "platform-gateways", "ingress": "ingress-internal"}  # the namespace admitted to the http port
# What names each choice, case-insensitive; a NetworkPolicy's own `ingress:` rules and `- Ingress` policy type are
# the direction of traffic, not the choice.
MENTIONS = {
    "gateway": re.compile(r"gateway|httproute"),
    "ingress": re.compile(r"ingress|nginx"),
}
NETWORK_POLICY_DIRECTION = re.compile(r"^\s*(ingress:|- Ingress)\s*$", re.MULTILINE)
# The state file and the merge base record every answer, asked or not.
NOT_CHECKED = (".scaffold.json", ".scaffold-base.tar.gz", ".git/")


def _new(output: Path, *answers: str) -> Path:
    out, err = io.StringIO(), io.StringIO()
    sets = [arg for answer in answers for arg in ("--set", answer)]
    assert main(["new", "service", "--no-input", "-o", str(output), *sets], out, err) == 0, err.getvalue()
    (repo,) = [path for path in output.iterdir() if path.is_dir()]
    return repo


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {expose: _new(tmp_path_factory.mktemp(f"expose-{expose}"), f"expose={expose}", f"host={HOST}", *answers)
            for expose, answers in ANSWERS.items()}


def _built(kubectl: str, repo: Path, environment: str) -> list[dict[str, Any]]:
    built = subprocess.run([kubectl, "kustomize", str(repo / "k8s" / "overlays" / environment)],
                           capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return [document for document in yaml.safe_load_all(built.stdout) if document]


def _of_kind(documents: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [document for document in documents if document["kind"] == kind]


def _http_admitted_from(documents: list[dict[str, Any]]) -> list[str]:
    """The namespaces the NetworkPolicies admit to the app's http port by name (same-namespace callers aside)."""
    found = []
    for policy in _of_kind(documents, "NetworkPolicy"):
        for rule in policy["spec"].get("ingress", []):
            if {"port": "http", "protocol": "TCP"} in rule.get("ports", []):
                found += [peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                          for peer in rule["from"] if "namespaceSelector" in peer]
    return found


def _service_port(documents: list[dict[str, Any]], name: str) -> int:
    (service,) = _of_kind(documents, "Service")
    (port,) = [port["port"] for port in service["spec"]["ports"] if port["name"] == name]
    return int(port)


@pytest.mark.parametrize("environment", list(HOSTS))
def test_the_httproute_attaches_each_environment_to_the_shared_gateway(repos: dict[str, Path], environment: str,
                                                                       external_tool: ToolFinder) -> None:
    documents = _built(external_tool("kubectl"), repos["gateway"], environment)
    (route,) = _of_kind(documents, "HTTPRoute")
    assert route["apiVersion"] == "gateway.networking.k8s.io/v1"
    assert route["metadata"]["namespace"] == f"team-orders-{environment}"
    assert route["spec"]["parentRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge",
                                            "namespace": "platform-gateways", "sectionName": "https"}]
    assert route["spec"]["hostnames"] == [HOSTS[environment]]
    (rule,) = route["spec"]["rules"]
    assert rule["backendRefs"] == [{"name": "orders-api", "port": _service_port(documents, "http")}]
    assert _of_kind(documents, "Ingress") == []
    assert _http_admitted_from(documents) == ["platform-gateways"]


@pytest.mark.parametrize("environment", list(HOSTS))
def test_the_ingress_takes_its_class_and_each_environments_host(repos: dict[str, Path], environment: str,
                                                                external_tool: ToolFinder) -> None:
    documents = _built(external_tool("kubectl"), repos["ingress"], environment)
    (ingress,) = _of_kind(documents, "Ingress")
    assert ingress["spec"]["ingressClassName"] == "internal-nginx"
    assert ingress["spec"]["tls"] == [{"hosts": [HOSTS[environment]], "secretName": "orders-api-tls"}]
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == [HOSTS[environment]]
    assert _of_kind(documents, "HTTPRoute") == []
    assert _http_admitted_from(documents) == ["ingress-internal"]


def test_an_unexposed_service_admits_no_proxy(repos: dict[str, Path], external_tool: ToolFinder) -> None:
    documents = _built(external_tool("kubectl"), repos["none"], "prod")
    assert _of_kind(documents, "Ingress") == _of_kind(documents, "HTTPRoute") == []
    assert _http_admitted_from(documents) == []


@pytest.mark.parametrize("expose", list(ANSWERS))
def test_no_file_mentions_an_exposure_not_chosen(repos: dict[str, Path], expose: str) -> None:
    """The README, catalog entry, manifests, CI and scripts follow the choice: with `none` nothing names an ingress
    or a gateway; with one, nothing names the other (nor its answers' defaults, `nginx`, `ingress-nginx`)."""
    repo = repos[expose]
    found = []
    for path in sorted(path for path in repo.rglob("*") if path.is_file()):
        name = path.relative_to(repo).as_posix()
        if name.startswith(NOT_CHECKED):
            continue
        text = NETWORK_POLICY_DIRECTION.sub("", path.read_text(encoding="utf-8")).lower()
        found += [f"{name}: {match.group()}" for other, mention in MENTIONS.items() if other != expose
                  for match in mention.finditer(text)]
    assert found == []
    if expose in PROXIES:
        assert PROXIES[expose] in (repo / "README.md").read_text(encoding="utf-8")


def test_the_answers_are_recorded_under_their_new_names(repos: dict[str, Path]) -> None:
    answers = json.loads((repos["gateway"] / ".scaffold.json").read_text(encoding="utf-8"))["answers"]
    assert answers["host"] == HOST and "ingress_host" not in answers
    assert (answers["gateway_name"], answers["gateway_namespace"]) == ("edge", "platform-gateways")


@pytest.mark.slow
def test_a_1_2_repo_exposed_by_an_ingress_keeps_it_and_its_host_through_the_update(tmp_path: Path) -> None:
    from gitops_tools.lifecycle.releases import read_releases
    from gitops_tools.questionnaire import resolve_answers
    from gitops_tools.scaffold import available_scaffolds, render

    (release,) = [release for release in read_releases(ROOT / "scaffolds" / "service") if release.version == "1.2.0"]
    assert release.commit is not None
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", release.commit, "scaffolds/service"],
                             capture_output=True, check=True, timeout=120)
    subprocess.run(["tar", "-x", "-C", str(tmp_path)], input=archive.stdout, check=True, timeout=120)
    old = available_scaffolds(tmp_path)["service"]
    repo, _ = render(old, resolve_answers(old, {"ingress_host": "orders.acme.io"}, None), tmp_path / "repo")

    out, err = io.StringIO(), io.StringIO()
    assert main(["update", str(repo), "--no-input"], out, err) == 0, out.getvalue() + err.getvalue()
    assert "rename-answer ingress_host -> host" in out.getvalue()
    state = json.loads((repo / ".scaffold.json").read_text(encoding="utf-8"))
    assert state["version"] == "2.0.0"
    answers = state["answers"]
    assert (answers["expose"], answers["host"], answers["ingress_class"]) == ("ingress", "orders.acme.io", "nginx")
    assert "ingress_host" not in answers
    ingress = yaml.safe_load((repo / "k8s" / "base" / "ingress.yaml").read_text(encoding="utf-8"))
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == ["orders.acme.io"]
    assert "host: dev.orders.acme.io" in (repo / "k8s/overlays/dev/patch-ingress.yaml").read_text(encoding="utf-8")
    assert not (repo / "k8s" / "base" / "httproute.yaml").exists()
    out, err = io.StringIO(), io.StringIO()
    assert main(["lint", str(repo)], out, err) == 0, out.getvalue() + err.getvalue()
