"""Where a value of a rendered object comes from: the source file, line and column a finding on the rendered object
is reported at.

kustomize's `config.kubernetes.io/origin` annotation (buildMetadata: originAnnotations) names the file an object was
read from, or the kustomization whose generator made it; it says nothing of single values. `locate` finds the value's
source: the kustomizations between the entry point and that file (their transformers and patches, outermost first,
as the outermost is applied last), else the source document itself; a generated object's values are placed at the
kustomization that generated it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from gitops_tools.kustomize import KUSTOMIZATION_NAMES, Kustomizations
from gitops_tools.model import JsonPath


class Origin(NamedTuple):
    """What kustomize's origin annotation says of one rendered object, with paths resolved in the repository."""

    file: Path | None = None  # the resource file the object was read from (resolved); None for a generated object
    generated_in: Path | None = None  # the kustomization file whose generator made it (resolved), if generated


class Source(NamedTuple):
    """A position in a source file of the repository (1-based), and whether it is a fallback for a generated or
    untraceable value (then the finding names the object and the overlay)."""

    file: Path
    line: int = 1
    col: int = 1
    end_line: int = 0
    end_col: int = 0
    generated: bool = False


def locate(rendered: Mapping[str, Any], origin: Origin, where: JsonPath, overlay: Path,
           kustomizations: Kustomizations) -> Source:
    """The source of the value at `where` in `rendered` (the object as the entry point `overlay`, a resolved folder,
    renders it, without kustomize's annotations)."""
    return Source(_kustomization_file(origin.generated_in.parent if origin.generated_in else overlay),
                  generated=True)


def _kustomization_file(folder: Path) -> Path:
    for name in KUSTOMIZATION_NAMES:
        if (folder / name).is_file():
            return folder / name
    return folder / KUSTOMIZATION_NAMES[0]
