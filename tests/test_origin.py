"""Tracing a value of a rendered object to the source file, line and column that produced it
(gitops_tools/rendering/origin.py), on real kustomize renders of tests/fixtures/origin: a base with a multi-document
file and a List, overlays with strategic-merge and JSON 6902 patches (files and inline), images, replicas,
namespace, name prefix and suffix, labels, annotations, a component, a generator, and an overlay of an overlay."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gitops_tools.kustomize import Kustomizations
from gitops_tools.loading import Limits, load_bytes
from gitops_tools.loading.lines import LineIndex
from gitops_tools.model import JsonPath
from gitops_tools.rendering.build import build, find_binary
from gitops_tools.rendering.mapping import take_origins
from gitops_tools.rendering.origin import Origin, Source, locate
from gitops_tools.rendering.replacements import names

FIXTURES = Path(__file__).parent / "fixtures" / "origin"
ROOT = FIXTURES.resolve()
OVERLAYS = ("overlays/staging", "overlays/production", "overlays/edge")
CONTAINERS = ("spec", "template", "spec", "containers")
STAGING = "overlays/staging/kustomization.yaml"
Rendered = dict[str, list[tuple[dict[str, Any], Origin]]]

# (overlay, kind, rendered name, path in the rendered object) -> (file, line, col) of the value's source.
CASES: list[tuple[str, str, str, JsonPath, tuple[str, int, int]]] = [
    # From the base: the document found by kind and name in a multi-document file; list items by merge key (the
    # patches put `web` before `sidecar`, FEATURE_FLAGS before MODE, and add the /cache mount's readOnly)
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 1, "image"), ("base/workloads.yaml", 56, 11)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "env", 2, "value"),
     ("base/workloads.yaml", 69, 15)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "volumeMounts", 1, "mountPath"),
     ("base/workloads.yaml", 74, 15)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "name"), ("base/workloads.yaml", 60, 11)),
    ("overlays/staging", "Deployment", "staging-worker", ("spec", "template", "metadata", "labels", "app"),
     ("base/workloads.yaml", 21, 9)),
    ("overlays/staging", "ServiceAccount", "staging-web", ("kind",), ("base/workloads.yaml", 3, 1)),
    ("overlays/staging", "Service", "staging-web", ("spec", "ports", 0, "port"), ("base/service.yaml", 10, 7)),
    ("overlays/staging", "ConfigMap", "staging-defaults", ("data", "TIMEOUT"), ("base/defaults.yaml", 9, 7)),
    # Ports by port and protocol (53 for UDP and TCP), after the patch's port put first
    ("overlays/production", "Service", "dns-prod", ("spec", "ports", 2, "protocol"), ("base/service.yaml", 26, 7)),
    ("overlays/production", "Service", "dns-prod", ("spec", "ports", 1, "name"), ("base/service.yaml", 21, 7)),
    ("overlays/production", "Service", "dns-prod", ("spec", "ports", 0, "port"),
     ("overlays/production/dns-metrics.yaml", 8, 7)),
    # A strategic-merge patch file (patches: - path:), and one named by the old patchesStrategicMerge
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "resources", "limits", "memory"),
     ("overlays/staging/web-resources.yaml", 12, 15)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "env", 0, "value"),
     ("overlays/staging/web-resources.yaml", 17, 15)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "volumeMounts", 0, "readOnly"),
     ("overlays/staging/web-resources.yaml", 21, 15)),
    ("overlays/production", "Deployment", "web-prod", (*CONTAINERS, 0, "image"),
     ("overlays/production/web-prod.yaml", 11, 11)),
    ("overlays/production", "Deployment", "web-prod", ("spec", "replicas"),
     ("overlays/production/web-prod.yaml", 6, 3)),
    # An inline strategic-merge patch: its lines are the kustomization's
    ("overlays/staging", "Deployment", "staging-worker", (*CONTAINERS, 0, "env", 0, "value"), (STAGING, 29, 21)),
    ("overlays/staging", "Deployment", "staging-worker", (*CONTAINERS, 0, "env", 1, "name"), (STAGING, 30, 21)),
    # JSON 6902: a file (the op's value, or the node within it), inline, and a JSON file under patchesJson6902
    ("overlays/staging", "Deployment", "staging-worker", ("spec", "replicas"),
     ("overlays/staging/worker-ops.yaml", 3, 3)),
    ("overlays/staging", "Deployment", "staging-worker", (*CONTAINERS, 0, "resources", "limits", "memory"),
     ("overlays/staging/worker-ops.yaml", 8, 7)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "env", 1, "value"), (STAGING, 42, 9)),
    ("overlays/staging", "Deployment", "staging-web", ("spec", "template", "spec", "securityContext", "runAsUser"),
     (STAGING, 47, 11)),
    ("overlays/production", "Deployment", "worker-prod", (*CONTAINERS, 0, "args", 1),
     ("overlays/production/worker-prod.json", 2, 72)),
    ("overlays/production", "Deployment", "worker-prod", (*CONTAINERS, 0, "env", 2, "value"),
     ("overlays/production/worker-prod.json", 3, 95)),  # added at the end of the list (`env/-`)
    # Transformers: images (newTag, digest; init containers too), replicas, namespace, prefix, suffix, labels
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "image"), (STAGING, 50, 5)),
    ("overlays/staging", "Deployment", "staging-web", ("spec", "template", "spec", "initContainers", 0, "image"),
     (STAGING, 50, 5)),
    ("overlays/staging", "Deployment", "staging-worker", (*CONTAINERS, 0, "image"), (STAGING, 53, 5)),
    ("overlays/staging", "Deployment", "staging-web", ("spec", "replicas"), (STAGING, 56, 5)),
    ("overlays/staging", "Service", "staging-web", ("metadata", "namespace"), (STAGING, 3, 1)),
    ("overlays/staging", "Service", "staging-web", ("metadata", "name"), (STAGING, 4, 1)),
    ("overlays/staging", "Deployment", "staging-worker", ("metadata", "labels", "env"), (STAGING, 12, 7)),
    ("overlays/staging", "Deployment", "staging-worker", ("spec", "template", "metadata", "annotations", "team"),
     (STAGING, 14, 3)),
    ("overlays/production", "Deployment", "worker-prod", ("metadata", "name"),
     ("overlays/production/kustomization.yaml", 5, 1)),
    ("overlays/production", "Deployment", "worker-prod", ("spec", "selector", "matchLabels", "env"),
     ("overlays/production/kustomization.yaml", 8, 3)),
    # replacements: the target's field path that copied the value (inline; a file's, whose `reject` spares dns)
    ("overlays/production", "Deployment", "worker-prod", (*CONTAINERS, 0, "env", 0, "value"),
     ("overlays/production/kustomization.yaml", 29, 13)),
    ("overlays/edge", "Service", "staging-web", ("metadata", "annotations", "team"),
     ("overlays/edge/replacements.yaml", 11, 9)),
    ("overlays/edge", "Service", "staging-dns", ("metadata", "annotations", "team"), (STAGING, 14, 3)),
    # A component's patch; a component's resource, and the inline patch of a component listed after it
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "readinessProbe", "periodSeconds"),
     ("components/probes/probes.yaml", 14, 13)),
    ("overlays/staging", "PodDisruptionBudget", "staging-web", ("spec", "selector", "matchLabels", "app"),
     ("components/disruption/pdb.yaml", 9, 7)),
    ("overlays/staging", "PodDisruptionBudget", "staging-web", ("spec", "minAvailable"),
     ("components/probes/kustomization.yaml", 10, 9)),
    # An overlay of an overlay: the outer one applies last and wins; what it leaves is traced inwards
    ("overlays/edge", "Deployment", "staging-web", ("spec", "replicas"), ("overlays/edge/kustomization.yaml", 8, 5)),
    ("overlays/edge", "Deployment", "staging-web", (*CONTAINERS, 0, "image"),
     ("overlays/edge/kustomization.yaml", 11, 5)),
    ("overlays/edge", "Deployment", "staging-worker", ("metadata", "namespace"),
     ("overlays/edge/kustomization.yaml", 3, 1)),
    ("overlays/edge", "Deployment", "staging-worker", ("spec", "replicas"), ("overlays/staging/worker-ops.yaml", 3, 3)),
    ("overlays/edge", "Deployment", "staging-web", (*CONTAINERS, 0, "env", 1, "value"), (STAGING, 42, 9)),
    ("overlays/edge", "Deployment", "staging-web", (*CONTAINERS, 1, "ports", 0, "containerPort"),
     ("base/workloads.yaml", 58, 15)),
    # A missing value: where the deepest part of its path that exists is written (the container in the base; the
    # resources a JSON patch added), as a per-file lint places it
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "securityContext"),
     ("base/workloads.yaml", 60, 11)),
    ("overlays/staging", "Deployment", "staging-worker", (*CONTAINERS, 0, "resources", "requests"),
     ("overlays/staging/worker-ops.yaml", 6, 3)),
    ("overlays/staging", "Deployment", "staging-web", (*CONTAINERS, 0, "resources", "limits", "cpu"),
     ("overlays/staging/web-resources.yaml", 11, 13)),
    ("overlays/staging", "Deployment", "staging-web", (), ("base/workloads.yaml", 33, 1)),
]


@pytest.fixture(scope="module")
def renders(external_tool: Callable[[str], str]) -> Rendered:
    """Each overlay rendered as a lint renders it (rendering/build.py's wrapper with origin annotations, the venv's
    kubectl), its objects with their origins and without the annotation (rendering/mapping.py)."""
    binary = find_binary(scripts=str(Path(external_tool("kubectl")).parent), search_path="")
    assert binary is not None
    found: Rendered = {}
    for overlay in OVERLAYS:
        built = build(binary, ROOT / overlay, ROOT, timeout=120)
        assert built.error is None, built.error
        loaded = load_bytes(built.output, f"{overlay}/rendered.yaml", Limits())
        origins = take_origins(loaded, built.wrapper, ROOT)
        found[overlay] = [(document.data, origin) for document, origin in zip(loaded.documents, origins, strict=True)]
    return found


def _object(renders: Rendered, overlay: str, kind: str, name: str) -> tuple[dict[str, Any], Origin]:
    return next((data, origin) for data, origin in renders[overlay]
                if data["kind"] == kind and data["metadata"]["name"] == name)


@pytest.mark.parametrize(("overlay", "kind", "name", "where", "expected"), CASES,
                         ids=[f"{case[0]}:{case[2]}:{'.'.join(map(str, case[3]))}" for case in CASES])
def test_a_rendered_value_is_placed_where_it_is_written(renders: Rendered, overlay: str, kind: str, name: str,
                                                        where: JsonPath, expected: tuple[str, int, int]) -> None:
    data, origin = _object(renders, overlay, kind, name)
    found = locate(data, origin, where, ROOT / overlay, Kustomizations(ROOT))
    assert (found.file.relative_to(ROOT).as_posix(), found.line, found.col) == expected
    assert not found.generated


@pytest.mark.parametrize("overlay", ["overlays/staging", "overlays/edge"])
def test_a_generated_value_is_placed_at_its_generator_entry(renders: Rendered, overlay: str) -> None:
    """The ConfigMap staging's generator makes: its data at the generator's entry (generated), what an overlay's
    transformer wrote at that transformer."""
    data, origin = _object(renders, overlay, "ConfigMap", "staging-web-settings-hf678c7m2b")
    kustomizations = Kustomizations(ROOT)
    found = locate(data, origin, ("data", "LOG_LEVEL"), ROOT / overlay, kustomizations)
    assert found == Source(ROOT / STAGING, 58, 5, 61, 1, generated=True)
    namespace = locate(data, origin, ("metadata", "namespace"), ROOT / overlay, kustomizations)
    assert (namespace.file, namespace.line, namespace.generated) == (ROOT / overlay / "kustomization.yaml", 3, False)


def _leaves(data: Any, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path, data


def _written(source: Source) -> Any:
    """The value written at a source span (a `key: value` member, or a list item)."""
    text = source.file.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    start = sum(map(len, lines[:source.line - 1])) + source.col - 1
    end = sum(map(len, lines[:source.end_line - 1])) + source.end_col - 1
    written = yaml.safe_load(text[start:end])
    return next(iter(written.values())) if isinstance(written, dict) and len(written) == 1 else written


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_scalar_is_placed_where_its_value_is_written(renders: Rendered, overlay: str) -> None:
    """Every scalar of every rendered object: the text at its source is the value (a name, an image, a reference
    to a renamed object: the part its source writes), the field path of the replacement that copied it there, or it
    is a generated object's value at its generator."""
    kustomizations = Kustomizations(ROOT)
    checked = 0
    for data, origin in renders[overlay]:
        for where, value in _leaves(data):
            found = locate(data, origin, where, ROOT / overlay, kustomizations)
            assert LineIndex(found.file.read_text(encoding="utf-8")).line_count() >= found.end_line > 0
            if found.generated:
                assert origin.generated_in is not None and found.file == origin.generated_in, where
                continue
            written = _written(found)
            if isinstance(written, str) and names(written, data, where):
                assert found.file.name in ("kustomization.yaml", "replacements.yaml")  # a replacement's field path
            elif where[-1] in ("name", "image", "serviceAccountName") and isinstance(value, str):
                assert str(written) in value, (data["metadata"]["name"], where, found)
            else:
                assert written == value, (data["metadata"]["name"], where, found)
            checked += 1
    assert checked > 60


