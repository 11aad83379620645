"""Evaluating policies: where findings land, what they apply to, exemptions, fingerprints, coded checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun, FileWriter

from gitops_tools.config import Config
from gitops_tools.findings import Finding
from gitops_tools.lint import LintOptions, LintResult, lint
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies

TreeLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]

TAG = "container-image-tag-not-latest"
MEMORY = "container-memory-limit-set"
PRIVILEGED = "container-not-privileged"
HOST_NETWORK = "pod-host-network-unset"
ENV = "container-env-names-unique"
UNKNOWN = "exemption-unknown-policy"

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata: {name: report}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          hostNetwork: true
          initContainers:
            - name: migrate
              image: registry.example.com/migrate:latest
          containers:
            - name: report
              image: registry.example.com/report:latest
              resources: {limits: {memory: 64Mi}}
          ephemeralContainers:
            - name: debug
              image: busybox:latest
              securityContext: {privileged: true}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
        - {name: init, image: "init:1.0", securityContext: {privileged: true}}
      containers:
        - {name: app, image: "app:latest"}
        - name: proxy
          image: proxy:latest
"""


def pod(annotation: str | None = None, name: str = "web", image: str = "app:latest") -> str:
    annotations = f"\n  annotations:\n    gitops-tools.io/exempt: {annotation}" if annotation is not None else ""
    return f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {name}{annotations}
spec:
  containers:
    - name: app
      image: {image}
      securityContext: {{privileged: true}}
"""


# --- where findings land ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "policy_id", "expected"),
    [
        pytest.param(CRONJOB, TAG, [(13, 15), (16, 15), (20, 15)], id="cronjob-all-container-lists"),
        pytest.param(CRONJOB, MEMORY, [(12, 15)], id="cronjob-ephemeral-not-targeted-by-resources"),
        pytest.param(CRONJOB, PRIVILEGED, [(21, 33)], id="cronjob-ephemeral-container"),
        pytest.param(CRONJOB, HOST_NETWORK, [(10, 11)], id="cronjob-pod-spec"),
        pytest.param(DEPLOYMENT, PRIVILEGED, [(8, 61)], id="deployment-init-container-flow"),
        pytest.param(DEPLOYMENT, TAG, [(10, 23), (12, 11)], id="deployment-second-container"),
    ],
)
def test_findings_inside_workloads_point_at_the_offending_node(lint_tree: TreeLint, spots: Spots, text: str,
                                                               policy_id: str, expected: list[tuple[int, int]]) -> None:
    result = lint_tree({"workload.yaml": text}, select=(policy_id,))
    assert spots(result) == [("workload.yaml", line, col, policy_id) for line, col in expected]


def test_one_finding_per_violated_location_even_with_several_schema_errors(lint_tree: TreeLint,
                                                                           spots: Spots) -> None:
    # apiVersion and metadata are both missing: two schema errors at the document root, one finding
    result = lint_tree({"cm.yaml": "kind: ConfigMap\ndata: {a: b}\n"}, select=("manifest-identity-complete",))
    assert spots(result) == [("cm.yaml", 1, 1, "manifest-identity-complete")]


def test_findings_are_sorted_and_unique_and_the_same_every_run(lint_tree: TreeLint) -> None:
    files = {"b.yaml": DEPLOYMENT, "a.yaml": CRONJOB + "---\n" + pod(), "sub/c.yaml": pod(), "a.json": "{"}
    first = lint_tree(files, "b.yaml", "sub", "a.yaml", "./a.yaml", "a.json", "a.yaml")
    second = lint_tree(files, "a.json", "sub/c.yaml", "a.yaml", "b.yaml")
    assert first.findings == second.findings
    assert first.files == 4
    assert first.findings == sorted(first.findings, key=Finding.sort_key)
    assert len(set(first.findings)) == len(first.findings)
    assert first.findings[0].location.path == "a.json"
    assert {f.location.path for f in first.findings} == {"a.json", "a.yaml", "b.yaml", "sub/c.yaml"}


def test_findings_are_ordered_by_path_line_column_then_policy(lint_tree: TreeLint, spots: Spots) -> None:
    cpu, pull = "container-cpu-limit-set", "container-image-pull-policy-always"
    result = lint_tree({"workload.yaml": DEPLOYMENT}, select=(TAG, PRIVILEGED, pull, MEMORY, cpu))
    assert [spot[1:] for spot in spots(result)] == [
        (8, 11, cpu), (8, 11, pull), (8, 11, MEMORY), (8, 61, PRIVILEGED),
        (10, 11, cpu), (10, 11, MEMORY), (10, 23, TAG),
        (11, 11, cpu), (11, 11, MEMORY), (12, 11, TAG),
    ]


# --- what policies apply to ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps: [{uses: x@v1}]\n",
                     id="github-workflow"),
        pytest.param("services:\n  web:\n    image: nginx:latest\n    privileged: true\n", id="compose-file"),
        pytest.param("image: {repository: app, tag: latest}\ncontainers: [{name: a, image: 'a:latest'}]\n",
                     id="helm-values"),
        pytest.param("kind: 5\nspec: {containers: [{image: 'a:latest', securityContext: {privileged: true}}]}\n",
                     id="kind-not-a-string"),
        pytest.param("- kind: Pod\n  spec: {containers: [{image: 'a:latest'}]}\n", id="top-level-list"),
        pytest.param("just a string\n", id="scalar"),
        pytest.param("---\n", id="null-document"),
    ],
)
def test_documents_without_a_kind_get_no_kubernetes_findings(lint_tree: TreeLint, text: str) -> None:
    result = lint_tree({"other.yaml": text})
    assert result.findings == []
    assert result.documents == 1


KUBECTL_LIST = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata: {name: one}
    spec:
      containers: [{name: app, image: "app:1.0"}]
  - apiVersion: v1
    kind: Pod
    metadata:
      name: two
      annotations: {gitops-tools.io/exempt: "container-not-privileged, nope: reason"}
    spec:
      containers: [{name: app, image: "app:latest", securityContext: {privileged: true}}]
"""


