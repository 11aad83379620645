"""The reference checks (an object naming another: an Ingress or a route its Service and port, a pod its
ServiceAccount, ConfigMaps and Secrets, a binding its role) on a realistic repository (tests/fixtures/references:
the good one lints clean, the bad one gives each finding at its place), and what they do with namespaces, kustomize
renames and generators, objects the run does not hold, and the fingerprints of the policy that became one."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from conftest import CliRun, TreeLint, sorted_spots
from test_workspace import engine_for

from gitops_tools.checks import _producers
from gitops_tools.config import Config
from gitops_tools.findings import LintResult
from gitops_tools.lint import LintOptions
from gitops_tools.pipeline.discover import plan
from gitops_tools.pipeline.evaluate import collect_file
from gitops_tools.resources import schema_path

FIXTURES = Path(__file__).parent / "fixtures" / "references"
INGRESS, ROUTE, ACCOUNT = "ingress-backend-service-exists", "route-backend-service-exists", "service-account-exists"
CONFIGMAP, SECRET, RBAC = "configmap-reference-exists", "secret-reference-exists", "rbac-binding-role-not-dangerous"
AUTOMOUNT, NETPOL, MONITOR = "pod-service-account-token-automount-disabled", "network-policy-selects-pods", \
    "monitor-selects-port"
CHECKS = (INGRESS, ROUTE, ACCOUNT, CONFIGMAP, SECRET, RBAC, AUTOMOUNT, NETPOL, MONITOR)

BAD = [
    ("payments/cronjob.yaml", 23, 9, AUTOMOUNT),  # its account is shop's: nothing turns the token off here
    ("payments/cronjob.yaml", 24, 11, ACCOUNT),  # shop-web is defined in namespace shop only
    ("shop/deployment.yaml", 28, 5, CONFIGMAP),  # envFrom shop-web-environment; the generator is shop-web-env
    ("shop/deployment.yaml", 28, 5, SECRET),  # shop-web-db; the ExternalSecret makes shop-web-database
    ("shop/deployment.yaml", 29, 7, ACCOUNT),  # shop-web-runner
    ("shop/ingress.yaml", 8, 1, INGRESS),  # port https; the Service's are http and metrics
    ("shop/networkpolicy.yaml", 76, 3, NETPOL),  # name shop-frontend; the workload is shop-web
    ("shop/rbac.yaml", 11, 29, "rbac-secrets-access-restricted"),  # the role's rule...
    ("shop/rbac.yaml", 21, 1, RBAC),  # ...and the binding that hands it to shop-web
    ("shop/route.yaml", 15, 3, ROUTE),  # port 8080 is the container's; the Service's is 80
    ("shop/servicemonitor.yaml", 9, 3, MONITOR),  # port http-metrics; the Service names it metrics
]


def test_the_good_repository_lints_clean(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("good")
    assert sorted_spots(result) == []
    assert (result.files, result.documents) == (16, 23)


def test_strict_references_report_what_the_good_repository_leaves_to_others(
        lint_fixture: Callable[..., LintResult]) -> None:
    """payments/ingress.yaml names the console's Service, which another repository deploys: namespace payments has
    no Service among these files, so only a strict run reports it."""
    result = lint_fixture("good", strict_references=True)
    assert sorted_spots(result) == [("payments/ingress.yaml", 10, 1, INGRESS)]
    assert result.findings[0].message.endswith("Service payments-console is not defined in namespace payments")


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("bad")
    assert sorted_spots(result) == sorted(BAD)
    messages = {(f.location.path, f.policy_id): f.message for f in result.findings}
    assert messages[("shop/ingress.yaml", INGRESS)].endswith(
        "spec.rules[0].http.paths[0].backend: Service shop-web has no port named https (its ports: 80 (http), "
        "9090 (metrics))")
    assert messages[("shop/route.yaml", ROUTE)].endswith("Service shop-web has no port numbered 8080 (its ports: "
                                                          "80 (http), 9090 (metrics))")
    assert messages[("shop/rbac.yaml", RBAC)].endswith(
        "read access to Secrets (get, list, watch on configmaps, secrets) from Role shop-web-settings-reader, to "
        "ServiceAccount shop-web")
    assert messages[("payments/cronjob.yaml", ACCOUNT)].endswith("ServiceAccount shop-web is not defined in "
                                                                  "namespace payments")


def test_the_rendered_overlay_and_the_files_as_written_report_a_finding_once(
        lint_fixture: Callable[[str], LintResult]) -> None:
    """The overlay as rendered says what its files say: the workspace's finding on the files stands for both."""
    rendered = lint_fixture("bad")
    assert rendered.rendered == 1 and all(not f.overlays for f in rendered.findings)


