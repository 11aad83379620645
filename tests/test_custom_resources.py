"""Custom resources: the vendored CRDs (their sums, licences and the derived bundle), the structural schema the API
server applies (gitops_tools/checks/_crd_structural.py) and custom-resource-structure-valid on real documents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from gitops_tools import crdbundle
from gitops_tools.checks import _crd_structural
from gitops_tools.checks.custom_resource_structure import custom_resource_check
from gitops_tools.customresources import Definitions, bundled, definitions_in, is_custom, openapi_schema

ROOT = Path(__file__).resolve().parents[1]
DERIVED = ROOT / "schemas" / "resources" / "crds"
# Every kind the issue names, by group: each must be bundled with a served version.
REQUIRED = {
    "monitoring.coreos.com": ("ServiceMonitor", "PodMonitor", "PrometheusRule", "Probe"),
    "argoproj.io": ("Application", "ApplicationSet", "AppProject", "Rollout", "AnalysisTemplate",
                    "ClusterAnalysisTemplate", "AnalysisRun", "Experiment"),
    "kustomize.toolkit.fluxcd.io": ("Kustomization",),
    "helm.toolkit.fluxcd.io": ("HelmRelease",),
    "source.toolkit.fluxcd.io": ("GitRepository", "OCIRepository", "HelmRepository", "HelmChart", "Bucket"),
    "cert-manager.io": ("Certificate", "Issuer", "ClusterIssuer", "CertificateRequest"),
    "external-secrets.io": ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret"),
    "gateway.networking.k8s.io": ("GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant"),
    "policies.kyverno.io": ("ImageValidatingPolicy",),
    "policy.sigstore.dev": ("ClusterImagePolicy",),
}


def check(document: str, definitions: Definitions | None = None) -> list[tuple[tuple[Any, ...], str]]:
    return [(tuple(path), detail) for path, detail, *_ in
            custom_resource_check(yaml.safe_load(document), definitions or Definitions())]


def test_vendored_files_match_their_sums() -> None:
    assert crdbundle.mismatched_sums() == []


def test_every_vendored_project_names_release_commit_and_licence() -> None:
    for project, entry in crdbundle.sources()["projects"].items():
        assert entry["tag"].startswith("v") and len(entry["commit"]) == 40, project
        assert entry["licence"] == "Apache-2.0"
        assert "Apache License" in (ROOT / "schemas/vendor/crds" / project / "LICENSE").read_text(encoding="utf-8")


def test_derived_bundle_is_current() -> None:
    """`make crds` was run after the vendored files last changed."""
    derived = crdbundle.derive()
    on_disk = {path.relative_to(DERIVED).as_posix(): path.read_text(encoding="utf-8")
               for path in DERIVED.rglob("*.json")}
    assert sorted(on_disk) == sorted(derived)
    stale = [name for name, text in derived.items() if on_disk[name] != text]
    assert stale == []


@pytest.mark.parametrize("group", sorted(REQUIRED))
def test_required_kinds_are_bundled_and_served(group: str) -> None:
    for kind in REQUIRED[group]:
        definition = bundled(group, kind)
        assert definition is not None, kind
        assert definition.served(), kind


def test_every_bundled_schema_compiles_without_descriptions() -> None:
    definitions = Definitions()
    for path in DERIVED.glob("*/*.json"):
        assert '"description":"' not in path.read_text(encoding="utf-8").replace('"description":{', "")
        definition = bundled(path.parent.name, path.stem)
        assert definition is not None
        for version in definition.versions:
            if version.served and version.schema:
                assert definitions.evaluator(definition, version) is not None


def test_openapi_schema_keeps_cel_rules() -> None:
    """What the CEL evaluation reads: the raw schema, x-kubernetes-validations kept."""
    schema = openapi_schema("gateway.networking.k8s.io/v1", "HTTPRoute")
    assert schema is not None and "x-kubernetes-validations" in json.dumps(schema)
    assert openapi_schema("gateway.networking.k8s.io/v0", "HTTPRoute") is None
    assert openapi_schema("example.com/v1", "Widget") is None


def test_run_crd_wins_over_bundled() -> None:
    own = definitions_in(yaml.safe_load(CERTIFICATE_CRD), "crds/certificate.yaml:1")
    definitions = Definitions({(d.group, d.kind): d for d in own})
    assert openapi_schema("cert-manager.io/v1", "Certificate", definitions) == own[0].versions[0].schema
    assert check("apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata: {name: a}\nspec: {anything: 1}\n",
                 definitions) == [(("spec", "anything"),
                                   "Additional properties are not allowed ('anything' was unexpected)")]


def test_builtin_groups_are_not_custom() -> None:
    assert not is_custom("apps/v1") and not is_custom("v1") and not is_custom("networking.k8s.io/v1")
    assert not is_custom("extensions/v1beta1")
    assert is_custom("gateway.networking.k8s.io/v1") and is_custom("monitoring.coreos.com/v1")


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {type: integer, minimum: 0, exclusiveMinimum: true}
                port: {x-kubernetes-int-or-string: true}
                mode: {type: string, enum: [fast, slow]}
                note: {type: string, nullable: true}
                label: {type: string}
                since: {type: string, format: date-time}
                data: {type: string, format: byte}
                tags: {type: array, items: {type: string}, x-kubernetes-list-type: set}
                free: {type: object, x-kubernetes-preserve-unknown-fields: true}
                template:
                  type: object
                  x-kubernetes-embedded-resource: true
                  x-kubernetes-preserve-unknown-fields: true
                choice:
                  type: object
                  properties: {a: {type: string}, b: {type: string}}
                  oneOf: [{required: [a]}, {required: [b]}]
    - name: v1beta1
      served: false
      storage: false
      schema: {openAPIV3Schema: {type: object}}
"""