def test_items_of_a_kind_list_are_linted_as_resources(lint_tree: TreeLint, spots: Spots) -> None:
    result = lint_tree({"list.yaml": KUBECTL_LIST}, select=(TAG, PRIVILEGED, UNKNOWN))
    assert spots(result) == [("list.yaml", 13, 21, UNKNOWN), ("list.yaml", 15, 32, TAG)]


def test_policy_scoped_to_kinds_ignores_other_kinds(lint_tree: TreeLint) -> None:
    role_like = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nrules: [{verbs: ['*']}]\n"
    assert lint_tree({"cm.yaml": role_like}, select=("rbac-rules-no-wildcards",)).findings == []


# --- exemptions ------------------------------------------------------------------------------------------------------


def test_exemption_annotation_suppresses_exactly_the_named_policies(lint_tree: TreeLint, spots: Spots) -> None:
    exempt = pod(f'"{TAG}, {PRIVILEGED}: legacy image, fixed in TICKET-12"')
    result = lint_tree({"pods.yaml": f"{exempt}---\n{pod(name='other')}"}, select=(TAG, PRIVILEGED, MEMORY))
    assert spots(result) == [
        ("pods.yaml", 9, 7, MEMORY),
        ("pods.yaml", 19, 7, MEMORY),  # the second document has no annotation: everything applies
        ("pods.yaml", 20, 7, TAG),
        ("pods.yaml", 21, 25, PRIVILEGED),
    ]


def test_exemption_with_spaces_and_no_reason_still_names_its_policy(lint_tree: TreeLint, spots: Spots) -> None:
    result = lint_tree({"pod.yaml": pod(f'"  {TAG}  "')}, select=(TAG, PRIVILEGED))
    assert spots(result) == [("pod.yaml", 11, 25, PRIVILEGED)]


@pytest.mark.parametrize(
    ("annotation", "detail"),
    [
        pytest.param(f'"{TAG}, no-such-policy: reason"', "'no-such-policy' is not a policy id", id="unknown-id"),
        pytest.param('"container-image-tag-latest: typo"', "is not a policy id", id="typo"),
        pytest.param('": reason only"', "names no policy id", id="no-id"),
        pytest.param("5", "must be a string", id="not-a-string"),
    ],
)
def test_bad_exemption_is_a_finding_at_the_annotation(lint_tree: TreeLint, spots: Spots, annotation: str,
                                                      detail: str) -> None:
    result = lint_tree({"pod.yaml": pod(annotation)}, select=(UNKNOWN, PRIVILEGED))
    assert spots(result) == [("pod.yaml", 6, 5, UNKNOWN), ("pod.yaml", 11, 25, PRIVILEGED)]
    assert detail in result.findings[0].message


def test_known_ids_next_to_an_unknown_one_are_still_exempt(lint_tree: TreeLint, spots: Spots) -> None:
    result = lint_tree({"pod.yaml": pod(f'"nope, {TAG}: reason"')}, select=(UNKNOWN, TAG))
    assert spots(result) == [("pod.yaml", 6, 5, UNKNOWN)]


# --- fingerprints ----------------------------------------------------------------------------------------------------


def _fingerprints(result: LintResult) -> dict[tuple[str, str], str]:
    """Fingerprint by (policy, message); the tests below use inputs where that pair is unique."""
    by_key = {(f.policy_id, f.message): f.fingerprint for f in result.findings}
    assert len(by_key) == len(result.findings)
    return by_key


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("# a comment\n", id="comment"),
        pytest.param("\n\n\n", id="blank-lines"),
        pytest.param("# header\n---\n", id="document-marker"),
    ],
)
def test_fingerprints_survive_lines_shifting(lint_tree: TreeLint, prefix: str) -> None:
    before = lint_tree({"pod.yaml": pod()})
    after = lint_tree({"pod.yaml": prefix + pod()})
    assert before.findings
    assert _fingerprints(after) == _fingerprints(before)
    assert [f.location.line - prefix.count("\n") for f in after.findings] == [f.location.line for f in before.findings]


def test_fingerprint_changes_when_the_offending_value_changes(lint_tree: TreeLint) -> None:
    before = _fingerprints(lint_tree({"pod.yaml": pod(image="app:latest")}, select=(TAG, PRIVILEGED)))
    after = _fingerprints(lint_tree({"pod.yaml": pod(image="other:latest")}, select=(TAG, PRIVILEGED)))
    assert before.keys() == after.keys()
    changed = {key[0] for key in before if before[key] != after[key]}
    assert changed == {TAG}


