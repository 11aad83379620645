"""Two objects with one identity (group, kind, namespace, name) in one deployable unit: kustomize refuses the build,
and `kubectl apply` of a folder keeps whichever comes last. Units are kustomization builds and plain folders
(gitops_tools/pipeline/units.py), so overlays/dev and overlays/prod may repeat a name: they are separate units.

The finding goes on the second occurrence, in the order the unit applies its files, and names the first; when only
the first is in a linted file (the second was read as context, e.g. a new copy staged in pre-commit whose name sorts
first), it goes on the first and names the second, so a partial run still reports it."""

from __future__ import annotations

from collections.abc import Iterator

from gitops_tools.model import ObjectId
from gitops_tools.pipeline.workspace import RecordKey, Report, Workspace


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    reported: set[RecordKey] = set()
    for unit, placements in workspace.placements:
        first: dict[ObjectId, RecordKey] = {}  # each identity's first object (a key: a unit may hold thousands)
        for placement in placements:
            key = RecordKey.of(placement.record)
            earlier = first.setdefault(placement.id, key)
            if earlier == key:
                continue  # the same object reached twice
            on, other = placement.record, workspace.record(earlier)
            if not workspace.reported(on) and workspace.reported(other):
                on, other = other, on
            if RecordKey.of(on) in reported:
                continue  # reported for another unit already
            reported.add(RecordKey.of(on))
            where = "" if unit.name == "." and not unit.kustomization else f" ({_unit(unit.name, unit.kustomization)})"
            yield Report(on, f"{placement.id} is also defined at {other.location}{where}")


def _unit(name: str, kustomization: bool) -> str:
    return f"kustomization {name}" if kustomization else f"folder {name}"
