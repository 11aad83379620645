"""The cross-resource checks around workloads on a realistic repository (tests/fixtures/cross-resource): two
namespaces, checkout and ledger, each with objects named `api`; the good repository lints clean with every policy,
strict or not; the bad one gives each expected finding at its exact line and column, and under
--strict-references also the edge namespace's references to a Deployment another repository deploys."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun, TreeLint, sorted_spots

from gitops_tools.findings import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "cross-resource"
CROSS = ("service-selector-matches-pods", "service-target-port-exists", "container-probe-port-declared",
         "hpa-target-exists", "pdb-selector-matches-workload", "workload-has-pdb", "pdb-allows-evictions",
         "workload-selector-matches-labels")

BAD = [
    ("checkout/api.yaml", 54, 38, "container-probe-port-declared"),  # readiness probe on the old port name http
    ("checkout/api.yaml", 73, 3, "service-target-port-exists"),  # targetPort http: the container's port is web now
    ("checkout/api.yaml", 93, 5, "hpa-target-exists"),  # Deployment api-server
    ("checkout/api.yaml", 111, 3, "pdb-allows-evictions"),  # maxUnavailable: 0
    ("ledger/api.yaml", 6, 3, "workload-has-pdb"),  # 3 replicas; the namespace has budgets, none selects it
    ("ledger/api.yaml", 70, 3, "service-selector-matches-pods"),  # checkout-api's labels: pods of another namespace
    ("ledger/api.yaml", 92, 3, "pdb-selector-matches-workload"),  # the deleted worker's budget
    ("ledger/db.yaml", 14, 3, "workload-selector-matches-labels"),  # instance In [ledger-database]
    ("ledger/db.yaml", 102, 3, "pdb-allows-evictions"),  # minAvailable 3 of 3 replicas
]
STRICT = [
    ("edge/gateway.yaml", 12, 3, "service-selector-matches-pods"),
    ("edge/gateway.yaml", 31, 5, "hpa-target-exists"),
    ("edge/gateway.yaml", 50, 3, "pdb-selector-matches-workload"),
]


@pytest.mark.parametrize("strict", [False, True])
def test_the_good_repository_lints_clean(lint_fixture: Callable[..., LintResult], strict: bool) -> None:
    result = lint_fixture("good", strict_references=strict)
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (3, 10)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[..., LintResult]) -> None:
    result = lint_fixture("bad")
    assert sorted_spots(result) == BAD
    messages = {f.policy_id: f.message.partition(": ")[2] for f in result.findings if f.location.line != 102}
    assert messages["hpa-target-exists"] == "Deployment.apps/api-server is not among the objects of namespace checkout"
    assert messages["service-target-port-exists"] == (
        "targetPort http of port http: no container of the pods it selects in namespace checkout declares it (they "
        "declare metrics, web)")
    assert messages["workload-has-pdb"] == "no PodDisruptionBudget of namespace ledger selects its 3 replicas"
    assert messages["pdb-selector-matches-workload"].endswith(
        "matches none of the pod templates in namespace ledger (Deployment/api, StatefulSet/db)")
    assert "minAvailable 3 keeps all 3 pods of StatefulSet/db" in result.findings[-1].message


def test_strict_references_also_reports_what_is_not_in_the_linted_set(
        lint_fixture: Callable[..., LintResult]) -> None:
    result = lint_fixture("bad", strict_references=True)
    assert sorted_spots(result) == sorted(BAD + STRICT)
    edge = [f.message.partition(": ")[2] for f in result.findings if f.location.path.startswith("edge/")]
    assert edge == ["app.kubernetes.io/name=edge-gateway: no workload in namespace edge among the files read",
                    "Deployment.apps/gateway: no workload in namespace edge among the files read",
                    "app.kubernetes.io/name=edge-gateway: no workload in namespace edge among the files read"]


def test_a_target_of_the_same_name_in_another_namespace_is_no_target(tmp_path: Path, run_cli: CliRun) -> None:
    """A Deployment named api-server in ledger does not satisfy checkout's autoscaler; in checkout it does."""
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    deployment = (FIXTURES / "good" / "ledger" / "api.yaml").read_text(encoding="utf-8").split("---\n")[0]
    (tmp_path / "bad" / "ledger" / "api-server.yaml").write_text(deployment.replace("name: api\n",
                                                                                    "name: api-server\n", 1))
    code, out, _ = run_cli("lint", "--select", "hpa-target-exists", "bad")
    assert (code, out.splitlines()[0].split(": ")[0]) == (1, "bad/checkout/api.yaml:93:5")
    (tmp_path / "bad" / "checkout" / "api-server.yaml").write_text(
        deployment.replace("name: api\n", "name: api-server\n", 1).replace("namespace: ledger", "namespace: checkout"))
    code, out, _ = run_cli("lint", "--select", "hpa-target-exists", "bad")
    assert (code, out) == (0, "No findings (6 files, 15 documents, 1 policy).\n"), out