def test_fingerprint_differs_between_resources_and_files(lint_tree: TreeLint) -> None:
    result = lint_tree({"a.yaml": pod(name="one") + "---\n" + pod(name="two"), "b.yaml": pod(name="one")},
                       select=(TAG,))
    assert len(result.findings) == 3
    assert len({f.fingerprint for f in result.findings}) == 3


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(pod() + "---\n" + pod(name="other"), id="two-resources"),
        pytest.param("a:\n  k: 1\n  k: 2\nb:\n  k: 1\n  k: 2\n", id="duplicate-keys-in-two-mappings"),
        pytest.param("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: 1, k: 2}\n---\n"
                     "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b, namespace: x}\ndata: {k: 1, k: 2}\n",
                     id="duplicate-keys-in-two-resources"),
    ],
)
def test_distinct_findings_have_distinct_fingerprints(lint_tree: TreeLint, text: str) -> None:
    """A baseline keyed by fingerprint must not let one finding hide another."""
    result = lint_tree({"many.yaml": text})
    assert len(result.findings) >= 2
    assert len({f.fingerprint for f in result.findings}) == len(result.findings)


@pytest.mark.parametrize(
    ("text", "policy_id"),
    [
        pytest.param("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  nodeSelector: {1: a, zone: b}\n"
                     "  containers: [{name: a, image: 'a:1'}]\n", "pod-service-account-token-automount-disabled",
                     id="pod-spec-with-an-int-key"),
        pytest.param("kind: ConfigMap\nmetadata: {name: tcp-services}\ndata:\n  9000: default/web:8080\n"
                     "  '9001': default/api:8080\n", "manifest-identity-complete", id="configmap-port-keys"),
    ],
)
def test_mixed_key_types_never_crash_fingerprinting(lint_tree: TreeLint, text: str, policy_id: str) -> None:
    """YAML keys may be ints next to strings (`9000:` is an int); the finding's value must still fingerprint."""
    result = lint_tree({"mixed.yaml": text}, select=(policy_id,))
    assert [f.policy_id for f in result.findings] == [policy_id]
    assert result.findings[0].fingerprint


# --- coded check: container-env-names-unique ------------------------------------------------------------------------