def test_sources_are_read_once_per_run(renders: Rendered) -> None:
    kustomizations = Kustomizations(ROOT)
    first = kustomizations.source(ROOT / "base" / "workloads.yaml")
    for overlay in OVERLAYS:
        for data, origin in renders[overlay]:
            locate(data, origin, ("metadata", "name"), ROOT / overlay, kustomizations)
    assert kustomizations.source(ROOT / "base" / "workloads.yaml") is first is not None


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path.resolve()


DEPLOYMENT = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
"""
RENDERED = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"}, "spec": {"replicas": 2}}


@pytest.mark.parametrize("kustomization", [
    "resources: [deploy.yaml]\npatches: not-a-list\nimages: [1, x]\nreplicas: {name: api}\n",
    "resources: [deploy.yaml]\npatches:\n  - path: broken.yaml\n  - path: missing.yaml\n  - patch: '{'\n"
    "  - {patch: '[{\"op\": \"replace\", \"path\": 3}]', target: {kind: '(', name: api}}\n"
    "  - {patch: '- op: add', target: 7}\n  - 12\npatchesStrategicMerge: [{a: 1}, '../../etc/passwd']\n",
    "resources: [deploy.yaml]\npatchesJson6902:\n  - target: {kind: Deployment, name: api}\n"
    "    patch: '[{\"op\": \"replace\", \"path\": \"/spec/replicas/~\", \"value\": 2}, \"x\", {\"op\": \"add\"}]'\n",
])
def test_a_malformed_kustomization_or_patch_leaves_the_value_at_its_source(tmp_path: Path, kustomization: str) -> None:
    root = _tree(tmp_path, {"kustomization.yaml": kustomization, "deploy.yaml": DEPLOYMENT,
                            "broken.yaml": "spec: [\n"})
    found = locate(RENDERED, Origin(file=root / "deploy.yaml"), ("spec", "replicas"), root, Kustomizations(root))
    assert (found.file, found.line, found.col, found.generated) == (root / "deploy.yaml", 6, 3, False)


def test_an_untraceable_value_falls_back_to_the_entry_kustomization(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"app/kustomization.yaml": "resources: [https://example.com/base]\n",
                            "app/deploy.yaml": DEPLOYMENT})
    kustomizations = Kustomizations(root)
    fallback = Source(root / "app" / "kustomization.yaml", generated=True)
    # a file the overlay's build does not lead to (a remote base), no origin at all, a document that is not there
    assert locate(RENDERED, Origin(file=root / "app" / "deploy.yaml"), ("spec",), root / "app",
                  kustomizations) == fallback
    assert locate(RENDERED, Origin(), ("spec",), root / "app", kustomizations) == fallback
    (root / "app" / "kustomization.yaml").write_text("resources: [deploy.yaml]\n", encoding="utf-8")
    renamed = {**RENDERED, "metadata": {"name": "other"}}  # by a patch allowed to: the file's only Deployment
    found = locate(renamed, Origin(file=root / "app" / "deploy.yaml"), ("spec",), root / "app", Kustomizations(root))
    assert (found.file, found.line, found.generated) == (root / "app" / "deploy.yaml", 5, False)
    (root / "app" / "deploy.yaml").write_text(f"{DEPLOYMENT}---\n{DEPLOYMENT.replace('api', 'web')}", encoding="utf-8")
    assert locate(renamed, Origin(file=root / "app" / "deploy.yaml"), ("spec",), root / "app",
                  Kustomizations(root)) == fallback


def test_a_source_outside_the_repository_is_never_read(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside", {"deploy.yaml": DEPLOYMENT})
    root = _tree(tmp_path / "repo", {"kustomization.yaml": "resources: [../outside/deploy.yaml]\n"})
    kustomizations = Kustomizations(root)
    assert kustomizations.source(outside / "deploy.yaml") is None
    found = locate(RENDERED, Origin(file=outside / "deploy.yaml"), ("spec", "replicas"), root, kustomizations)
    assert found == Source(root / "kustomization.yaml", generated=True)


def test_a_folded_inline_patch_is_placed_at_its_text(tmp_path: Path) -> None:
    """Only a literal block keeps the patch's lines; a quoted patch's positions are the text's own span."""
    kustomization = ("resources: [deploy.yaml]\npatches:\n  - patch: \"apiVersion: apps/v1\\nkind: Deployment\\n"
                     "metadata: {name: api}\\nspec: {replicas: 2}\"\n")
    root = _tree(tmp_path, {"kustomization.yaml": kustomization, "deploy.yaml": DEPLOYMENT.replace("2", "1")})
    found = locate(RENDERED, Origin(file=root / "deploy.yaml"), ("spec", "replicas"), root, Kustomizations(root))
    assert (found.file, found.line, found.col, found.end_line) == (root / "kustomization.yaml", 3, 5, 3)


