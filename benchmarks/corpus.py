"""Deterministic benchmark corpus: realistic multi-document Kubernetes manifests, some clean, some not; one file in
MONITORING_EVERY a Prometheus rule file, a PrometheusRule or a Grafana dashboard (JSON), and one in PIPELINE_EVERY a
service's CI pipeline (a GitHub Actions workflow or a .gitlab-ci.yml), each with the odd mistake.

    python benchmarks/corpus.py OUTDIR [--files 1000] [--seed 7]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

DEPLOYMENT = """\
apiVersion: apps/v1
kind: {kind}
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/instance: {name}-{env}
    app.kubernetes.io/part-of: {team}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
      annotations:
        prometheus.io/scrape: "true"
    spec:
      serviceAccountName: {name}
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: {uid}
        seccompProfile:
          type: RuntimeDefault
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: topology.kubernetes.io/zone
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/name: {name}
      initContainers:
        - name: migrate
          image: {registry}/{name}-migrate:{tag}
          command: ["/app/migrate", "--wait"]
          resources:
            requests: {{cpu: 50m, memory: 64Mi}}
            limits: {{cpu: 200m, memory: 128Mi}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
      containers:
        - name: app
          image: {registry}/{name}:{tag}
          imagePullPolicy: {pull}
          args: ["--port=8080", "--log-level=info"]
          ports:
            - {{name: http, containerPort: 8080}}
            - {{name: metrics, containerPort: 9090}}
          env:
            - {{name: LOG_FORMAT, value: json}}
            - {{name: OTEL_SERVICE_NAME, value: {name}}}
            - name: DATABASE_PASSWORD
{password}
          resources:
            requests: {{cpu: {cpu}, memory: {memory}}}
            limits: {{{limits}}}
          livenessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
          readinessProbe:
            httpGet: {{path: /readyz, port: http}}
          startupProbe:
            httpGet: {{path: /healthz, port: http}}
            failureThreshold: 30
          securityContext:
            allowPrivilegeEscalation: {escalation}
            readOnlyRootFilesystem: true
            capabilities: {{drop: [ALL]}}
          volumeMounts:
            - {{name: tmp, mountPath: /tmp}}
      volumes:
        - name: tmp
          emptyDir: {{}}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {name}
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {name}
    app.kubernetes.io/instance: {name}-{env}
spec:
  type: {service_type}
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - {{name: http, port: 80, targetPort: http}}
    - {{name: metrics, port: 9090, targetPort: metrics}}
"""

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {name}-config
  namespace: {namespace}
data:
  LOG_LEVEL: info
  FEATURE_FLAGS: "search,checkout,recommendations"
  settings.yaml: |
    cache:
      ttl: 300s
      size: 512
    upstreams:
      - http://inventory.{namespace}.svc:80
      - http://pricing.{namespace}.svc:80
"""

CRONJOB = """\
apiVersion: batch/v1
kind: CronJob
metadata:
  name: {name}-report
  namespace: {namespace}
  labels:
    app.kubernetes.io/name: {name}-report
    app.kubernetes.io/instance: {name}-report-{env}
spec:
  schedule: "{minute} 3 * * *"
  concurrencyPolicy: Forbid
  jobTemplate:
    spec:
      backoffLimit: 2
      template:
        spec:
          restartPolicy: OnFailure
          automountServiceAccountToken: false
          securityContext:
            runAsNonRoot: true
            seccompProfile: {{type: RuntimeDefault}}
          containers:
            - name: report
              image: {registry}/{name}-report:{tag}
              resources:
                requests: {{cpu: 100m, memory: 128Mi}}
                limits: {{cpu: 500m, memory: 256Mi}}
              securityContext:
                allowPrivilegeEscalation: false
                readOnlyRootFilesystem: true
                capabilities: {{drop: [ALL]}}
"""

RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {name}
  namespace: {namespace}
rules:
  - apiGroups: [""]
    resources: [configmaps, {extra_resource}]
    verbs: [get, list, watch]
  - apiGroups: [coordination.k8s.io]
    resources: [leases]
    verbs: [get, create, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {name}
  namespace: {namespace}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: {role_kind}
  name: {role_name}
subjects:
  - kind: ServiceAccount
    name: {name}
    namespace: {namespace}
"""

HPA = """\
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
  namespace: {namespace}
spec:
  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: {name}}}
  minReplicas: 3
  maxReplicas: 12
  metrics:
    - type: Resource
      resource:
        name: cpu
        target: {{type: Utilization, averageUtilization: 70}}