def _env_pod(env: str, list_name: str = "containers") -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  {list_name}:
    - name: app
      image: app:1.0
      env:
{env}"""


@pytest.mark.parametrize(
    ("env", "list_name", "expected"),
    [
        pytest.param("        - {name: A, value: '1'}\n        - {name: B, value: '2'}\n", "containers", [],
                     id="unique"),
        pytest.param("        - {name: A, value: '1'}\n        - {name: A, value: '2'}\n", "containers",
                     [(10, 12, "'A' is also set at env[0]")], id="flow-repeat"),
        pytest.param("        - name: A\n          value: '1'\n        - name: B\n          value: '2'\n"
                     "        - name: A\n          valueFrom: {fieldRef: {fieldPath: metadata.name}}\n",
                     "initContainers", [(13, 11, "'A' is also set at env[0]")], id="block-repeat-init-container"),
        pytest.param("        - {name: A}\n        - {name: A}\n        - {name: A}\n", "ephemeralContainers",
                     [(10, 12, "'A' is also set at env[0]"), (11, 12, "'A' is also set at env[0]")],
                     id="three-times"),
        pytest.param("        - {value: x}\n        - {value: y}\n        - {name: 5}\n        - {name: 5}\n",
                     "containers", [], id="entries-without-a-string-name"),
        pytest.param("        {A: '1'}\n", "containers", [], id="env-not-a-list"),
    ],
)
def test_env_names_unique(lint_tree: TreeLint, spots: Spots, env: str, list_name: str,
                          expected: list[tuple[int, int, str]]) -> None:
    result = lint_tree({"pod.yaml": _env_pod(env, list_name)}, select=(ENV,))
    assert spots(result) == [("pod.yaml", line, col, ENV) for line, col, _ in expected]
    for finding, (_, _, detail) in zip(result.findings, expected, strict=True):
        assert finding.message.endswith(detail)
        assert str(finding.severity) == "warning"


# --- workload kinds as data ------------------------------------------------------------------------------------------


def _workload(api_version: str, kind: str, pod_path: str) -> str:
    """A workload of `kind` whose pod spec sits under `pod_path` (dotted), with one privileged container."""
    lines = [f"apiVersion: {api_version}", f"kind: {kind}", "metadata: {name: web}"]
    for depth, key in enumerate(pod_path.split(".")):
        lines.append("  " * depth + f"{key}:")
    indent = "  " * (pod_path.count(".") + 1)
    lines += [f"{indent}containers:", f"{indent}  - name: app", f"{indent}    image: app:1.0",
              f"{indent}    securityContext: {{privileged: true}}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("api_version", "kind", "pod_path", "expected"),
    [
        pytest.param("argoproj.io/v1alpha1", "Rollout", "spec.template.spec", [(10, 29)], id="argo-rollout"),
        pytest.param("apps.kruise.io/v1alpha1", "CloneSet", "spec.template.spec", [(10, 29)], id="kruise-cloneset"),
        pytest.param("apps.kruise.io/v1beta1", "StatefulSet", "spec.template.spec", [(10, 29)],
                     id="kruise-statefulset"),
        pytest.param("batch/v1", "CronJob", "spec.jobTemplate.spec.template.spec", [(12, 33)], id="cronjob"),
        pytest.param("example.com/v1", "Rollout", "spec.template.spec", [], id="rollout-of-another-group"),
        pytest.param("example.com/v1", "Deployment", "spec.template.spec", [], id="deployment-of-another-group"),
    ],
)
def test_workload_kinds_are_matched_by_api_group(lint_tree: TreeLint, spots: Spots, api_version: str, kind: str,
                                                 pod_path: str, expected: list[tuple[int, int]]) -> None:
    result = lint_tree({"workload.yaml": _workload(api_version, kind, pod_path)}, select=(PRIVILEGED,))
    assert spots(result) == [("workload.yaml", line, col, PRIVILEGED) for line, col in expected]


IDENTITY = "manifest-identity-complete"
COMPONENT_CONFIGS = {
    "kubeconfig": "apiVersion: v1\nkind: Config\ncurrent-context: dev\nclusters: []\ncontexts: []\nusers: []\n",
    "kubelet": "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncgroupDriver: systemd\n",
    "kubelet-credential-provider": "apiVersion: kubelet.config.k8s.io/v1\nkind: CredentialProviderConfig\n"
                                   "providers: []\n",
    "scheduler": "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n"
                 "profiles: [{schedulerName: default-scheduler}]\n",
    "audit-policy": "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata}]\n",
    "legacy-scheduler-policy": "apiVersion: v1\nkind: Policy\npredicates: [{name: PodFitsHostPorts}]\n",
    "legacy-scheduler-policy-null-metadata": "apiVersion: v1\nkind: Policy\nmetadata:\npriorities: []\n",
    "kubeadm": "apiVersion: kubeadm.k8s.io/v1beta3\nkind: ClusterConfiguration\nkubernetesVersion: v1.30.0\n",
    "kustomization": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n",
}
BROKEN_RESOURCES = {  # text, the line of the finding
    "kyverno-policy": ("apiVersion: kyverno.io/v1\nkind: Policy\nspec: {rules: []}\n", 1),
    "v1-policy-with-metadata": ("apiVersion: v1\nkind: Policy\nmetadata: {labels: {a: b}}\n", 3),
    "kubelet-kind-without-api-version": ("kind: KubeletConfiguration\ncgroupDriver: systemd\n", 1),
    "kubelet-kind-of-another-group": ("apiVersion: example.com/v1\nkind: KubeletConfiguration\nspec: {}\n", 1),
}


@pytest.mark.parametrize("text", COMPONENT_CONFIGS.values(), ids=COMPONENT_CONFIGS.keys())
def test_component_configuration_files_are_not_resources(lint_tree: TreeLint, text: str) -> None:
    """Decided by API group (schemas/policies/kubernetes/domain.yaml): no resource policy reports them."""
    assert lint_tree({"config.yaml": text}).findings == []


@pytest.mark.parametrize(("text", "line"), BROKEN_RESOURCES.values(), ids=BROKEN_RESOURCES.keys())
def test_a_config_kind_outside_its_api_group_is_a_resource(lint_tree: TreeLint, spots: Spots, text: str,
                                                           line: int) -> None:
    assert spots(lint_tree({"config.yaml": text}, select=(IDENTITY,))) == [("config.yaml", line, 1, IDENTITY)]


def test_a_policy_naming_a_configuration_kind_still_checks_it(tmp_path: Path, policies: dict[str, Policy],
                                                              spots: Spots) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "kustomization-namespace-set.yaml").write_text(KUSTOMIZATION_POLICY, encoding="utf-8")
    (tmp_path / "kustomization.yaml").write_text(COMPONENT_CONFIGS["kustomization"], encoding="utf-8")
    # render=False: the kustomization as written (it names a.yaml, which is not there: kustomize would refuse it)
    result = lint([str(tmp_path / "kustomization.yaml")], Config(root=tmp_path, policy_dirs=(folder,)),
                  {**policies, **load_policies([folder])}, LintOptions(render=False))
    assert spots(result) == [(str(tmp_path / "kustomization.yaml"), 1, 1, "kustomization-namespace-set")]


KUSTOMIZATION_POLICY = """\
id: kustomization-namespace-set
title: Kustomizations set a namespace
severity: warning
message: kustomization sets no namespace
targets:
  scope: document
  kinds: [kustomize.config.k8s.io/Kustomization]
schema:
  required: [namespace]
docs: A custom policy on a configuration file, to show that naming its kind is how a policy reaches one.
examples:
  pass: ["apiVersion: kustomize.config.k8s.io/v1beta1\\nkind: Kustomization\\nnamespace: a\\n"]
  fail: ["apiVersion: kustomize.config.k8s.io/v1beta1\\nkind: Kustomization\\n"]
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("apiVersion: apps/v1\nmetadata: {name: web}\nspec: {replicas: 2}\n", (1, 1), id="no-kind"),
        pytest.param("apiVersion: v1\nmetadata: {name: web}\ndata: {a: b}\n", (1, 1), id="no-kind-configmap"),
        pytest.param("apiVersion: apps/v1\nkind:\nmetadata: {name: web}\nspec: {}\n", (1, 1), id="null-kind"),
        pytest.param("apiVersion: apps/v1\nkind: 5\nmetadata: {name: web}\nspec: {}\n", (2, 1), id="kind-not-a-string"),
        pytest.param("apiVersion: apps/v1\nkind: deployment\nmetadata: {name: web}\nspec: {}\n", (2, 1),
                     id="lower-case-kind"),
        pytest.param("apiVersion: v1\nkind: config-map\nmetadata: {name: web}\ndata: {}\n", (2, 1),
                     id="kebab-case-kind"),
    ],
)
def test_a_malformed_kubernetes_object_is_a_finding(lint_tree: TreeLint, spots: Spots, text: str,
                                                    expected: tuple[int, int]) -> None:
    """Clearly an object (apiVersion, metadata and spec or data) but no valid kind: reported, never in silence."""
    assert spots(lint_tree({"broken.yaml": text})) == [("broken.yaml", *expected, IDENTITY)]


