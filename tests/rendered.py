"""Render a kustomize entry point as the rendering phase does, for tests: a wrapper kustomization in a temporary
folder whose only resource is the overlay, with `buildMetadata: [originAnnotations]`, built by the venv's kubectl;
each object with its origin (the annotation parsed, paths resolved) and without the annotation."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import yaml

from gitops_tools.rendering.origin import Origin

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


def rendered(kubectl: str, overlay: Path, scratch: Path) -> list[tuple[dict[str, Any], Origin]]:
    """The objects `overlay` (a folder) renders to, each with its Origin."""
    wrapper = scratch / "wrapper"
    wrapper.mkdir()
    resource = os.path.relpath(overlay.resolve(), wrapper)
    (wrapper / "kustomization.yaml").write_text(
        f"resources:\n  - {resource}\nbuildMetadata: [originAnnotations]\n", encoding="utf-8")
    built = subprocess.run([kubectl, "kustomize", str(wrapper)], capture_output=True, text=True, timeout=120,
                           check=True)
    objects = []
    for data in yaml.safe_load_all(built.stdout):
        annotations = data["metadata"]["annotations"]
        said = yaml.safe_load(annotations.pop(ORIGIN_ANNOTATION))
        if not annotations:
            del data["metadata"]["annotations"]
        path, made_in = said.get("path"), said.get("configuredIn")
        objects.append((data, Origin(file=(wrapper / path).resolve() if path else None,
                                     generated_in=(wrapper / made_in).resolve() if made_in else None)))
    return objects
