"""What every scaffold variant deploys, judged by the tools a platform team trusts: each repository's root
kustomizations (those no other kustomization of the repo includes: the service's `k8s/overlays/<env>`, the
environment repo's `bootstrap` and `admission`), built with kubectl after a release, go through one checkov run
(its Kubernetes checks) and one promtool run (every PrometheusRule's rules). So does the default service repo with
every add-on component added. A checkov check that fails is a finding unless tests/checkov-skips.yaml skips it for
that object, with a reason README repeats; a skip of an object that no longer fails it is stale."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CHECKOV_BIN, README, Components, Render, ToolFinder
from test_scaffolds import DEFAULT_SERVICE, SERVICE_VARIANTS, VARIANTS, kustomize_build, released

SKIPS = Path(__file__).with_name("checkov-skips.yaml")
REQUIREMENTS = Path(__file__).with_name("checkov-requirements.txt")
# A Deployment every check of interest fails, in its own folder of the tree: proof that the run judged the tree.
CANARY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: canary
spec:
  selector:
    matchLabels: {app: canary}
  template:
    metadata:
      labels: {app: canary}
    spec:
      containers:
        - name: canary
          image: nginx:latest
"""
# Offline: no mapping of check ids to the vendor's ids (BC_SKIP_MAPPING) and no download of external checks
# (--skip-download); every proxy points at a closed local port, so a request made all the same fails at once, and
# checkov logs it on stderr, which must stay empty.
CLOSED = "http://127.0.0.1:9"
OFFLINE = {"BC_SKIP_MAPPING": "TRUE", "HTTPS_PROXY": CLOSED, "HTTP_PROXY": CLOSED, "https_proxy": CLOSED,
           "http_proxy": CLOSED, "NO_PROXY": "", "no_proxy": ""}


# The folder of the tree holding the default service (DEFAULT_SERVICE) with every add-on component added. What a
# component deploys depends on no choice of the service's but the names it is given, so one repo is enough for
# checkov (tests/test_components.py lints every variant with every component).
COMPONENTS = "components"
Skips = dict[tuple[str, str], str]  # (check id, object as <folder of the tree>/<kind>/<name>) -> why


def _skips() -> Skips:
    """tests/checkov-skips.yaml: check id -> `reason` (why the scaffolds do not meet it) and `objects` (what it is
    skipped for, each `<folder>/<kind>/<name>`: the folder of the tree is `<scaffold>-<variant>` or `components`)."""
    data = yaml.safe_load(SKIPS.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), f"{SKIPS}: a mapping of check id to its reason and objects"
    skips = {}
    for check, entry in data.items():
        assert re.fullmatch(r"CKV_K8S_\d+|CKV2_K8S_\d+", str(check)), f"{SKIPS}: {check!r} is no Kubernetes check id"
        assert isinstance(entry, dict) and set(entry) == {"reason", "objects"}, f"{SKIPS}: {check}: reason, objects"
        reason, objects = entry["reason"], entry["objects"]
        assert isinstance(reason, str) and len(reason.split()) >= 5, f"{SKIPS}: {check} needs a reason"
        assert isinstance(objects, list) and objects, f"{SKIPS}: {check} needs the objects it is skipped for"
        for name in objects:
            assert re.fullmatch(r"[a-z0-9-]+/[A-Za-z]+/[a-z0-9.-]+", str(name)), f"{SKIPS}: {check}: {name!r}"
            skips[str(check), name] = reason
    return skips


