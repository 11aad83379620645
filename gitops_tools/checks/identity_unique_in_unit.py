"""Two objects with one identity (group, kind, namespace, name) in one deployable unit: kustomize refuses the build,
and `kubectl apply` of a folder keeps whichever comes last. Units are kustomization builds and plain folders
(gitops_tools/pipeline/units.py), so overlays/dev and overlays/prod may repeat a name: they are separate units.

The finding goes on the second occurrence, in the order the unit applies its files, and names the first; when only
the first is in a linted file (the second was read as context, e.g. a new copy staged in pre-commit whose name sorts
first), it goes on the first and names the second, so a partial run still reports it."""

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
            if earlier.record == placement.record:
                continue  # the same object reached twice
            on, other = placement, earlier
            if not workspace.reported(placement.record) and workspace.reported(earlier.record):
                on, other = earlier, placement
            if on.record in reported:
                continue  # reported for another unit already
            reported.add(on.record)
            where = "" if unit.name == "." and not unit.kustomization else f" ({_unit(unit.name, unit.kustomization)})"
            yield Report(on.record, f"{on.id} is also defined at {other.record.location}{where}")


def _unit(name: str, kustomization: bool) -> str:
    return f"kustomization {name}" if kustomization else f"folder {name}"