ROLE_LIST = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleList
items:
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: reader, namespace: shop}
    rules:
      - {apiGroups: [""], resources: [pods], verbs: ["*"]}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata:
      name: admin
      namespace: shop
      annotations: {gitops-tools.io/exempt: "rbac-rules-no-wildcards: break-glass role"}
    rules:
      - {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
  - apiVersion: rbac.authorization.k8s.io/v1
    kind: Role
    metadata: {name: ci/reader, namespace: shop}
    rules:
      # gitops-tools: disable-next-line rbac-rules-no-wildcards -- reviewed
      - {apiGroups: [""], resources: [configmaps], verbs: ["*"]}
"""


@pytest.mark.parametrize("kind", ["RoleList", "List"])
def test_items_of_a_typed_list_are_linted_one_by_one(lint_tree: TreeLint, spots: Spots, kind: str) -> None:
    """No identity finding on the list itself; findings at the item's own line:col; exemptions and suppressions
    per item."""
    text = ROLE_LIST.replace("kind: RoleList", f"kind: {kind}")
    result = lint_tree({"roles.yaml": text}, select=(IDENTITY, "rbac-rules-no-wildcards", "suppression-unused"))
    assert spots(result) == [("roles.yaml", 8, 54, "rbac-rules-no-wildcards"), ("roles.yaml", 19, 16, IDENTITY)]


def test_items_of_a_configmap_list_are_checked_for_identity(lint_tree: TreeLint, spots: Spots) -> None:
    text = ("apiVersion: v1\nkind: ConfigMapList\nmetadata: {resourceVersion: '7'}\nitems:\n"
            "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: good}, data: {}}\n"
            "  - {apiVersion: v1, kind: ConfigMap, data: {}}\n")
    assert spots(lint_tree({"cms.yaml": text})) == [("cms.yaml", 6, 5, IDENTITY)]


# What the API server sends for `GET /api/v1/namespaces/shop/pods` (`kubectl get --raw`, a client's dump): a typed list
# whose items carry no apiVersion and no kind. The API machinery reads each as a Pod of v1 (the list's kind less
# `List`), and so does the linter; an item naming either keeps its own (the second is a Pod missing apiVersion).
POD_LIST = """\
apiVersion: v1
kind: PodList
metadata: {resourceVersion: "4211"}
items:
  - metadata: {name: web, namespace: shop}
    spec:
      containers: [{name: app, image: "app:latest"}]
  - kind: Pod
    metadata: {name: api, namespace: shop}
    spec:
      containers: [{name: app, image: "app:latest"}]
  - metadata: {name: job, namespace: shop}
    spec:
      containers: [{name: app, image: "app:1.0", securityContext: {privileged: true}}]
"""


def test_items_of_a_typed_list_without_apiversion_and_kind_take_the_lists(lint_tree: TreeLint, spots: Spots) -> None:
    result = lint_tree({"pods.yaml": POD_LIST}, select=(TAG, PRIVILEGED, IDENTITY))
    assert spots(result) == [("pods.yaml", 7, 32, TAG), ("pods.yaml", 8, 5, IDENTITY), ("pods.yaml", 11, 32, TAG),
                             ("pods.yaml", 14, 68, PRIVILEGED)]
    assert [f.pointer for f in result.findings] == [
        "/items/0/spec/containers/0/image", "/items/1", "/items/1/spec/containers/0/image",
        "/items/2/spec/containers/0/securityContext/privileged"]
    assert result.documents == 1


@pytest.mark.parametrize(
    ("kind", "api_version"),
    [pytest.param("DeploymentList", "apps/v1", id="deployment-list"),
     pytest.param("ConfigMapList", "v1", id="configmap-list-of-deployments-stays-unread")],
)
def test_a_typed_lists_item_kind_is_the_lists_less_list(lint_tree: TreeLint, spots: Spots, kind: str,
                                                        api_version: str) -> None:
    """A DeploymentList's bare items are apps/v1 Deployments: the pod template policies reach their containers. In a
    ConfigMapList the same items are ConfigMaps, which have no containers."""
    text = (f"apiVersion: {api_version}\nkind: {kind}\nitems:\n  - metadata: {{name: web}}\n    spec:\n"
            "      template:\n        spec:\n          containers: [{name: app, image: 'app:latest'}]\n")
    expected = [("list.yaml", 8, 36, TAG)] if kind == "DeploymentList" else []
    assert spots(lint_tree({"list.yaml": text}, select=(TAG, IDENTITY))) == expected


def test_a_kind_list_gives_its_items_no_kind(lint_tree: TreeLint, spots: Spots) -> None:
    """`kind: List` is no typed list: an item without a kind is no object, as a document without one is none."""
    text = "apiVersion: v1\nkind: List\nitems:\n  - metadata: {name: web}\n    data: {a: b}\n"
    result = lint_tree({"list.yaml": text})
    assert spots(result) == []


def test_a_stream_of_documents_is_linted_document_by_document_and_item_by_item(lint_tree: TreeLint,
                                                                              spots: Spots) -> None:
    """What `kubectl get -o yaml` and `kustomize build` streams mix: lists and objects, each finding at its own
    document's line, each item's at its own."""
    stream = f"{pod(name='one')}---\n{KUBECTL_LIST}---\n{POD_LIST}"
    result = lint_tree({"stream.yaml": stream}, select=(TAG, PRIVILEGED, IDENTITY))
    assert spots(result) == [("stream.yaml", 8, 7, TAG), ("stream.yaml", 9, 25, PRIVILEGED),
                             ("stream.yaml", 23, 21, UNKNOWN), ("stream.yaml", 25, 32, TAG),  # the kubectl List
                             ("stream.yaml", 33, 32, TAG), ("stream.yaml", 34, 5, IDENTITY),  # the PodList
                             ("stream.yaml", 37, 32, TAG), ("stream.yaml", 40, 68, PRIVILEGED)]
    assert result.documents == 3


LIST_ITEMS = "list-items-are-objects"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("apiVersion: v1\nkind: ConfigMapList\nmetadata: {resourceVersion: '7'}\n", [(1, 1)],
                     id="no-items"),
        pytest.param("apiVersion: v1\nkind: List\nitems: {a: b}\n", [(3, 1)], id="items-a-mapping"),
        pytest.param("apiVersion: v1\nkind: PodList\nitems: ~\n", [(1, 1)], id="items-null"),
        pytest.param("apiVersion: v1\nkind: List\nitems:\n  - settings.yaml\n"
                     "  - {apiVersion: v1, kind: ConfigMap, metadata: {name: ok}}\n  - 5\n  - [a]\n",
                     [(4, 5), (6, 5), (7, 5)], id="items-not-mappings"),
        pytest.param("apiVersion: v1\nkind: List\nitems: []\n", [], id="empty-list"),
    ],
)
def test_a_list_without_objects_under_items_is_one_clear_finding_per_problem(
        lint_tree: TreeLint, spots: Spots, text: str, expected: list[tuple[int, int]]) -> None:
    """Not an object missing its name (the list is no object), not silence: the list's own finding, at each item
    that is no mapping; the items that are mappings are linted still (the ConfigMap here is clean)."""
    result = lint_tree({"list.yaml": text})
    assert spots(result) == [("list.yaml", line, col, LIST_ITEMS) for line, col in expected]


def test_only_policies_naming_the_list_kind_see_a_malformed_list(lint_tree: TreeLint, spots: Spots) -> None:
    text = "apiVersion: v1\nkind: DeploymentList\nmetadata: {labels: {team: web}}\nitems: nope\n"
    every = lint_tree({"list.yaml": text})
    assert {f.policy_id for f in every.findings} == {LIST_ITEMS}


# --- hostile documents -----------------------------------------------------------------------------------------------


def _deep_security_context(depth: int) -> str:
    """A Pod whose container's securityContext.capabilities.add is nested `depth` lists deep (under libyaml's 1000)."""
    return ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n    - name: app\n"
            "      image: app:1.0\n      securityContext: {capabilities: {add: " + "[" * depth + "]" * depth + "}}\n")


def test_a_security_context_nested_990_deep_is_evaluated_by_every_policy(
        lint_tree: TreeLint, spots: Spots, run_cli: Callable[..., tuple[int, str, str]]) -> None:
    """jsonschema-rs evaluates the whole depth libyaml allows; its errors come back even from past the ~250 levels
    it can copy back into Python (they are found on a copy cut at 200 levels)."""
    result = lint_tree({"deep.yaml": _deep_security_context(990)}, select=(MEMORY, "document-too-deep",
                                                                            "container-capabilities-no-dangerous-add"))
    assert spots(result) == [("deep.yaml", 6, 7, MEMORY),
                             ("deep.yaml", 8, 46, "container-capabilities-no-dangerous-add")]
    code, out, err = run_cli("lint", "deep.yaml")
    assert (code, err) == (1, "")
    assert "document-too-deep" not in out


def test_a_violation_deeper_than_errors_can_be_located_is_document_too_deep(tmp_path: Path, policies: dict[str, Policy],
                                                                             spots: Spots) -> None:
    """A custom recursive policy whose violation sits 250 levels down, in a value that is itself 300 levels deep:
    too deep to locate, so reported as too deep to evaluate, at the document; the other policies' findings remain.
    (A violation as deep whose own value is shallow is located: see the next test.)"""
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "nested-lists-only.yaml").write_text(NESTED_LISTS_POLICY, encoding="utf-8")
    (tmp_path / "deep.yaml").write_text(
        "kind: ConfigMap\nmetadata: {name: deep}\ndata: {}\nextra: " + "[" * 250 + "{x: " + "[" * 300 + "]" * 300
        + "}" + "]" * 250 + "\n")
    everything = {**policies, **load_policies([folder])}
    config = Config(root=tmp_path, policy_dirs=(folder,))
    result = lint([str(tmp_path / "deep.yaml")], config, everything, LintOptions())
    found = spots(result)
    assert (str(tmp_path / "deep.yaml"), 1, 1, "document-too-deep") in found
    assert any(policy_id == "manifest-identity-complete" for *_, policy_id in found)  # no apiVersion
    assert not any(policy_id == "nested-lists-only" for *_, policy_id in found)


def test_a_violation_300_levels_down_is_located(tmp_path: Path, policies: dict[str, Policy], spots: Spots) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "nested-lists-only.yaml").write_text(NESTED_LISTS_POLICY, encoding="utf-8")
    (tmp_path / "deep.yaml").write_text(
        "kind: ConfigMap\nmetadata: {name: deep}\ndata: {}\nextra: " + "[" * 300 + "1" + "]" * 300 + "\n")
    result = lint([str(tmp_path / "deep.yaml")], Config(root=tmp_path, policy_dirs=(folder,)),
                  {**policies, **load_policies([folder])}, LintOptions(select=("nested-lists-only",)))
    assert spots(result) == [(str(tmp_path / "deep.yaml"), 4, 308, "nested-lists-only")]


NESTED_LISTS_POLICY = """\
id: nested-lists-only
title: extra holds lists of lists only
severity: warning
message: extra holds something other than a list
targets:
  scope: document
