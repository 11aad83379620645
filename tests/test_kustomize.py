"""Kustomize patches: files a kustomization names as patches are partial resources, checked for syntax only."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import git
import pytest

from gitops_tools.lint import LintResult

TreeLint = Callable[..., LintResult]
Spots = Callable[[LintResult], list[tuple[str, int, int, str]]]

PRIVILEGED = "container-not-privileged"
SYNTAX = "yaml-syntax"
DUPLICATE = "yaml-duplicate-key"

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - {name: app, image: "app:1.0", securityContext: {privileged: true}}
"""
DEPLOYMENT_AT = (8, DEPLOYMENT.splitlines()[7].index("privileged") + 1)

# A strategic-merge patch: a partial Deployment. Linted as a resource it breaks many policies (no image, no limits).
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  template:
    spec:
      containers:
        - name: app
          securityContext: {privileged: true}
"""
PATCH_AT = (9, 29)

KUSTOMIZATIONS = [
    pytest.param("kustomization.yaml", "patches:\n  - path: patch.yaml\n", id="patches-path"),
    pytest.param("kustomization.yaml", "patches:\n  - path: ./patch.yaml\n    target: {kind: Deployment}\n",
                 id="patches-dot-slash-path-with-target"),
    pytest.param("kustomization.yaml", "patchesStrategicMerge:\n  - patch.yaml\n", id="patches-strategic-merge"),
    pytest.param("kustomization.yaml", "patchesJson6902:\n  - target: {group: apps, version: v1, kind: Deployment, "
                 "name: web}\n    path: patch.yaml\n", id="patches-json6902"),
    pytest.param("kustomization.yml", "patches:\n  - path: patch.yaml\n", id="kustomization-yml"),
    pytest.param("Kustomization", "patchesStrategicMerge: [patch.yaml]\n", id="capitalised-file-name"),
    pytest.param("kustomization.yaml", "patches:\n  - patch.yaml\n", id="patches-plain-string"),
    pytest.param("kustomization.yaml", "patches:\n  - ./patch.yaml\n  - path: other.yaml\n",
                 id="patches-plain-string-among-entries"),
]


def _kustomization(entries: str, resources: str = "deployment.yaml") -> str:
    return f"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [{resources}]\n{entries}"


@pytest.mark.parametrize(("name", "entries"), KUSTOMIZATIONS)
def test_a_patch_gets_no_policy_findings_while_the_base_is_linted(lint_tree: TreeLint, spots: Spots, name: str,
                                                                  entries: str) -> None:
    # The files as written (render=False): rendered, the Deployment is privileged by the patch too, and that
    # finding is the patch's (tests/test_rendering.py).
    files = {f"app/{name}": _kustomization(entries), "app/deployment.yaml": DEPLOYMENT, "app/patch.yaml": PATCH}
    result = lint_tree(files, ".", select=(PRIVILEGED,), render=False)
    assert spots(result) == [("app/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED)]
    assert result.files == (3 if name.endswith(".yaml") or name.endswith(".yml") else 2)  # `Kustomization`: no suffix
    every_policy = lint_tree(files, ".", render=False)
    assert [f for f in every_policy.findings if f.location.path == "app/patch.yaml"] == []
    assert any(f.location.path == "app/deployment.yaml" for f in every_policy.findings)


@pytest.mark.parametrize(
    ("entries", "resources"),
    [
        pytest.param("patches:\n  - path: other.yaml\n", "deployment.yaml", id="names-another-file"),
        pytest.param("", "deployment.yaml, patch.yaml", id="named-as-a-resource"),
        pytest.param("patches:\n  - patch: |-\n      - op: remove\n        path: /spec/replicas\n", "deployment.yaml",
                     id="inline-patch"),
    ],
)
def test_a_file_not_named_as_a_patch_is_linted_as_a_resource(lint_tree: TreeLint, spots: Spots, entries: str,
                                                             resources: str) -> None:
    files = {"app/kustomization.yaml": _kustomization(entries, resources), "app/deployment.yaml": DEPLOYMENT,
             "app/patch.yaml": PATCH}
    result = lint_tree(files, ".", select=(PRIVILEGED,))
    assert spots(result) == [("app/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED),
                             ("app/patch.yaml", *PATCH_AT, PRIVILEGED)]


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        pytest.param(PATCH.replace("{privileged: true}", "{privileged: true"), [(10, 1, SYNTAX)],
                     id="syntax-error"),
        pytest.param(PATCH.replace("        - name: app\n", "        - name: app\n          name: api\n"),
                     [(9, 11, DUPLICATE)], id="duplicate-key"),
        pytest.param(b"kind: \xff\n", [(1, 7, "file-encoding")], id="encoding"),
    ],
)
def test_a_patch_is_still_checked_for_syntax(lint_tree: TreeLint, spots: Spots, patch: str | bytes,
                                             expected: list[tuple[int, int, str]]) -> None:
    files = {"app/kustomization.yaml": _kustomization("patches:\n  - path: patch.yaml\n"),
             "app/deployment.yaml": DEPLOYMENT, "app/patch.yaml": patch}
    result = lint_tree(files, ".", select=(PRIVILEGED,), render=False)  # the patch as written (kustomize refuses it)
    assert spots(result) == [("app/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED),
                             *[("app/patch.yaml", line, col, policy_id) for line, col, policy_id in expected]]


OVERLAY = {
    "base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "base/deployment.yaml": DEPLOYMENT,
    "overlays/prod/kustomization.yaml": "resources: [../../base]\npatches:\n  - path: ../../patches/x.yaml\n",
}


@pytest.mark.parametrize("paths", [["."], ["overlays", "patches", "base"]], ids=["root", "folders"])
def test_an_overlay_patch_in_a_shared_folder(lint_tree: TreeLint, spots: Spots, paths: list[str]) -> None:
    result = lint_tree({**OVERLAY, "patches/x.yaml": PATCH}, *paths, select=(PRIVILEGED,))
    assert spots(result) == [("base/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED)]
    assert result.files == 4


def test_a_syntax_error_in_an_overlay_patch_is_reported(lint_tree: TreeLint, spots: Spots) -> None:
    broken = PATCH.replace("{privileged: true}", "{privileged: true")
    result = lint_tree({**OVERLAY, "patches/x.yaml": broken}, ".", select=(PRIVILEGED,))
    assert spots(result) == [("base/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED), ("patches/x.yaml", 10, 1, SYNTAX)]


@pytest.mark.parametrize(
    "kustomization",
    [
        pytest.param("patches: [\n", id="broken-kustomization"),
        pytest.param("- patch.yaml\n", id="not-a-mapping"),
        pytest.param("patches: patch.yaml\npatchesStrategicMerge: patch.yaml\n", id="text-instead-of-lists"),
        pytest.param("patches: 5\n", id="patches-a-number"),
        pytest.param("patchesStrategicMerge: true\n", id="strategic-merge-a-boolean"),
        pytest.param("patchesJson6902: 1.5\n", id="json6902-a-number"),
        pytest.param("patches:\n  - path: 5\n  - [patch.yaml]\n  - \"patch.yaml\\n\"\n"
                     "patchesStrategicMerge: [{path: patch.yaml}]\n", id="wrong-entry-shapes"),
    ],
)
def test_a_malformed_kustomization_names_no_patch_and_never_crashes(lint_tree: TreeLint, spots: Spots,
                                                                    kustomization: str) -> None:
    """Any kustomization beside or above a linted file is read; a wrong shape in it must not stop the run."""
    files = {"app/kustomization.yaml": kustomization, "app/patch.yaml": PATCH}
    result = lint_tree(files, "app/patch.yaml", select=(PRIVILEGED,))
    assert spots(result) == [("app/patch.yaml", *PATCH_AT, PRIVILEGED)]


# --- every way a kustomization names a patch, wherever the patch is -------------------------------------------------

SHARED = {
    "base/kustomization.yaml": "resources: [deployment.yaml]\n",
    "base/deployment.yaml": DEPLOYMENT,
    # Two overlays share one patch in a sibling folder, each naming it in its own way.
    "overlays/dev/kustomization.yaml": "resources: [../../base]\npatches:\n  - ../../shared/privileged.yaml\n",
    "overlays/prod/kustomization.yaml": "resources: [../../base]\npatchesStrategicMerge:\n"
                                        "  - ../../shared/privileged.yaml\n",
    "shared/privileged.yaml": PATCH,
    # A component names its own patch and a shared one, by `path:` and by a JSON 6902 entry.
    "components/hardening/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n"
                                               "patches:\n  - path: patch.yaml\npatchesJson6902:\n"
                                               "  - target: {kind: Deployment, name: web}\n"
                                               "    path: ../../shared/ops.yaml\n",
    "components/hardening/patch.yaml": PATCH,
    "shared/ops.yaml": PATCH,
}


@pytest.mark.parametrize("paths", [["."], ["shared", "overlays", "components", "base"]], ids=["root", "folders"])
def test_patches_shared_by_overlays_and_named_by_components_are_patches(lint_tree: TreeLint, spots: Spots,
                                                                        paths: list[str]) -> None:
    result = lint_tree(SHARED, *paths, select=(PRIVILEGED,))
    assert spots(result) == [("base/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED)]
    assert result.files == len(SHARED)
    every_policy = lint_tree(SHARED, *paths)
    patches = {"shared/privileged.yaml", "shared/ops.yaml", "components/hardening/patch.yaml"}
    assert [f for f in every_policy.findings if f.location.path in patches] == []
    assert any(f.location.path == "base/deployment.yaml" for f in every_policy.findings)


def test_a_patch_path_leading_out_of_the_repository_is_never_read(tmp_path: Path, lint_tree: TreeLint,
                                                                  spots: Spots) -> None:
    """A kustomization naming a patch outside the repository marks nothing in it; the outside file is not linted,
    and a FIFO there (which would block a reader) shows it is never opened."""
    files = {"repo/overlay/kustomization.yaml": "resources: [deployment.yaml]\npatches:\n"
                                                "  - path: ../../outside/patch.yaml\n  - ../../outside/fifo.yaml\n",
             "repo/overlay/deployment.yaml": DEPLOYMENT, "outside/patch.yaml": PATCH}
    lint_tree(files, "repo/overlay/kustomization.yaml")  # writes the files
    os.mkfifo(tmp_path / "outside" / "fifo.yaml")
    git.Repo.init(tmp_path / "repo")
    result = lint_tree({}, "repo", select=(PRIVILEGED, SYNTAX))
    assert spots(result) == [("repo/overlay/deployment.yaml", *DEPLOYMENT_AT, PRIVILEGED)]
    assert result.files == 2
