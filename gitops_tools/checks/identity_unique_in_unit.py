"""Two objects with one identity (group, kind, namespace, name) in one deployable unit: kustomize refuses the build,
and `kubectl apply` of a folder keeps whichever comes last. Units are kustomization builds and plain folders
(gitops_tools/pipeline/units.py), so overlays/dev and overlays/prod may repeat a name: they are separate units.

The finding goes on the second occurrence, in the order the unit applies its files, and names the first."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_tools.model import ObjectId, ObjectRecord
from gitops_tools.pipeline.workspace import Placement, Report, Workspace


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    reported: set[ObjectRecord] = set()
    for unit, placements in workspace.placements:
        first: dict[ObjectId, Placement] = {}
        for placement in placements:
            earlier = first.setdefault(placement.id, placement)
            if earlier.record == placement.record or placement.record in reported:
                continue  # the same object reached twice; or reported for another unit already
            reported.add(placement.record)
            where = "" if unit.name == "." and not unit.kustomization else f" ({_unit(unit.name, unit.kustomization)})"
            yield Report(placement.record, f"{placement.id} is also defined at {earlier.record.location}{where}")


def _unit(name: str, kustomization: bool) -> str:
    return f"kustomization {name}" if kustomization else f"folder {name}"