schema:
  properties:
    extra: {$ref: "#/$defs/lists"}
  $defs:
    lists:
      type: array
      items: {$ref: "#/$defs/lists"}
docs: A recursive custom policy, to show violations deeper than errors can be located.
examples:
  pass: ["kind: ConfigMap\\nextra: [[]]"]
  fail: ["kind: ConfigMap\\nextra: [1]"]
"""


# --- loader findings per file are capped -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("repeats", "shown", "rest"),
    [(99, 99, 0), (100, 100, 0), (101, 100, 1), (250, 100, 150)],
)
def test_duplicate_key_findings_are_capped_at_100_per_file(lint_tree: TreeLint, spots: Spots, repeats: int,
                                                           shown: int, rest: int) -> None:
    text = "data:\n" + "".join(f"  k: {i}\n" for i in range(repeats + 1))
    result = lint_tree({"dupes.yaml": text})
    assert spots(result) == [("dupes.yaml", line, 3, "yaml-duplicate-key") for line in range(3, 3 + shown)]
    messages = [f.message for f in result.findings]
    tail = f" (and {rest} more in this file)" if rest else ""
    assert messages[-1] == "duplicate key: 'k' appears again; only the last value is kept" + tail
    assert all("more in this file" not in message for message in messages[:-1])


@pytest.mark.parametrize("name", ["big.yaml", "big.json"])
def test_a_file_of_20000_keys_with_duplicates_lints_quickly(lint_tree: TreeLint, name: str) -> None:
    keys = [f"k{i % 15000}" for i in range(20000)]
    if name.endswith(".json"):
        text = "{\n" + ",\n".join(f'  "{key}": {i}' for i, key in enumerate(keys)) + "\n}\n"
    else:
        text = "".join(f"{key}: {i}\n" for i, key in enumerate(keys))
    started = time.monotonic()
    result = lint_tree({name: text})
    assert time.monotonic() - started < 5
    assert len(result.findings) == 100
    assert {f.policy_id for f in result.findings} == {"yaml-duplicate-key"}
    assert result.findings[-1].message.endswith("(and 4900 more in this file)")


# --- output does not depend on the hash seed -------------------------------------------------------------------------

TIED = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - &c
      name: app
      image: app:latest
      securityContext: {privileged: true, capabilities: {add: [SYS_ADMIN, NET_ADMIN, SYS_PTRACE]}}
    - <<: *c
      name: sidecar
    - {<<: *c, name: third}
"""


