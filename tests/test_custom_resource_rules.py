"""custom-resource-validation-rules-hold and -evaluated: the CEL rules of the bundled CRDs (differential checks of
their real rules on known-good and known-bad resources), the run's own CRD (tests/fixtures/cel-rules: findings at
exact lines), and every bundled rule either evaluated or reported as not evaluated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tools.checks import _cel, _cel_rules
from gitops_tools.config import Config
from gitops_tools.customresources import bundled, split
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.resources import schema_path

FIXTURES = Path(__file__).parent / "fixtures" / "cel-rules"
HOLD = "custom-resource-validation-rules-hold"
EVALUATED = "custom-resource-validation-rules-evaluated"
WIDGET, ROUTE = "apps/web/widget.yaml", "apps/web/route.yaml"
BAD = [
    (ROUTE, 11, 11, HOLD, "must not contain '//' when type one of ['Exact', 'PathPrefix']"),
    (ROUTE, 13, 11, HOLD, "Must have port for Service reference"),
    (WIDGET, 1, 1, HOLD, "a Widget's name is at most 20 characters"),
    (WIDGET, 6, 1, HOLD, "a gold Widget runs at least 3 replicas"),
    (WIDGET, 7, 3, HOLD, "minReplicas (5) exceeds maxReplicas (2) (FieldValueInvalid)"),
    (WIDGET, 10, 3, EVALUATED, "rule `self == oldSelf`: a transition rule (it compares with oldSelf, the object "
                               "before an update)"),
    (WIDGET, 13, 7, HOLD, "port 22 is reserved for the node's SSH (FieldValueForbidden)"),
    (WIDGET, 16, 5, HOLD, "a limit is a whole number of Mi or Gi"),
]


def _findings(folder: Path, policies: dict[str, Policy]) -> list[tuple[str, int, int, str, str]]:
    result = lint([str(folder)], Config(root=folder), policies, LintOptions(select=(HOLD, EVALUATED)))
    return sorted((Path(f.location.path).relative_to(folder).as_posix(), f.location.line, f.location.col,
                   f.policy_id, f.message.partition(": ")[2]) for f in result.findings)


def test_the_good_repository_holds_every_rule(policies: dict[str, Policy]) -> None:
    assert _findings(FIXTURES / "good", policies) == []


def test_the_bad_repository_breaks_each_rule_at_its_own_position(policies: dict[str, Policy]) -> None:
    assert _findings(FIXTURES / "bad", policies) == BAD


def _outcomes(text: str) -> list[tuple[Any, bool, str]]:
    document = yaml.safe_load(text)
    group, version = split(document["apiVersion"])
    definition = bundled(group, document["kind"])
    assert definition is not None
    found = definition.version(version)
    assert found is not None and found.schema is not None
    return [(o.path, o.failed, o.detail) for o in _cel_rules.outcomes(found.schema, document)]


GATEWAY = """
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: public}
spec:
  gatewayClassName: public
  listeners:
"""
# (resource, outcomes): the bundled CRDs' own rules, on resources the API server accepts ([]) and refuses
UPSTREAM = [
    (GATEWAY + """
    - {name: http, protocol: HTTP, port: 80}
    - {name: https, protocol: HTTPS, port: 443, hostname: "*.example.com", tls: {certificateRefs: [{name: tls}]}}
""", []),
    (GATEWAY + """
    - {name: http, protocol: HTTP, port: 80, tls: {certificateRefs: [{name: tls}]}}
    - {name: http, protocol: HTTP, port: 8080}
""", [(("spec", "listeners"), True, "tls must not be specified for protocols ['HTTP', 'TCP', 'UDP']"),
      (("spec", "listeners"), True, "Listener name must be unique within the Gateway")]),
    ("""
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
    - filters: [{type: RequestRedirect, requestRedirect: {scheme: https}}]
      backendRefs: [{name: web, port: 80}]
""", [(("spec", "rules", 0), True, "RequestRedirect filter must not be used together with backendRefs")]),
    ("""
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  interval: 10m
  chartRef: {kind: OCIRepository, name: podinfo}
""", []),
    ("""
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata: {name: podinfo}
spec:
  interval: 10m
""", [(("spec",), True, "either chart or chartRef must be set")]),
    ("""
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: apps}
spec: {interval: 5m, url: "https://github.com/example/apps", provider: azure, serviceAccountName: git}
""", []),
    ("""
apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata: {name: apps}
spec: {interval: 5m, url: "https://github.com/example/apps", serviceAccountName: git}
""", [(("spec",), True, "serviceAccountName can only be set when provider is 'azure' or 'aws'")]),
    ("""
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: venafi}
spec:
  venafi: {zone: a, cloud: {apiTokenSecretRef: {name: c, key: k}}}
""", []),
    ("""
apiVersion: cert-manager.io/v1
kind: Issuer
metadata: {name: venafi}
spec:
  venafi:
    zone: a
    tpp: {url: "https://tpp.example.com/vedsdk", credentialsRef: {name: tpp}}
    cloud: {apiTokenSecretRef: {name: c, key: k}}
""", [(("spec", "venafi"), True, "exactly one of tpp, cloud, or ngts must be configured")]),
    ("""
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: public}
spec: {controllerName: example.com/gateway}
""", [(("spec", "controllerName"), False, "a transition rule (it compares with oldSelf, the object before an "
                                          "update)")]),
]


@pytest.mark.parametrize(("text", "expected"), UPSTREAM)
def test_the_bundled_crds_rules_judge_as_the_api_server_does(text: str, expected: list[Any]) -> None:
    assert _outcomes(text) == expected


def _bundled_rules() -> set[str]:
    rules: set[str] = set()
    for path in schema_path("resources", "crds").rglob("*.json"):
        if not path.name.startswith("_"):
            stack: list[Any] = [yaml.safe_load(path.read_text(encoding="utf-8"))]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    for entry in node.get("x-kubernetes-validations") or ():
                        rules.add(entry["rule"])
                    stack.extend(node.values())
                elif isinstance(node, list):
                    stack.extend(node)
    return rules


def test_every_bundled_rule_compiles_but_the_ones_a_linter_cannot_evaluate() -> None:
    """A new bundle whose rules the runtime refuses shows here: each such rule is reported as not evaluated, with
    its reason (a transition rule, a Kubernetes library function)."""
    rules = _bundled_rules()
    assert len(rules) > 100
    refused = {rule: program.reason for rule in rules
               if isinstance(program := _cel.compiled(rule), _cel.Unevaluable)}
    assert refused == {
        "self == oldSelf": "a transition rule (it compares with oldSelf, the object before an update)",
        "self.all(h, !isIP(h))": "it calls isIP() of the Kubernetes CEL IP address library, which the CEL runtime "
                                 "lacks",
    }


ROUTE_TEXT = (FIXTURES / "good" / ROUTE).read_text(encoding="utf-8")
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {a: b}\n"
ISSUER = "apiVersion: cert-manager.io/v1\nkind: ClusterIssuer\nmetadata: {name: a}\nspec: {selfSigned: {}}\n"


@pytest.mark.parametrize(("text", "imported"), [(CONFIGMAP, False), (ISSUER, False), (ROUTE_TEXT, True)])
def test_the_cel_runtime_is_imported_only_for_a_custom_resource_whose_crd_has_rules(
        tmp_path: Path, text: str, imported: bool) -> None:
    """A ConfigMap, and a ClusterIssuer (whose rules sit under spec.venafi, absent here), never load the 50 MB
    runtime; an HTTPRoute does."""
    (tmp_path / "object.yaml").write_text(text, encoding="utf-8")
    code = ("import sys; from gitops_tools.cli import main; main(['lint', sys.argv[1]]); "
            "print('cel_expr_python' in sys.modules)")
    ran = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=False)
    assert ran.stdout.strip().splitlines()[-1] == str(imported), ran.stderr


def test_an_object_with_schema_errors_has_no_rule_finding(tmp_path: Path, policies: dict[str, Policy]) -> None:
    """The API server skips the rules of an object with a wrong type: custom-resource-structure-valid's error is the
    one finding."""
    text = (FIXTURES / "bad" / WIDGET).read_text(encoding="utf-8").replace("maxReplicas: 2", 'maxReplicas: "2"')
    (tmp_path / "crd.yaml").write_text((FIXTURES / "bad" / "crds" / "widgets.yaml").read_text(encoding="utf-8"))
    (tmp_path / "widget.yaml").write_text(text, encoding="utf-8")
    assert _findings(tmp_path, policies) == []
    result = lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions())
    assert [(f.location.line, f.policy_id) for f in result.findings] == [(8, "custom-resource-structure-valid")]