def test_a_patch_file_is_read_through_links_only_inside_the_repository(tmp_path: Path) -> None:
    outside = _tree(tmp_path / "outside", {"patch.yaml": DEPLOYMENT})
    root = _tree(tmp_path / "repo", {"kustomization.yaml": "resources: [deploy.yaml]\npatches: [{path: patch.yaml}]\n",
                                     "deploy.yaml": DEPLOYMENT.replace("2", "1")})
    (root / "patch.yaml").symlink_to(outside / "patch.yaml")
    found = locate(RENDERED, Origin(file=root / "deploy.yaml"), ("spec", "replicas"), root, Kustomizations(root))
    assert (found.file, found.line) == (root / "deploy.yaml", 6)  # not the patch's: it is not read
    shutil.rmtree(outside)


@pytest.mark.parametrize(("name", "traced"), [("ap.*", True), ("api|web", True), ("web", False),
                                              ("(a+)+", False), (".*.*.*i", False), ("(", False)])
def test_a_target_name_is_a_regular_expression_that_cannot_run_long(tmp_path: Path, name: str, traced: bool) -> None:
    """kustomize matches a target's name as a (linear-time, Go) regular expression; one Python's backtracking could
    run exponentially long on matches only itself (the value stays at its source) and ends at once."""
    object_name = "a" * 60 if name == "(a+)+" else "api"
    kustomization = (f"resources: [deploy.yaml]\npatches:\n  - target: {{kind: Deployment, name: '{name}'}}\n"
                     "    patch: |-\n      - op: replace\n        path: /spec/replicas\n        value: 2\n")
    root = _tree(tmp_path, {"kustomization.yaml": kustomization,
                            "deploy.yaml": DEPLOYMENT.replace("2", "1").replace("api", object_name)})
    rendered_object = {**RENDERED, "metadata": {"name": object_name}}
    found = locate(rendered_object, Origin(file=root / "deploy.yaml"), ("spec", "replicas"), root, Kustomizations(root))
    assert (found.file.name, found.line) == (("kustomization.yaml", 7) if traced else ("deploy.yaml", 6))