def test_output_is_the_same_under_every_hash_seed(tmp_path: Path) -> None:
    """Findings moved to a merge key share a position: their order must not come from set or dict iteration."""
    (tmp_path / "pod.yaml").write_text(TIED, encoding="utf-8")
    (tmp_path / "other.yaml").write_text(TIED.replace("web", "other"), encoding="utf-8")
    outputs = {}
    for seed in range(1, 5):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "GITOPS_TOOLS_DEBUG": ""}
        done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "--format", "json", "."], cwd=tmp_path,
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        assert (done.returncode, done.stderr) == (1, "")
        outputs[seed] = done.stdout
    assert len(set(outputs.values())) == 1
    findings = json.loads(outputs[1])["findings"]
    at_merge = [f["policy_id"] for f in findings if (f["path"], f["line"], f["column"]) == ("pod.yaml", 10, 7)]
    assert at_merge.count("container-capabilities-no-dangerous-add") == 3  # three ties, kept apart by fingerprint


def test_identical_findings_in_one_file_get_distinct_fingerprints(write_files: FileWriter, run_cli: CliRun) -> None:
    """The same unnamed resource twice: code scanning and Code Quality would merge findings sharing a fingerprint."""
    pod = ("apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\nspec:\n"
           "  containers: [{name: a, image: 'a:latest'}]\n")
    write_files({"twice.yaml": pod + "---\n" + pod})
    code, out, _ = run_cli("lint", "--format", "json", "--select", "container-image-tag-not-latest", "twice.yaml")
    fingerprints = [finding["fingerprint"] for finding in json.loads(out)["findings"]]
    assert code == 1
    assert len(fingerprints) == 2
    assert len(set(fingerprints)) == 2


