"""The workload table (schemas/resources/workloads.yaml) is data: every kind it lists gets the pod-spec and container
policies at the pod spec it names, and the workspace checks see its pod template. Each case is built from the table
itself, so a line added there is tested without editing this file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from gitops_tools.lint import LintResult
from gitops_tools.targets import read_workloads

TreeLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]

WORKLOADS: dict[str, list[str]] = read_workloads()
HOST_NETWORK, PRIVILEGED = "pod-host-network-unset", "container-not-privileged"


def manifest(key: str, pod_spec: list[str]) -> str:
    """A manifest of the workload type `key` (`group/Kind` or a core `Kind`) whose pod spec, at the table's path,
    shares the host's network and runs a privileged container; the pod template is labelled app: probe."""
    group, _, kind = key.rpartition("/")
    lines = [f"apiVersion: {group}/v1" if group else "apiVersion: v1", f"kind: {kind}", "metadata: {name: probe}"]
    for depth, step in enumerate(pod_spec):
        if step == "spec" and depth == len(pod_spec) - 1 and depth > 0:
            lines.append("  " * depth + "metadata: {labels: {app: probe}}")
        lines.append("  " * depth + f"{step}:")
    indent = "  " * len(pod_spec)
    lines += [f"{indent}hostNetwork: true", f"{indent}containers:", f"{indent}  - name: main",
              f"{indent}    image: registry.example.com/probe:1.0.0",
              f"{indent}    securityContext: {{privileged: true}}"]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("key", "pod_spec"), sorted(WORKLOADS.items()), ids=sorted(WORKLOADS))
def test_every_listed_workload_gets_the_pod_spec_and_container_policies(lint_tree: TreeLint, spots: Spots,
                                                                         key: str, pod_spec: list[str]) -> None:
    text = manifest(key, pod_spec)
    lines = text.splitlines()
    host_network = next(n for n, line in enumerate(lines, 1) if line.strip() == "hostNetwork: true")
    privileged = next(n for n, line in enumerate(lines, 1) if "privileged: true" in line)
    result = lint_tree({"workload.yaml": text}, select=(HOST_NETWORK, PRIVILEGED))
    assert [(line, policy) for _, line, _, policy in spots(result)] == [(host_network, HOST_NETWORK),
                                                                      (privileged, PRIVILEGED)]


@pytest.mark.parametrize("key", ["apps.openshift.io/DeploymentConfig", "keda.sh/ScaledJob"])
def test_the_openshift_and_keda_workloads_are_listed(key: str) -> None:
    assert key in WORKLOADS


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: probe}
spec:
  selector: {app: %s}
  ports: [{port: 80, targetPort: 8080}]
"""


@pytest.mark.parametrize("key", ["apps.openshift.io/DeploymentConfig", "keda.sh/ScaledJob"])
def test_a_service_sees_the_pods_of_a_listed_workload(lint_tree: TreeLint, spots: Spots, key: str) -> None:
    workload = manifest(key, WORKLOADS[key])
    selected = lint_tree({"a.yaml": workload + "---\n" + SERVICE % "probe"}, select=("service-selector-matches-pods",))
    assert spots(selected) == []
    missed = lint_tree({"b.yaml": workload + "---\n" + SERVICE % "other"}, "b.yaml",
                       select=("service-selector-matches-pods",))
    assert [policy for *_, policy in spots(missed)] == ["service-selector-matches-pods"]


SCALED_JOB = """\
apiVersion: keda.sh/v1alpha1
kind: ScaledJob
metadata: {name: queue-worker}
spec:
  jobTargetRef:
    backoffLimit: 2
    template:
      spec:
        containers:
          - name: worker
            image: registry.example.com/worker:2.0.1
            resources: {requests: {cpu: 250m, memory: 128Mi}, limits: {cpu: 500m, memory: 128Mi}}
  triggers:
    - type: rabbitmq
      metadata: {queueName: jobs, mode: QueueLength, value: "5"}
"""


def test_a_scaled_job_runs_to_completion_like_a_job(lint_tree: TreeLint, spots: Spots) -> None:
    probes = ("container-liveness-probe-set", "container-readiness-probe-set", "container-startup-probe-set")
    result = lint_tree({"scaledjob.yaml": SCALED_JOB}, select=(*probes, "job-restart-policy-set"))
    assert spots(result) == [("scaledjob.yaml", 8, 7, "job-restart-policy-set")]  # the pod spec