CERTIFICATE_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: certificates.cert-manager.io}
spec:
  group: cert-manager.io
  scope: Namespaced
  names: {kind: Certificate, plural: certificates}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {secretName: {type: string}}}
"""


def widgets() -> Definitions:
    return Definitions({(d.group, d.kind): d for d in definitions_in(yaml.safe_load(WIDGET_CRD), "widget.yaml:1")})


WIDGET = "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n"


@pytest.mark.parametrize(("spec", "expected"), [
    ("{size: 1, port: 80, mode: fast, note: null, label: null, free: {any: [1]}, tags: [a, b]}", []),
    ("{size: 1, port: http, since: '2024-01-02T03:04:05Z', data: aGVsbG8=}", []),
    ("{size: 1, template: {apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}}", []),
    ("{size: 1, choice: {a: x}}", []),
    ("{size: 0}", [(("spec", "size"), "0 is less than or equal to the minimum of 0")]),
    ("{size: '1'}", [(("spec", "size"), '"1" is not of type "integer"')]),
    ("{size: 1, port: 1.5}", [(("spec", "port"), '1.5 is not of types "integer", "string"')]),
    ("{size: 1, mode: quick}", [(("spec", "mode"), '"quick" is not one of "fast" or "slow"')]),
    ("{size: 1, colour: red}",
     [(("spec", "colour"), "Additional properties are not allowed ('colour' was unexpected)")]),
    ("{port: 80}", [(("spec",), '"size" is a required property')]),
    ("{size: null}", [(("spec",), '"size" is a required property')]),
    ("{size: 1, since: yesterday}", [(("spec", "since"), '"yesterday" is not a "date-time"')]),
    ("{size: 1, tags: [a, a]}", [(("spec", "tags"), '["a","a"] has non-unique elements')]),
    ("{size: 1, template: {data: {}}}", [(("spec", "template"), '"apiVersion" is a required property'),
                                         (("spec", "template"), '"kind" is a required property')]),
    ("{size: 1, choice: {}}", [(("spec", "choice"), '{} is not valid under any of the schemas listed in the '
                                                   "'oneOf' keyword")]),
])
def test_structural_rules(spec: str, expected: list[tuple[tuple[Any, ...], str]]) -> None:
    assert check(f"{WIDGET}spec: {spec}\n", widgets()) == expected


def test_byte_format_is_base64() -> None:
    assert [path for path, _ in check(f"{WIDGET}spec: {{size: 1, data: 'not base64!'}}\n", widgets())] \
        == [("spec", "data")]


def test_metadata_is_object_meta() -> None:
    found = check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, labelz: {a: b}}\nspec: {size: 1}\n",
                  widgets())
    assert found == [(("metadata", "labelz"), "Additional properties are not allowed ('labelz' was unexpected)")]


def test_version_not_served() -> None:
    assert check("apiVersion: example.com/v1beta1\nkind: Widget\nmetadata: {name: w}\n", widgets()) == [
        (("apiVersion",), "widget.yaml:1's CRD does not serve example.com/v1beta1 Widget (served: example.com/v1)")]
    assert check("apiVersion: example.com/v9\nkind: Widget\nmetadata: {name: w}\n", widgets())[0][0] == ("apiVersion",)


def test_nulls_pruned_only_where_not_nullable() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string", "nullable": True}}}
    document = {"a": None, "b": None, "c": None}
    assert _crd_structural.pruned(document, schema) == {"b": None, "c": None}
    assert document == {"a": None, "b": None, "c": None}  # the document itself is untouched


def test_deep_document_is_bounded() -> None:
    """A custom resource nested far deeper than Python recurses is checked without a crash."""
    deep: Any = "leaf"
    for _ in range(3000):
        deep = {"x": deep, "y": None}
    document = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                "spec": {"size": 1, "free": deep}}
    assert list(custom_resource_check(document, widgets())) == []


def test_not_custom_and_unknown_kinds_are_left_alone() -> None:
    assert check("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {bogus: 1}\n") == []
    assert check("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {bogus: 1}\n") == []
    assert check("kind: Widget\n") == [] and check("- a\n") == []