def _roots(repo: Path) -> list[Path]:
    """Folders of the repo's kustomizations that no other one includes as a resource (kustomize Components, which
    only build inside an overlay, left out): what a cluster is given to apply."""
    folders, included = set(), set()
    for path in repo.rglob("kustomization.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("kind") == "Component":
            continue
        folders.add(path.parent.resolve())
        included |= {(path.parent / entry).resolve() for entry in data.get("resources", [])}
    return sorted(folders - included)


def _build_roots(repo: Path, target: Path, kubectl: str) -> None:
    """Each root kustomization of `repo` as kubectl builds it, a file in `target` named after its folder."""
    target.mkdir(parents=True)
    for folder in _roots(repo):
        name = folder.relative_to(repo).as_posix().replace("/", "-")
        (target / f"{name}.yaml").write_text(kustomize_build(kubectl, folder), encoding="utf-8")


def _deployed(rendered: Render, with_every_component: Components, kubectl: str, work: Path) -> Path:
    """A folder per variant holding each of its root kustomizations as kubectl builds it, released, and one for the
    default service with every component added (COMPONENTS)."""
    for param in VARIANTS:
        scaffold, variant, answers = param.values
        repo = rendered(scaffold, variant, answers)
        repo = released(repo, work / variant) if scaffold == "service" else repo
        _build_roots(repo, work / "built" / f"{scaffold}-{variant}", kubectl)
    repo = with_every_component(DEFAULT_SERVICE, SERVICE_VARIANTS[DEFAULT_SERVICE])
    _build_roots(released(repo, work / COMPONENTS), work / "built" / COMPONENTS, kubectl)
    return work / "built"


Resource = tuple[str, str]  # (file under the tree, checkov's resource id: kind.namespace.name)


def _checkov(checkov: str, deployed: Path, work: Path) -> tuple[dict[str, Any], set[Resource]]:
    """checkov's JSON report of one run over every variant's built roots and the canary, and every object of that
    tree as checkov names it."""
    tree = shutil.copytree(deployed, work / "checkov")
    (tree / "canary").mkdir()
    (tree / "canary" / "deployment.yaml").write_text(CANARY, encoding="utf-8")
    objects = {(path.relative_to(tree).as_posix(),
                f"{doc['kind']}.{doc['metadata'].get('namespace', 'default')}.{doc['metadata']['name']}")
               for path in tree.rglob("*.yaml") for doc in yaml.safe_load_all(path.read_text("utf-8")) if doc}
    done = subprocess.run([checkov, "--directory", str(tree), "--framework", "kubernetes", "--skip-download",
                           "--compact", "--output", "json"], capture_output=True, text=True, timeout=600,
                          cwd=work, env={**os.environ, **OFFLINE})
    assert done.stderr == "", done.stderr
    assert done.returncode in (0, 1), done.stdout
    report = json.loads(done.stdout)
    assert isinstance(report, dict) and report["check_type"] == "kubernetes", done.stdout[:500]
    return report, objects


def _results(report: dict[str, Any], outcome: str) -> list[tuple[str, str, str]]:
    """(check id, file under the tree, resource) of every check with this outcome (passed, failed)."""
    return sorted((result["check_id"], result["file_path"].lstrip("/"), result["resource"])
                  for result in report["results"][f"{outcome}_checks"])


def _judged_everything(report: dict[str, Any], objects: set[Resource]) -> None:
    """The pinned version ran; no file went unparsed and every object of a kind checkov has checks for was judged
    (the environment repo's Argo CD, Kyverno and Sigstore resources are of none: they go through the run all the
    same, so an object added there is judged); the canary fails the checks it must, so the run judged this tree."""
    (pin,) = [line.split("==")[1] for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines()
              if line.startswith("checkov==")]
    assert (report["summary"]["checkov_version"], report["summary"]["parsing_errors"]) == (pin, 0)
    judged = {(path, resource) for outcome in ("passed", "failed") for _, path, resource in _results(report, outcome)}
    kinds = {resource.split(".")[0] for _, resource in judged}
    assert {"Deployment", "Service", "ServiceAccount", "ConfigMap", "Ingress"} <= kinds
    assert {(path, resource) for path, resource in objects if resource.split(".")[0] in kinds} <= judged
    canary = {check for check, path, _ in _results(report, "failed") if path.startswith("canary/")}
    assert {"CKV_K8S_14", "CKV_K8S_21", "CKV_K8S_43"} <= canary  # :latest, default namespace, no digest


def _promtool(promtool: str, deployed: Path, work: Path) -> None:
    """promtool (Prometheus's own checker) on the rules each environment deploys, as its overlay patched them:
    expressions, durations, templates, and its lints (duplicate rules) made fatal."""
    files = []
    for path in sorted(deployed.rglob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if (document or {}).get("kind") == "PrometheusRule":
                rules = work / "rules" / f"{path.parent.name}-{path.stem}-{document['metadata']['name']}.yaml"
                rules.parent.mkdir(exist_ok=True)
                rules.write_text(yaml.safe_dump(document["spec"], sort_keys=False), encoding="utf-8")
                files.append(rules)
    assert len(files) >= sum(1 for param in VARIANTS if param.values[0] == "service")  # one per environment at least
    done = subprocess.run([promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, files)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("SUCCESS") == len(files), done.stdout


def _object(path: str, resource: str) -> str:
    """An object checkov judged, as tests/checkov-skips.yaml names it: `<folder of the tree>/<kind>/<name>` (every
    environment's copy of it; checkov's own name is kind.namespace.name, and neither a kind nor a namespace has a
    dot)."""
    kind, _, name = resource.split(".", 2)
    return f"{path.split('/')[0]}/{kind}/{name}"


@pytest.mark.slow
def test_what_every_variant_deploys_passes_checkov_and_promtool(rendered: Render, with_every_component: Components,
                                                                external_tool: ToolFinder, tmp_path: Path) -> None:
    """One test, so that the tree is built once per run (xdist would build it again for a test on another worker).
    checkov: every failed check is a finding unless skipped for that object with a reason; a skip of an object that
    no longer fails it is stale."""
    checkov, kubectl, promtool = external_tool("checkov"), external_tool("kubectl"), external_tool("promtool")
    assert checkov == str(CHECKOV_BIN / "checkov")  # the pinned one, from its own virtualenv
    deployed = _deployed(rendered, with_every_component, kubectl, tmp_path)
    report, objects = _checkov(checkov, deployed, tmp_path)
    _judged_everything(report, objects)
    added = {resource.split(".")[0] for path, resource in objects if path.startswith(f"{COMPONENTS}/")}
    assert {"CronJob", "Cluster", "KafkaTopic"} <= added  # the components' objects, the job released with the app
    skips = _skips()
    failed = [(check, _object(path, resource)) for check, path, resource in _results(report, "failed")
              if not path.startswith("canary/")]
    assert [failure for failure in failed if failure not in skips] == []
    assert sorted(set(skips) - set(failed)) == [], "stale skips in tests/checkov-skips.yaml: those objects pass"
    _promtool(promtool, deployed, tmp_path)


def test_every_skipped_check_is_justified_in_readme() -> None:
    """README's 'Checked by external validators' lists each skipped check, the objects it is skipped for and the
    reason the skips file gives."""
    section = README.read_text(encoding="utf-8").split("\n### Checked by external validators\n", 1)[1]
    section = section.split("\n## ", 1)[0].split("\n### ", 1)[0]
    listed = [(check, sorted(re.findall(r"`([^`]+)`", objects)), " ".join(reason.split())) for check, objects, reason
              in re.findall(r"^ *- `(CKV2?_K8S_\d+)` on (`[^`]+`(?:, `[^`]+`)*): (.+?)(?=\n *- |\n\n|\Z)", section,
                            flags=re.MULTILINE | re.DOTALL)]
    skips = _skips()
    expected = sorted((check, sorted(name for skipped, name in skips if skipped == check), " ".join(reason.split()))
                      for check, reason in {check: reason for (check, _), reason in skips.items()}.items())
    assert listed == expected, "README's checkov skips differ from tests/checkov-skips.yaml"
    assert ("Skipped checks: none" in section) == (not expected)