"""

TEAMS = ["payments", "search", "checkout", "identity", "platform", "data"]
WORDS = ["api", "worker", "gateway", "indexer", "ledger", "notifier", "billing", "cart", "auth", "feed"]


def render_file(rng: random.Random, number: int) -> str:
    name = f"{rng.choice(WORDS)}-{number}"
    values = {
        "name": name,
        "kind": rng.choice(["Deployment", "Deployment", "StatefulSet"]),
        "namespace": rng.choice(["default", *TEAMS]) if rng.random() < 0.1 else rng.choice(TEAMS),
        "team": rng.choice(TEAMS),
        "env": rng.choice(["dev", "staging", "prod"]),
        "replicas": rng.choice([1, 2, 3, 3, 5]),
        "uid": rng.choice([10001, 65532, 1000]),
        "registry": "registry.example.com/" + rng.choice(TEAMS),
        "tag": rng.choice(["1.4.2", "2.0.0-rc.1", "latest", "3.1.0"]) if rng.random() < 0.3 else "1.4.2",
        "pull": rng.choice(["IfNotPresent", "Always"]),
        "password": ("              valueFrom: {secretKeyRef: {name: db, key: password}}" if rng.random() < 0.9
                     else "              value: hunter2"),
        "cpu": rng.choice(["100m", "250m", "1"]),
        "memory": rng.choice(["128Mi", "256Mi", "1Gi"]),
        "limits": rng.choice(["memory: 512Mi", "cpu: '1', memory: 512Mi", "cpu: '2'"]),
        "escalation": "false" if rng.random() < 0.85 else "true",
        "service_type": rng.choice(["ClusterIP"] * 8 + ["NodePort", "LoadBalancer"]),
        "minute": rng.randrange(60),
        "extra_resource": rng.choice(["services", "endpoints", "secrets"]),
        "role_kind": rng.choice(["Role"] * 9 + ["ClusterRole"]),
        "role_name": name if rng.random() < 0.95 else "cluster-admin",
    }
    parts = [DEPLOYMENT, SERVICE]
    parts += rng.sample([CONFIGMAP, CRONJOB, RBAC, HPA], k=rng.randint(1, 4))
    return "---\n".join(part.format(**values) for part in parts)


MONITORING_EVERY = 50
RULES = """\
groups:
  - name: {name}.recording
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total{{job="{name}"}}[5m]))
      - record: job:http_request_errors:ratio_rate5m
        expr: |
          sum by (job) (rate(http_requests_total{{job="{name}",code=~"5.."}}[5m]))
          /
          sum by (job) (rate(http_requests_total{{job="{name}"}}[5m]))
  - name: {name}.alerts
    rules:
      - alert: {alert}ErrorRateHigh
        expr: job:http_request_errors:ratio_rate5m{{job="{name}"}} > 0.05
        for: 10m
        labels: {{severity: {severity}, team: {team}}}
        annotations:
          summary: "{{{{ $labels.job }}}} fails {{{{ $value | humanizePercentage }}}} of its requests"
          description: More than 5% of requests to {name} failed over the last 10 minutes.
{runbook}
      - alert: {alert}MemoryGrowing
        expr: {memory} > 0
        for: 30m
        labels: {{severity: warning, team: {team}}}
        annotations:
          summary: "{{{{ $labels.pod }}}} keeps growing"
          description: Memory use has grown for 30 minutes.
          runbook_url: https://runbooks.example.com/{name}/memory
"""
PROMETHEUS_RULE = """\
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {name}
  namespace: {team}
