"""From a finding on a rendered object to the finding at its source: where kustomize's origin annotation and
origin.locate place the offending value, named by the overlays that render it.

The rendered stream is read with the safe loader and its limits; each object's `config.kubernetes.io/origin`
annotation (asked for by the build's wrapper, rendering/build.py) is read and removed before any policy sees the
object, so no policy reports an annotation the repository does not hold. The same finding from several overlays
(policy, source position, message) becomes one finding listing them (`merged`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from gitops_tools.fileio import real_path
from gitops_tools.findings import Finding
from gitops_tools.fingerprint import fingerprint, shallow, stable_path, value_at
from gitops_tools.kustomize import Kustomizations
from gitops_tools.loading import LoadedFile
from gitops_tools.model import FilePaths, JsonPath, Location
from gitops_tools.rendering.origin import Origin, Source, locate

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
MAX_ORIGIN_CHARS = 8192


def take_origins(loaded: LoadedFile, wrapper: str, boundary: Path) -> list[Origin]:
    """Each document's origin (Origin() when it says none, or names a place outside `boundary`), the annotation
    removed from the document; `wrapper` is the folder its paths are relative to."""
    return [_take(document.data, wrapper, boundary) for document in loaded.documents]


def _take(data: Any, wrapper: str, boundary: Path) -> Origin:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    if not isinstance(metadata, dict):
        return Origin()
    annotations = metadata.get("annotations")
    if not isinstance(annotations, dict) or ORIGIN_ANNOTATION not in annotations:
        return Origin()
    text = annotations.pop(ORIGIN_ANNOTATION)
    if not annotations:
        del metadata["annotations"]
    said = _parsed(text)
    path, generated = said.get("path"), said.get("configuredIn")
    if isinstance(path, str) and "repo" not in said:
        return Origin(file=_inside(wrapper, path, boundary))
    if isinstance(generated, str):
        return Origin(generated_in=_inside(wrapper, generated, boundary))
    return Origin()


def _parsed(text: Any) -> dict[str, Any]:
    if not isinstance(text, str) or len(text) > MAX_ORIGIN_CHARS:
        return {}
    try:
        said = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return {}
    return said if isinstance(said, dict) else {}


def _inside(wrapper: str, relative: str, boundary: Path) -> Path | None:
    try:
        resolved = real_path(Path(os.path.normpath(Path(wrapper, relative))))
    except (OSError, ValueError):
        return None
    return resolved if resolved.is_relative_to(boundary) else None


def pointer_path(data: Any, pointer: str) -> JsonPath:
    """The path an RFC 6901 pointer names in `data` (list positions as integers)."""
    path: list[str | int] = []
    for token in pointer.split("/")[1:] if pointer else ():
        step = token.replace("~1", "/").replace("~0", "~")
        if isinstance(data, list) and step.isdigit():
            path.append(int(step))
            data = data[int(step)] if int(step) < len(data) else None
        else:
            path.append(step)
            data = data.get(step) if isinstance(data, dict) else None
    return tuple(path)


def object_name(data: Any) -> str:
    """`Kind/name` of a rendered object, as a finding at a generated source names it."""
    metadata = data.get("metadata") if isinstance(data, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = data.get("kind") if isinstance(data, dict) else None
    return f"{kind if isinstance(kind, str) else 'object'}/{name if isinstance(name, str) else '?'}"


class Mapper:
    """Maps one overlay's rendered findings to their sources."""

    def __init__(self, loaded: LoadedFile, origins: list[Origin], overlay: Path, shown: str,
                 kustomizations: Kustomizations) -> None:
        self._loaded = loaded
        self._origins = origins
        self._overlay = overlay  # resolved folder
        self._shown = shown  # how findings name the overlay (its folder, as display paths are)
        self._kustomizations = kustomizations

    def source(self, finding: Finding) -> tuple[Source, Any, JsonPath]:
        """Where the finding's value comes from, the rendered object, and the value's path in it."""
        index = finding.document
        if index is None or not 0 <= index < len(self._loaded.documents):
            return locate({}, Origin(), (), self._overlay, self._kustomizations), None, ()
        data = self._loaded.documents[index].data
        where = pointer_path(data, finding.pointer or "")
        rendered = data if isinstance(data, dict) else {}
        return locate(rendered, self._origins[index], where, self._overlay, self._kustomizations), data, where

    def mapped(self, finding: Finding, paths: FilePaths, source: Source, data: Any, where: JsonPath) -> Finding:
        """The finding at `source` (whose names are `paths`), named by this overlay; a generated or untraceable
        source names the object too. Its fingerprint hashes the source file, the object's kind, the value's path
        and the value: the same whichever overlays render it, and wherever its line moves."""
        message = finding.message
        if source.generated:
            message = f"{message} ({object_name(data)} as {self._shown} renders it)"
        kind = data.get("kind") if isinstance(data, dict) else None
        content = (paths.file, f"rendered {kind}", stable_path(data, where), shallow(value_at(data, where)))
        return finding._replace(
            message=message, location=Location(paths.display, source.line, source.col, source.end_line,
                                               source.end_col),
            fingerprint=fingerprint(finding.policy_id, *content), file=paths.file, repo_path=paths.repo_path,
            document=None, pointer=None, former_fingerprints=(), overlays=(self._shown,))


def merged(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per policy, source position and message, listing every overlay that renders it."""
    kept: dict[tuple[str, str, int, int, str], Finding] = {}
    for finding in findings:
        key = (finding.policy_id, finding.location.path, finding.location.line, finding.location.col,
               finding.message)
        first = kept.get(key)
        kept[key] = finding if first is None else first._replace(
            overlays=tuple(sorted({*first.overlays, *finding.overlays})))
    return list(kept.values())