def test_without_rendering_the_generator_and_the_kustomization_namespace_still_count(
        lint_fixture: Callable[[str], LintResult]) -> None:
    assert sorted_spots(lint_fixture("good", render=False)) == []


# --- namespaces, renames, and objects the run does not hold ---------------------------------------------------------

def manifest(kind: str, name: str, namespace: str | None, api: str = "v1", **fields: object) -> str:
    metadata: dict[str, object] = {"name": name} | ({"namespace": namespace} if namespace else {})
    return yaml.safe_dump({"apiVersion": api, "kind": kind, "metadata": metadata, **fields}, sort_keys=False)


def service(name: str, namespace: str | None, *ports: tuple[str, int]) -> str:
    return manifest("Service", name, namespace, spec={"selector": {"app": name},
                                                      "ports": [{"name": n, "port": p} for n, p in ports]})


def ingress(name: str, namespace: str | None, backend: str, port: dict[str, object]) -> str:
    paths = [{"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": port}}}]
    return manifest("Ingress", name, namespace, "networking.k8s.io/v1", spec={"rules": [{"http": {"paths": paths}}]})


def pod(name: str, namespace: str | None, **spec: object) -> str:
    return manifest("Pod", name, namespace, spec={"containers": [{"name": "app", "image": "a:1"}], **spec})


def spots(result: LintResult) -> list[tuple[str, int, int, str]]:
    return [(f.location.path, f.location.line, f.location.col, f.policy_id) for f in result.findings]


def test_a_namespace_without_the_kind_is_quiet_and_one_with_it_is_judged(lint_tree: TreeLint) -> None:
    files = {"a.yaml": service("web", "shop", ("http", 80)),
             "b.yaml": ingress("web", "shop", "web", {"number": 80}) + "---\n"
             + ingress("api", "shop", "api", {"name": "http"}) + "---\n"
             + ingress("pay", "payments", "pay", {"name": "http"})}  # payments has no Service among the files
    result = lint_tree(files, ".", select=(INGRESS,))
    assert [(line, f.message.rpartition(": ")[2]) for (_, line, _, _), f in zip(spots(result), result.findings,
                                                                                 strict=True)] == [
        (23, "Service api is not defined in namespace shop")]


def test_an_object_without_a_namespace_is_judged_within_its_unit_only(lint_tree: TreeLint) -> None:
    files = {"one/svc.yaml": service("web", None, ("http", 80)),
             "one/ing.yaml": ingress("web", None, "web", {"name": "metrics"}),
             "two/ing.yaml": ingress("web", None, "nothing", {"name": "http"})}  # two/ has no Service: quiet
    assert spots(lint_tree(files, ".", select=(INGRESS,))) == [("one/ing.yaml", 5, 1, INGRESS)]


def test_a_kustomization_prefix_renames_the_reference_with_its_object(lint_tree: TreeLint) -> None:
    kustomization = yaml.safe_dump({"namespace": "shop", "namePrefix": "prod-",
                                    "resources": ["svc.yaml", "ing.yaml", "sa.yaml", "pod.yaml"]})
    files = {"kustomization.yaml": kustomization, "svc.yaml": service("web", None, ("http", 80)),
             "ing.yaml": ingress("web", None, "web", {"name": "http"}),
             "sa.yaml": manifest("ServiceAccount", "runner", None),
             "pod.yaml": pod("job", None, serviceAccountName="runner", automountServiceAccountToken=False)}
    for render in (False, True):
        assert spots(lint_tree(files, ".", select=(INGRESS, ACCOUNT), render=render)) == []