spec:
{rules}"""
DASHBOARD = """\
{{
  "uid": "{name}",
  "title": "{name}",
  "schemaVersion": 39,
  "templating": {{"list": [{{"name": "datasource", "type": "datasource", "query": "prometheus"}}]}},
  "panels": [
    {{"type": "row", "title": "Traffic", "panels": []}},
    {{"type": "timeseries", "title": "Requests per second", "fieldConfig": {{"defaults": {{"unit": "reqps"}}}},
     "datasource": {{"type": "prometheus", "uid": "${{datasource}}"}},
     "targets": [{{"refId": "A", "expr": "sum by (code) (rate(http_requests_total{{job=\\"{name}\\"}}[{range}]))"}}]}},
    {{"type": "stat", "title": "Error ratio", "fieldConfig": {{"defaults": {{"unit": "percentunit"}}}},
     "datasource": {{"type": "prometheus", "uid": "${{datasource}}"}},
     "targets": [{{"refId": "A", "expr": "job:http_request_errors:ratio_rate5m{{job=\\"{name}\\"}}"}}]}}
  ]
}}
"""


def render_monitoring(rng: random.Random, number: int) -> tuple[str, str]:
    """(file suffix, text) of a monitoring file: a rule file, a PrometheusRule or a dashboard, by turns; some with a
    mistake (a severity no route knows, no runbook, a rate of a gauge, a fixed rate range)."""
    name = f"{rng.choice(WORDS)}-{number}"
    values = {
        "name": name, "team": rng.choice(TEAMS), "alert": name.title().replace("-", ""),
        "severity": rng.choice(["warning", "critical", "critical", "page"]),
        "runbook": ("          runbook_url: https://runbooks.example.com/" + name if rng.random() < 0.8 else ""),
        "memory": rng.choice(["deriv(process_resident_memory_bytes[30m])"] * 3
                             + ["rate(process_resident_memory_bytes[30m])"]),
        "range": rng.choice(["$__rate_interval"] * 3 + ["5m"]),
    }
    turn = number // MONITORING_EVERY % 3
    rules = RULES.format(**values)
    if turn == 0:
        return ".rules.yaml", rules
    if turn == 1:
        return ".yaml", PROMETHEUS_RULE.format(rules="".join(f"  {line}\n" if line else "\n"
                                                             for line in rules.splitlines()), **values)
    return ".json", DASHBOARD.format(**values)


PIPELINE_EVERY = 50
WORKFLOW = """\
name: ci
on:
  pull_request:
    branches: [main]
  push:
    branches: [main]
permissions: {permissions}
concurrency:
  group: ci-${{{{ github.ref }}}}
  cancel-in-progress: true
jobs:
  test:
    runs-on: ubuntu-24.04
{timeout}    permissions:
      contents: read
    steps:
      - uses: actions/checkout@{checkout}
        with:
          persist-credentials: false
      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0
        with:
          python-version: "3.12"
      - name: test
        run: |
          make venv
          make test
      - name: greet
        run: echo "Testing {greeting}"
        env:
          TITLE: ${{{{ github.event.pull_request.title }}}}
  build:
    needs: [test]
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    permissions:
      contents: read
      packages: write
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          persist-credentials: false
      - run: docker build -t ghcr.io/{team}/{name}:${{{{ github.sha }}}} .
"""
GITLAB_CI = """\
include:
  - project: platform/ci-templates
    ref: {ref}
    file: /lint.yml

stages: [test, build]

variables:
  IMAGE: $CI_REGISTRY_IMAGE/{name}

default:
  image: python:{python}
  interruptible: true

.test-rules:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH

test:
  stage: test
  rules:
    - !reference [.test-rules, rules]
  script:
    - make venv
    - make test

build:
  stage: build
  image: docker:27.3.1
  script:
    - docker build -t "$IMAGE:$CI_COMMIT_SHA" .
    - {push}
"""


def render_pipeline(rng: random.Random, number: int) -> tuple[str, str]:
    """(path below the team folder, text) of a service's pipeline: a GitHub Actions workflow or a .gitlab-ci.yml, by
    turns; some with a mistake (no job timeout, write-all, an action by tag, a title in `run:`, `:latest`, a branch
    include, a token echoed)."""
    name = f"{rng.choice(WORDS)}-{number}"
    if number // PIPELINE_EVERY % 2 == 0:
        return f"{name}/.github/workflows/ci.yml", WORKFLOW.format(
            name=name, team=rng.choice(TEAMS),
            permissions=rng.choice(["{}"] * 5 + ["write-all"]),
            timeout=rng.choice(["    timeout-minutes: 15\n"] * 3 + [""]),
            checkout=rng.choice(["11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2"] * 3 + ["v4"]),
            greeting=rng.choice(["$TITLE"] * 5 + ["${{ github.event.pull_request.title }}"]))
    return f"{name}/.gitlab-ci.yml", GITLAB_CI.format(
        name=name, ref=rng.choice(["6f1c2ab9d0e4f8a7b3c5d2e1f0a9b8c7d6e5f4a3"] * 3 + ["main"]),
        python=rng.choice(["3.12.12-bookworm"] * 3 + ["latest"]),
        push=rng.choice(['docker push "$IMAGE:$CI_COMMIT_SHA"'] * 5 + ['echo "$CI_REGISTRY_PASSWORD"']))


SHARED_LABELS = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: shared-labels
  labels: &labels
    app.kubernetes.io/part-of: shop
data:
  labels: *labels
"""


