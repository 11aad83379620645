"""Every volumeMount and volumeDevice of a pod's containers must name one of the pod's volumes: the API server
refuses the pod (`volumeMounts[0].name: Not found`) otherwise. Relating two lists of one pod spec is beyond JSON
Schema, hence code. A pod spec whose `volumes` is present but not a list is left to the structure policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
REFERENCES = ("volumeMounts", "volumeDevices")


def check(pod_spec: Any) -> Iterator[tuple[JsonPath, str]]:
    if not isinstance(pod_spec, dict):
        return
    volumes = pod_spec.get("volumes")
    if volumes is not None and not isinstance(volumes, list):
        return
    defined = {volume.get("name") for volume in volumes or () if isinstance(volume, dict)}
    for list_name in CONTAINER_LISTS:
        containers = pod_spec.get(list_name)
        for index, container in enumerate(containers if isinstance(containers, list) else ()):
            if isinstance(container, dict):
                for path, name in _references(container):
                    if name not in defined:
                        yield (list_name, index, *path), f"{name!r} is not a volume of the pod"


def _references(container: dict[str, Any]) -> Iterator[tuple[JsonPath, str]]:
    for field in REFERENCES:
        entries = container.get(field)
        for index, entry in enumerate(entries if isinstance(entries, list) else ()):
            name = entry.get("name") if isinstance(entry, dict) else None
            if isinstance(name, str):
                yield (field, index, "name"), name