# --- a null value is an unset value ----------------------------------------------------------------------------------

SECURITY_CONTEXT_POLICIES = sorted(policy_id for policy_id, policy in load_policies().items()
                                   if "securityContext" in json.dumps(policy.schema))
UNSET_CONTEXTS = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: app:1.0
  initContainers:
    - name: init
      image: init:1.0
"""


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(UNSET_CONTEXTS.replace("spec:\n", "spec:\n  securityContext:\n"), id="pod-level"),
        pytest.param(UNSET_CONTEXTS.replace(":1.0\n", ":1.0\n      securityContext:\n"), id="container-level"),
        pytest.param(UNSET_CONTEXTS.replace("spec:\n", "spec:\n  securityContext: null\n")
                     .replace(":1.0\n", ":1.0\n      securityContext: ~\n"), id="both-levels"),
    ],
)
@pytest.mark.parametrize("policy_id", SECURITY_CONTEXT_POLICIES)
def test_a_null_security_context_is_an_unset_one(lint_tree: TreeLint, text: str, policy_id: str) -> None:
    """`securityContext:` with no value is no securityContext (as the API server reads it): every policy that looks
    at one reports the same findings, with the same fingerprints, as when the key is absent."""
    unset = lint_tree({"pod.yaml": UNSET_CONTEXTS}, select=(policy_id,)).findings
    null = lint_tree({"pod.yaml": text}, select=(policy_id,)).findings
    assert sorted(f.fingerprint for f in null) == sorted(f.fingerprint for f in unset)
    assert [f.location.col for f in null] == [f.location.col for f in unset]


def test_the_security_policies_all_look_at_security_contexts() -> None:
    assert {"container-capabilities-drop-all", "container-privilege-escalation-disabled",
            "container-read-only-root-filesystem", "pod-run-as-non-root",
            "pod-seccomp-profile-set"} <= set(SECURITY_CONTEXT_POLICIES)
    assert len(SECURITY_CONTEXT_POLICIES) >= 8


def test_a_null_resources_field_is_an_unset_one(lint_tree: TreeLint, spots: Spots) -> None:
    text = UNSET_CONTEXTS.replace("image: app:1.0\n", "image: app:1.0\n      resources:\n")
    result = lint_tree({"pod.yaml": text}, select=(MEMORY,))
    assert spots(result) == [("pod.yaml", 6, 7, MEMORY), ("pod.yaml", 10, 7, MEMORY)]


# --- workload-spread-across-nodes: only a declared replica count above 1 ---------------------------------------------

SPREAD = "workload-spread-across-nodes"


@pytest.mark.parametrize(
    ("replicas", "kind", "fires"),
    [
        pytest.param(None, "Deployment", False, id="unset-defaults-to-one"),
        pytest.param(None, "StatefulSet", False, id="statefulset-unset"),
        pytest.param("0", "Deployment", False, id="zero"),
        pytest.param("1", "Deployment", False, id="one"),
        pytest.param("'3'", "Deployment", False, id="not-a-number"),
        pytest.param("2", "Deployment", True, id="two"),
        pytest.param("5", "StatefulSet", True, id="statefulset-five"),
    ],
)
def test_workload_spread_fires_only_above_one_declared_replica(lint_tree: TreeLint, spots: Spots, replicas: str | None,
                                                               kind: str, fires: bool) -> None:
    count = f"  replicas: {replicas}\n" if replicas is not None else ""
    text = (f"apiVersion: apps/v1\nkind: {kind}\nmetadata: {{name: web}}\nspec:\n{count}  template:\n"
            "    spec:\n      containers: [{name: web, image: 'web:1.0'}]\n")
    result = lint_tree({"web.yaml": text}, select=(SPREAD,))
    assert spots(result) == ([("web.yaml", 7, 5, SPREAD)] if fires else [])  # at the pod template spec
    assert all("spec.replicas is more than 1" in finding.message for finding in result.findings)


def _nested(depth: int) -> str:
    return "{k: " * depth + "x" + "}" * depth


@pytest.mark.parametrize(("name", "text"), [
    pytest.param(".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    env: {deep}\n"
                 "    steps: [{{run: make}}]\n", id="workflow"),
    pytest.param("action.yml", "name: a\ndescription: b\nruns:\n  using: composite\n"
                 "  steps: [{{run: make, shell: bash, env: {deep}}}]\n", id="action"),
    pytest.param(".gitlab-ci.yml", "test:\n  script: [make]\n  variables: {deep}\n", id="gitlab-ci"),
    pytest.param("catalog-info.yaml", "apiVersion: backstage.io/v1alpha1\nkind: Component\n"
                 "metadata: {{name: a, annotations: {deep}}}\n"
                 "spec: {{type: service, owner: a, lifecycle: production}}\n", id="backstage"),
])
def test_a_vendored_schema_check_reports_a_too_deep_document_instead_of_crashing(
        run_cli: CliRun, tmp_path: Path, name: str, text: str) -> None:
    """The public-schema checks (workflow, action, GitLab CI, Backstage) on a document 990 levels deep: the
    validator's own depth limit is the document's problem (exit 1), never an internal error (exit 3)."""
    (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / name).write_text(text.format(deep=_nested(990)), encoding="utf-8")
    code, out, err = run_cli("lint", name)
    assert (code, err) == (1, "")
    assert f"{name}:1:1: error [document-too-deep]" in out