def render_stream(rng: random.Random, size: int) -> str:
    """One multi-document stream of about `size` characters, as `kustomize build` prints: the corpus's manifests
    after one document holding an anchor and an alias (one `&` and one `*` in megabytes of YAML)."""
    parts, total = [SHARED_LABELS], len(SHARED_LABELS)
    while total < size:
        parts.append(render_file(rng, len(parts)))
        total += len(parts[-1]) + 4
    return "---\n".join(parts)


CROSS_WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web-{n}, namespace: cross-{n}}}
spec:
  selector: {{matchLabels: {{app: web-{n}}}}}
  template:
    metadata: {{labels: {{app: web-{n}}}}}
    spec: {{containers: [{{name: web, image: "registry.example.com/web:1.0.0"}}]}}
"""
CROSS_SERVICE = """\
apiVersion: v1
kind: Service
metadata: {{name: {name}-{n}, namespace: cross-{n}}}
spec: {{selector: {{app: {app}-{n}}}, ports: [{{port: 80}}]}}
"""
CROSS_CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: settings-{n}, namespace: cross-{n}}}\n"


def generate_cross_file(out: Path, groups: int) -> list[Path]:
    """Files whose findings need another file, `groups` times: a Service whose namespace's only workload, in another
    folder, it does not select (one cross-file finding), a Service that selects it (none), and one ConfigMap in two
    files of a folder (one finding, on the second)."""
    files = {}
    for n in range(groups):
        files[f"workloads/web-{n}.yaml"] = CROSS_WORKLOAD.format(n=n)
        files[f"services/lost-{n}.yaml"] = CROSS_SERVICE.format(name="lost", app="nothing", n=n)
        files[f"services/found-{n}.yaml"] = CROSS_SERVICE.format(name="found", app="web", n=n)
        files[f"twice-{n}/a.yaml"] = files[f"twice-{n}/b.yaml"] = CROSS_CONFIGMAP.format(n=n)
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return [out / name for name in files]


OVERLAY_BASE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels: {{app.kubernetes.io/name: {name}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app.kubernetes.io/name: {name}}}}}
  template:
    metadata: {{labels: {{app.kubernetes.io/name: {name}}}}}
    spec:
      containers:
        - name: app
          image: registry.example.com/{name}:1.0.0
          ports: [{{name: http, containerPort: 8080}}]
---
apiVersion: v1
kind: Service
metadata: {{name: {name}}}
spec:
  selector: {{app.kubernetes.io/name: {name}}}
  ports: [{{name: http, port: 80, targetPort: http}}]
"""
OVERLAY = """apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {name}-{env}
resources: [../../base]
images:
  - name: registry.example.com/{name}
    newTag: 1.0.{patch}
replicas:
  - name: {name}
    count: {replicas}
patches:
  - target: {{kind: Deployment, name: {name}}}
    patch: |-
      - op: add
        path: /spec/template/spec/containers/0/env
        value: [{{name: ENVIRONMENT, value: {env}}}]
"""
ENVIRONMENTS = ("dev", "staging", "prod")


def generate_overlays(out: Path, apps: int) -> int:
    """A GitOps repository of `apps` applications, each a base (a Deployment and its Service) and one overlay per
    environment (namespace, image tag, replicas and a JSON 6902 patch), as kustomize users lay them out; returns the
    number of overlays (entry points)."""
    files = {}
    for number in range(apps):
        name = f"{WORDS[number % len(WORDS)]}-{number}"
        files[f"apps/{name}/base/app.yaml"] = OVERLAY_BASE.format(name=name)
        files[f"apps/{name}/base/kustomization.yaml"] = "resources: [app.yaml]\n"
        for index, env in enumerate(ENVIRONMENTS):
            files[f"apps/{name}/overlays/{env}/kustomization.yaml"] = OVERLAY.format(
                name=name, env=env, patch=index, replicas=index + 2)
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    return apps * len(ENVIRONMENTS)


def generate(out: Path, files: int = 1000, seed: int = 7) -> list[Path]:
    rng, monitoring, pipelines = random.Random(seed), random.Random(seed + 1), random.Random(seed + 2)
    paths = []
    for number in range(files):
        name = f"service-{number:04d}.yaml"
        if number % MONITORING_EVERY == MONITORING_EVERY - 1:
            suffix, text = render_monitoring(monitoring, number)
            name = f"service-{number:04d}{suffix}"
        elif number % PIPELINE_EVERY == PIPELINE_EVERY // 2:
            name, text = render_pipeline(pipelines, number)
        else:
            text = render_file(rng, number)
        path = out / f"team-{number % 20:02d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    paths = generate(args.out, args.files, args.seed)
    print(f"wrote {len(paths)} files under {args.out}")


if __name__ == "__main__":
    main()