# Random kustomizations built of the fields tracing reads, with values of every shape: whatever a kustomization or
# a patch holds, locate answers a position in a file of the repository and never raises.
KEYS = st.sampled_from(["name", "kind", "metadata", "spec", "replicas", "path", "patch", "target", "op", "value",
                        "newTag", "newName", "digest", "count", "pairs", "containers", "image", "env", "labels",
                        "annotations", "namespace", "group", "version", "labelSelector", "0", "-", "$patch",
                        "targets", "select", "reject", "fieldPaths"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), KEYS,
                    st.sampled_from(["/spec/replicas", "/spec/template/spec/containers/0/image", "/spec/-", "/",
                                     "api", "ap.*", "(a+)+", "(", "nginx:1", "patch.yaml", "Deployment", "a=b,!c",
                                     "spec.replicas", "spec.[name=x].*", "[a]", "x in (y)",
                                     "- op: replace\n  path: /spec/replicas\n  value: 2\n",
                                     "kind: Deployment\nmetadata: {name: api}\nspec: {replicas: 2}\n",
                                     "[{\"op\": \"add\", \"path\": \"/spec/replicas\", \"value\": 2}]"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
FIELDS = st.sampled_from(["namespace", "namePrefix", "nameSuffix", "images", "replicas", "labels", "commonLabels",
                          "commonAnnotations", "patches", "patchesStrategicMerge", "patchesJson6902", "components",
                          "configMapGenerator", "replacements"])
WHERE = st.lists(st.one_of(KEYS, st.integers(-1, 2)), max_size=6).map(tuple)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kustomization=st.dictionaries(FIELDS, VALUES, max_size=6), where=WHERE,
       rendered_spec=st.dictionaries(KEYS, VALUES, max_size=3))
def test_locate_never_raises_on_any_kustomization(tmp_path: Path, kustomization: dict[str, Any], where: JsonPath,
                                                  rendered_spec: dict[str, Any]) -> None:
    root = _tree(tmp_path, {"kustomization.yaml": yaml.safe_dump({**kustomization, "resources": ["deploy.yaml"]}),
                            "deploy.yaml": DEPLOYMENT, "patch.yaml": DEPLOYMENT})
    rendered_object = {**RENDERED, "spec": rendered_spec}
    for origin in (Origin(file=root / "deploy.yaml"), Origin(generated_in=root / "kustomization.yaml"), Origin()):
        found = locate(rendered_object, origin, where, root, Kustomizations(root))
        assert found.file.parent == root and found.line >= 1 and found.col >= 1


def test_inline_patches_of_the_older_fields_are_placed_at_their_lines(tmp_path: Path) -> None:
    """An inline strategic-merge patch under patchesStrategicMerge (a text, not a path) and an inline JSON 6902
    patch under patchesJson6902: each value at its line in the kustomization."""
    kustomization = """resources: [deploy.yaml]
patchesStrategicMerge:
  - |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: api
    spec:
      minReadySeconds: 5
patchesJson6902:
  - target: {kind: Deployment, name: api}
    patch: |-
      - op: add
        path: /metadata/labels/app.kubernetes.io~1name
        value: api
"""
    root = _tree(tmp_path, {"kustomization.yaml": kustomization, "deploy.yaml": DEPLOYMENT})
    rendered_object = {**RENDERED, "metadata": {"name": "api", "labels": {"app.kubernetes.io/name": "api"}},
                       "spec": {"replicas": 2, "minReadySeconds": 5}}
    kustomizations = Kustomizations(root)
    origin = Origin(file=root / "deploy.yaml")
    spots = [locate(rendered_object, origin, where, root, kustomizations)[:3] for where in
             [("spec", "minReadySeconds"), ("metadata", "labels", "app.kubernetes.io/name"), ("spec", "replicas")]]
    assert spots == [(root / "kustomization.yaml", 9, 7), (root / "kustomization.yaml", 15, 9),
                     (root / "deploy.yaml", 6, 3)]


def test_a_labels_entry_writes_templates_and_selectors_only_when_it_says(tmp_path: Path) -> None:
    """`labels:` writes an object's own labels; a pod template's with includeTemplates, a selector's with
    includeSelectors: the same label written in the base stays the base's where the entry does not write it."""
    deployment = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  selector:
    matchLabels: {a: one}
  template:
    metadata:
      labels: {a: one}
"""
    kustomization = """resources: [deploy.yaml]
labels:
  - pairs: {a: one}
  - pairs: {b: two}
    includeTemplates: true
  - pairs: {c: three}
    includeSelectors: true
"""
    root = _tree(tmp_path, {"kustomization.yaml": kustomization, "deploy.yaml": deployment})
    labels = {"a": "one", "b": "two", "c": "three"}
    rendered_object = {**RENDERED, "metadata": {"name": "api", "labels": labels},
                       "spec": {"selector": {"matchLabels": {"a": "one", "c": "three"}},
                                "template": {"metadata": {"labels": labels}}}}
    kustomizations = Kustomizations(root)
    template, selector = ("spec", "template", "metadata", "labels"), ("spec", "selector", "matchLabels")
    cases = {("metadata", "labels", "a"): ("kustomization.yaml", 3), (*template, "a"): ("deploy.yaml", 10),
             (*template, "b"): ("kustomization.yaml", 4), (*template, "c"): ("kustomization.yaml", 6),
             (*selector, "a"): ("deploy.yaml", 7), (*selector, "c"): ("kustomization.yaml", 6)}
    for where, (name, line) in cases.items():
        found = locate(rendered_object, Origin(file=root / "deploy.yaml"), where, root, kustomizations)
        assert (found.file.name, found.line) == (name, line), where