def test_a_workload_counts_its_autoscalers_floor_for_budgets(lint_tree: TreeLint) -> None:
    """ledger/db's budget keeps 2 pods: fine with 3 replicas, not once an autoscaler may scale it down to 2."""
    good = (FIXTURES / "good" / "ledger" / "db.yaml").read_text(encoding="utf-8")
    hpa = ("apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: db, namespace: ledger}\n"
           "spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: db}\n  minReplicas: 2\n"
           "  maxReplicas: 5\n")
    assert sorted_spots(lint_tree({"db.yaml": good}, ".", select=("pdb-allows-evictions",))) == []
    result = lint_tree({"db.yaml": good, "hpa.yaml": hpa}, ".", select=("pdb-allows-evictions",))
    assert sorted_spots(result) == [("db.yaml", 101, 3, "pdb-allows-evictions")]
    assert result.findings[0].message.endswith("minAvailable 2 keeps all 2 pods of StatefulSet/db, so none can be "
                                               "evicted")


@pytest.mark.parametrize(("parameters", "reported"), [
    ("", True),
    ("      min_replicas: 4\n", False),  # ledger/api runs 3
    ("      kinds: [apps/StatefulSet]\n", False),
])
def test_which_workloads_need_a_budget_are_parameters(tmp_path: Path, run_cli: CliRun, parameters: str,
                                                      reported: bool) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    if parameters:
        (tmp_path / "bad" / ".gitops-tools.yaml").write_text(
            f"policies:\n  workload-has-pdb:\n    parameters:\n{parameters}", encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", "workload-has-pdb", "bad")
    assert (code, "bad/ledger/api.yaml:6:3: warning [workload-has-pdb]" in out) == (int(reported), reported), out


@pytest.mark.slow
def test_rendered_overlays_are_checked_as_kustomize_renders_them(
        tmp_path: Path, run_cli: CliRun, external_tool: Callable[[str], str]) -> None:
    """tests/fixtures/rendering/shop with two overlays changed: dev's namePrefix renames the Deployment and kustomize
    rewrites the autoscaler's reference with it (nothing to report, rendered or not); prod's JSON 6902 patch renames
    the container's port, so in prod alone the Service's targetPort and the probes name no port."""
    external_tool("kubectl")
    root = tmp_path / "shop"
    shutil.copytree(Path(__file__).parent / "fixtures" / "rendering" / "shop", root)
    with (root / "overlays" / "dev" / "kustomization.yaml").open("a", encoding="utf-8") as dev:
        dev.write("namePrefix: dev-\n")
    with (root / "overlays" / "prod" / "kustomization.yaml").open("a", encoding="utf-8") as prod:
        prod.write("  - target: {kind: Deployment, name: shop-web}\n    patch: |-\n      - op: replace\n"
                   "        path: /spec/template/spec/containers/0/ports/0/name\n        value: web\n")
    code, out, _ = run_cli("lint", "--format", "json", "--select", ",".join(CROSS), "shop")
    found = [(f["path"], f["line"], f["column"], f["policy_id"], f["overlays"]) for f in json.loads(out)["findings"]]
    prod = ["shop/overlays/prod"]
    assert (code, found) == (1, [
        ("shop/base/deployment.yaml", 92, 15, "container-probe-port-declared", prod),  # startupProbe port: http
        ("shop/base/deployment.yaml", 99, 15, "container-probe-port-declared", prod),
        ("shop/base/deployment.yaml", 106, 15, "container-probe-port-declared", prod),
        ("shop/base/service.yaml", 13, 3, "service-target-port-exists", prod),  # both ports are named: spec.ports
    ])
    code, out, _ = run_cli("lint", "--no-render", "--strict-references", "--select", ",".join(CROSS), "shop")
    assert (code, out.startswith("No findings (")) == (0, True), out
