"""The uid a pod runs a container as (`runAsUser`, the container's or else the pod's) is the uid the image's
Dockerfile ends with (`USER`): a mismatch means the image was tested as one user and runs as another, whose files,
home and permissions it was not built for.

The link between a Dockerfile and the workloads that run its image: the image's name (the last component of its
repository, without registry, tag or digest) equals the Dockerfile's name for its image, which is its
`LABEL org.opencontainers.image.title=...` in the final stage if it sets one, else the name of the folder holding
it (the repository's folder for a Dockerfile at its root). Quiet when nothing links: a Dockerfile no workload of
the run runs, a workload whose image no Dockerfile of the run builds, a Dockerfile whose user is no number (its own
policy reports that), a container without `runAsUser`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from gitops_tools.model import JsonPath, ObjectRecord
from gitops_tools.pipeline.workspace import Collected, Report, Workspace
from gitops_tools.targets import dig

TITLE = "org.opencontainers.image.title"
CONTAINERS = ("initContainers", "containers")


def collect(resource: Any, pod_spec: JsonPath | None) -> Collected | None:
    """A workload's containers (name, image name, effective runAsUser), or a Dockerfile's final uid and title."""
    if pod_spec is not None:
        return _workload(resource, pod_spec)
    stages = resource.get("stages") if isinstance(resource, dict) else None
    if not isinstance(stages, list) or not stages:
        return None
    from gitops_tools.checks.final_user import final_user  # here: a run without a Dockerfile never needs it

    found = final_user(stages)
    uid = found[1].partition(":")[0] if found else ""
    if found is None or not uid.isdigit():
        return None
    return found[0], ("image", int(uid), found[1], _title(stages[-1]))


def workspace_check(workspace: Workspace) -> Iterator[Report]:
    name = __name__.rpartition(".")[2]
    images: dict[str, tuple[int, str, str]] = {}  # image name -> (uid, USER as written, where: path:line)
    for record in workspace.objects:  # streamed, not `by_kind`: that index would hold every record of a large run
        fact = record.fact(name)
        if fact is not None and fact.value[0] == "image":
            _, uid, user, title = fact.value
            images.setdefault(title or _folder_name(record), (uid, user, f"{record.paths.display}:{fact.span[0]}"))
    if not images:
        return
    for record in workspace.objects:
        fact = record.fact(name)
        if fact is None or fact.value[0] != "pods" or not workspace.reported(record):
            continue
        wrong = []
        for container, image, user in fact.value[1]:
            built = images.get(image)
            if built is not None and user != built[0]:
                wrong.append(f"container {container} runs as uid {user}, but {built[2]} builds its image {image} "
                             f"with USER {built[1]}")
        if wrong:
            yield Report(record, "; ".join(wrong), fact)


def _workload(resource: Any, pod_spec: JsonPath) -> Collected | None:
    spec = dig(resource, pod_spec)
    if not isinstance(spec, dict):
        return None
    pod_user = dig(spec, ("securityContext", "runAsUser"))
    found = []
    for group in CONTAINERS:
        containers = spec.get(group)
        for container in containers if isinstance(containers, list) else ():
            if not isinstance(container, dict) or not isinstance(container.get("image"), str):
                continue
            user = dig(container, ("securityContext", "runAsUser"))
            user = user if isinstance(user, int) else pod_user
            if isinstance(user, int) and not isinstance(user, bool):
                found.append((str(container.get("name", "?")), image_name(container["image"]), user))
    return (pod_spec, ("pods", tuple(found))) if found else None


def image_name(image: str) -> str:
    """`ghcr.io/example/shop:1.2@sha256:...` -> `shop`."""
    repository = image.partition("@")[0]
    last = repository.rpartition("/")[2]
    return last.partition(":")[0]


def _title(stage: Any) -> str:
    """The final stage's `LABEL org.opencontainers.image.title=...`, or ''."""
    title = ""
    instructions = stage.get("instructions") if isinstance(stage, dict) else None
    for instruction in instructions if isinstance(instructions, list) else ():
        if isinstance(instruction, dict) and instruction.get("instruction") == "LABEL":
            for word in instruction.get("words") or ():
                key, equals, value = str(word).partition("=")
                if equals and key.strip("\"'") == TITLE:
                    title = value.strip("\"'")
    return title


def _folder_name(record: ObjectRecord) -> str:
    """The name of the folder holding the Dockerfile (lexically: its display path made absolute, no file read)."""
    folder = PurePosixPath(record.paths.file).parent
    return folder.name or PurePosixPath(os.path.abspath(record.paths.display)).parent.name  # noqa: PTH100 - lexical