def test_optional_and_implicit_references_are_never_reported(lint_tree: TreeLint) -> None:
    volumes = [{"name": "a", "configMap": {"name": "missing", "optional": True}},
               {"name": "b", "configMap": {"name": "kube-root-ca.crt"}},
               {"name": "c", "projected": {"sources": [{"configMap": {"name": "gone"}},
                                                       {"secret": {"name": "gone", "optional": True}}]}}]
    files = {"cm.yaml": manifest("ConfigMap", "settings", "shop") + "---\n" + manifest("Secret", "s", "shop"),
             "pod.yaml": pod("web", "shop", volumes=volumes, imagePullSecrets=[{"name": "pull"}])}
    result = lint_tree(files, ".", select=(CONFIGMAP, SECRET))
    assert [f.message.rpartition("needs a ")[2] for f in result.findings] == [
        "ConfigMap that is not defined: volumes[c].projected: ConfigMap gone is not defined in namespace shop",
        "Secret that is not defined: imagePullSecrets[0]: Secret pull is not defined in namespace shop"]


def test_two_broken_references_of_one_object_are_two_findings(lint_tree: TreeLint) -> None:
    env = [{"name": n, "valueFrom": {"configMapKeyRef": {"name": n.lower(), "key": "k"}}} for n in ("A", "B")]
    files = {"cm.yaml": manifest("ConfigMap", "settings", "shop"),
             "pod.yaml": manifest("Pod", "web", "shop", spec={"containers": [{"name": "app", "image": "a:1",
                                                                               "env": env}]})}
    result = lint_tree(files, ".", select=(CONFIGMAP,))
    assert len(result.findings) == 2 and len({f.fingerprint for f in result.findings}) == 2


def test_a_route_may_name_a_service_of_another_namespace(lint_tree: TreeLint) -> None:
    def route(namespace: str | None) -> str:
        ref = {"name": "checkout", "port": 9090} | ({"namespace": namespace} if namespace else {})
        return manifest("HTTPRoute", "r", "shop", "gateway.networking.k8s.io/v1",
                        spec={"rules": [{"backendRefs": [ref, {"kind": "ServiceImport", "name": "x", "port": 1}]}]})
    files = {"svc.yaml": service("checkout", "payments", ("grpc", 9090)) + "---\n" + service("web", "shop"),
             "good.yaml": route("payments"), "bad.yaml": route(None)}
    assert spots(lint_tree(files, ".", select=(ROUTE,))) == [("bad.yaml", 7, 3, ROUTE)]


# --- the ServiceAccount and the token ---------------------------------------------------------------------------

AUTOMOUNT_POD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: web
      containers:
        - name: web
          image: registry.example.com/web:1.4.2
---
apiVersion: v1
kind: Pod
metadata: {name: debug}
spec:
  automountServiceAccountToken: true
  containers:
    - name: shell
      image: registry.example.com/toolbox:2024.05
"""


def test_the_automount_findings_keep_the_document_policys_places_and_fingerprints(lint_tree: TreeLint) -> None:
    """Baselines written before the policy became a workspace check still match: the fingerprints are those
    version 0.4 gave (measured on that code)."""
    result = lint_tree({"a.yaml": AUTOMOUNT_POD}, ".", select=(AUTOMOUNT,))
    assert [(line, col, f.fingerprint, f.pointer) for (_, line, col, _), f in zip(spots(result), result.findings,
                                                                                  strict=True)] == [
        (8, 5, "81c7c866f16f25f8353a71730d391991", "/spec/template/spec"),
        (18, 3, "402afa04eeea16245a08073760596cbb", "/spec/automountServiceAccountToken")]
    assert {f.message for f in result.findings} == {"pod spec does not set automountServiceAccountToken to false"}


@pytest.mark.parametrize(("account", "pod_field", "reported"), [
    pytest.param({"automountServiceAccountToken": False}, None, False, id="account-turns-it-off"),
    pytest.param({}, None, True, id="account-leaves-it-on"),
    pytest.param({"automountServiceAccountToken": False}, True, True, id="the-pod-field-wins"),
    pytest.param(None, None, True, id="account-not-in-the-run"),
])
def test_the_service_account_can_turn_the_token_off(lint_tree: TreeLint, account: dict[str, object] | None,
                                                    pod_field: bool | None, reported: bool) -> None:
    files = {"pod.yaml": pod("web", "shop", serviceAccountName="web",
                             **({"automountServiceAccountToken": pod_field} if pod_field is not None else {}))}
    if account is not None:
        files["sa.yaml"] = manifest("ServiceAccount", "web", "shop", **account)
    assert bool(lint_tree(files, ".", select=(AUTOMOUNT,)).findings) == reported


def test_the_default_account_exists_and_an_unset_one_is_never_reported(lint_tree: TreeLint) -> None:
    files = {"sa.yaml": manifest("ServiceAccount", "web", "shop"),
             "pods.yaml": pod("a", "shop", serviceAccountName="default") + "---\n" + pod("b", "shop")}
    assert spots(lint_tree(files, ".", select=(ACCOUNT,))) == []


# --- RBAC --------------------------------------------------------------------------------------------------------

RBAC_API = "rbac.authorization.k8s.io/v1"


def binding(name: str, namespace: str | None, role_kind: str, role: str) -> str:
    kind = "RoleBinding" if namespace else "ClusterRoleBinding"
    return manifest(kind, name, namespace, RBAC_API, roleRef={"apiGroup": "rbac.authorization.k8s.io",
                                                              "kind": role_kind, "name": role},
                    subjects=[{"kind": "Group", "name": "devs"}])


def test_a_binding_is_judged_by_its_role_and_the_first_dangerous_grant_is_named(lint_tree: TreeLint) -> None:
    rules = [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]},
             {"apiGroups": [""], "resources": ["users", "groups"], "verbs": ["impersonate"]}]
    files = {"roles.yaml": manifest("ClusterRole", "support", None, RBAC_API, rules=rules) + "---\n"
             + manifest("Role", "support", "shop", RBAC_API, rules=rules[:1]),
             "bindings.yaml": binding("a", "shop", "ClusterRole", "support") + "---\n"
             + binding("b", "shop", "Role", "support") + "---\n" + binding("c", "other", "Role", "support")
             + "---\n" + binding("d", "shop", "ClusterRole", "not-in-the-run")}
    result = lint_tree(files, ".", select=(RBAC,))
    assert [(line, f.message.rpartition("grant: ")[2]) for (_, line, _, _), f in zip(spots(result), result.findings,
                                                                                      strict=True)] == [
        (6, "privilege escalation (escalate, bind, impersonate) (impersonate on users, groups) from ClusterRole "
            "support, to Group devs")]


def test_the_grants_and_built_in_roles_are_parameters(tmp_path: Path, run_cli: CliRun) -> None:
    rules = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}]
    (tmp_path / "rbac.yaml").write_text(
        manifest("Role", "deployer", "shop", RBAC_API, rules=rules) + "---\n"
        + binding("deployer", "shop", "Role", "deployer") + "---\n" + binding("editors", "shop", "ClusterRole", "edit"),
        encoding="utf-8")
    assert run_cli("lint", "--select", RBAC, "rbac.yaml")[0] == 0  # patching Deployments is not in the defaults
    (tmp_path / ".gitops-tools.yaml").write_text(yaml.safe_dump({"policies": {RBAC: {"parameters": {
        "grants": [{"grant": "rollout control", "apiGroups": ["apps"], "verbs": ["patch"]}],
        "builtin_roles": ["edit"]}}}}), encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", RBAC, "rbac.yaml")
    assert code == 1
    assert [line.partition(" [")[2] for line in out.splitlines()[:-1]] == [
        f"{RBAC}] the binding hands out a dangerous grant: rollout control (patch on deployments) from Role "
        "deployer, to Group devs",
        f"{RBAC}] the binding hands out a dangerous grant: the built-in ClusterRole edit, to Group devs"]


# --- what is kept, and the producers table -------------------------------------------------------------------------

def test_the_facts_kept_per_object_are_small(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             policies: dict[str, object]) -> None:
    shop = FIXTURES / "good" / "shop"
    monkeypatch.chdir(shop)
    engine = engine_for(policies, *CHECKS)  # type: ignore[arg-type]
    run = plan(["deployment.yaml"], Config(root=shop), LintOptions(), workspace=True)
    (source,) = run.sources
    (record,) = collect_file(engine, source, Config(root=shop))
    kept = {fact.check for fact in record.facts}
    assert kept == {"configmap_reference_exists", "secret_reference_exists", "service_account_exists",
                    "network_policy_selects_pods", "monitor_selects_port"}  # its token is turned off on the pod:
    # nothing to keep for that check
    assert len(pickle.dumps(record.facts)) < 2500


def test_every_producer_names_a_kind_and_a_path() -> None:
    raw = yaml.safe_load(schema_path("resources", "producers.yaml").read_text(encoding="utf-8"))
    assert set(raw) == {"ConfigMap", "Secret"}
    for kind, table in raw.items():
        assert kind in table  # the object itself
        for key, entry in table.items():
            assert key.rpartition("/")[2][:1].isupper() and set(entry) <= {"name"}
    made = _producers.made({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                            "metadata": {"name": "own"}, "spec": {}}, "Secret")
    assert made == ("own",)  # no target name: the ExternalSecret's own
    sops = {"apiVersion": "isindir.github.com/v1alpha3", "kind": "SopsSecret", "metadata": {"name": "x"},
            "spec": {"secretTemplates": [{"name": "a"}, {"name": "b"}]}}
    assert _producers.made(sops, "Secret") == ("a", "b") and _producers.made(sops, "ConfigMap") is None


# --- selectors: NetworkPolicies, monitors, aggregated roles ---------------------------------------------------------

def deployment(name: str, namespace: str, labels: dict[str, str], ports: tuple[str, ...] = ()) -> str:
    container = {"name": "app", "image": "a:1"} | ({"ports": [{"name": p, "containerPort": 8000 + i}
                                                             for i, p in enumerate(ports)]} if ports else {})
    return manifest("Deployment", name, namespace, "apps/v1", spec={
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}}})


def network_policy(name: str, namespace: str, selector: dict[str, object]) -> str:
    return manifest("NetworkPolicy", name, namespace, "networking.k8s.io/v1", spec={"podSelector": selector})


@pytest.mark.parametrize(("selector", "reported"), [
    pytest.param({}, False, id="empty-selects-all"),
    pytest.param({"matchLabels": {"app": "web"}}, False, id="match-labels"),
    pytest.param({"matchExpressions": [{"key": "app", "operator": "In", "values": ["api", "web"]}]}, False,
                 id="in"),
    pytest.param({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}, True, id="not-in"),
    pytest.param({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True,
                 id="and"),
    pytest.param({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}, False, id="invalid-is-not-ours"),
])
def test_a_network_policy_is_matched_with_its_namespaces_templates(lint_tree: TreeLint, selector: dict[str, object],
                                                                   reported: bool) -> None:
    files = {"np.yaml": network_policy("np", "shop", selector),
             "web.yaml": deployment("web", "shop", {"app": "web"}),
             "other.yaml": deployment("api", "other", {"app": "api"})}  # another namespace: never matched
    assert bool(lint_tree(files, ".", select=(NETPOL,)).findings) == reported


def test_a_network_policy_in_a_namespace_without_workloads_is_quiet_unless_strict(lint_tree: TreeLint) -> None:
    files = {"np.yaml": network_policy("deny", "shop", {}), "web.yaml": deployment("web", "other", {"app": "web"})}
    assert spots(lint_tree(files, ".", select=(NETPOL,))) == []
    strict = lint_tree(files, ".", select=(NETPOL,), strict_references=True)
    assert spots(strict) == [("np.yaml", 7, 3, NETPOL)]
    assert strict.findings[0].message.endswith("the empty podSelector (every pod): no workload in namespace shop "
                                               "among the files read")


def monitor(kind: str, namespace: str, labels: dict[str, str], port: str, **spec: object) -> str:
    endpoints = "endpoints" if kind == "ServiceMonitor" else "podMetricsEndpoints"
    return manifest(kind, "m", namespace, "monitoring.coreos.com/v1",
                    spec={"selector": {"matchLabels": labels}, endpoints: [{"port": port}], **spec})


def labelled_service(name: str, namespace: str, *ports: str) -> str:
    return manifest("Service", name, namespace, metadata={"name": name, "namespace": namespace,
                                                         "labels": {"app": name}},
                    spec={"selector": {"app": name}, "ports": [{"name": p, "port": 80 + i}
                                                               for i, p in enumerate(ports)]})


@pytest.mark.parametrize(("files", "detail"), [
    pytest.param({"m.yaml": monitor("ServiceMonitor", "shop", {"app": "web"}, "metrics"),
                  "s.yaml": labelled_service("web", "shop", "http", "metrics")}, None, id="service-port"),
    pytest.param({"m.yaml": monitor("ServiceMonitor", "shop", {"app": "web"}, "metrics"),
                  "s.yaml": labelled_service("web", "shop", "http")},
                 "no selected Service has a port named metrics (their ports: http)", id="service-without-the-port"),
    pytest.param({"m.yaml": monitor("ServiceMonitor", "monitoring", {"app": "web"}, "metrics",
                                    namespaceSelector={"matchNames": ["shop"]}),
                  "s.yaml": labelled_service("web", "shop", "metrics")}, None, id="match-names"),
    pytest.param({"m.yaml": monitor("ServiceMonitor", "monitoring", {"app": "web"}, "metrics",
                                    namespaceSelector={"any": True}),
                  "s.yaml": labelled_service("api", "shop", "metrics")},
                 "app=web selects no Service in any namespace", id="any-namespace"),
    pytest.param({"m.yaml": monitor("ServiceMonitor", "monitoring", {"app": "web"}, "metrics"),
                  "s.yaml": labelled_service("web", "shop", "metrics")}, None, id="own-namespace-has-none"),
    pytest.param({"m.yaml": monitor("PodMonitor", "shop", {"app": "w"}, "metrics"),
                  "d.yaml": deployment("w", "shop", {"app": "w"}, ("http", "metrics"))}, None, id="pod-port"),
    pytest.param({"m.yaml": monitor("PodMonitor", "shop", {"app": "w"}, "metrics"),
                  "d.yaml": deployment("w", "shop", {"app": "w"}, ("http",))},
                 "no selected pod has a port named metrics (their ports: http)", id="pod-without-the-port"),
])
def test_a_monitor_needs_something_selected_with_its_port(lint_tree: TreeLint, files: dict[str, str],
                                                          detail: str | None) -> None:
    result = lint_tree(files, ".", select=(MONITOR,))
    assert [f.message.partition("nothing: ")[2] for f in result.findings] == ([detail] if detail else [])


def test_an_aggregated_cluster_role_carries_the_rules_its_selectors_pick(lint_tree: TreeLint) -> None:
    aggregated = manifest("ClusterRole", "ops", None, RBAC_API, rules=[], aggregationRule={"clusterRoleSelectors": [
        {"matchExpressions": [{"key": "aggregate-to-ops", "operator": "Exists"}]}]})
    picked = manifest("ClusterRole", "ops-exec", None, RBAC_API,
                      metadata={"name": "ops-exec", "labels": {"aggregate-to-ops": "yes"}},
                      rules=[{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}])
    files = {"roles.yaml": aggregated + "---\n" + picked,
             "binding.yaml": binding("ops", None, "ClusterRole", "ops")}
    result = lint_tree(files, ".", select=(RBAC,))
    assert [f.message.rpartition("grant: ")[2] for f in result.findings] == [
        "exec or attach to pods (create on pods/exec) from ClusterRole ops, to Group devs"]
