"""The image a Dockerfile builds runs as a numeric, non-root user: the final stage's last `USER` (or, for a final
stage built `FROM` an earlier stage, that stage's), with a uid that is a number other than 0. A name can map to any
uid (0 included) in the image's /etc/passwd, and Kubernetes' `runAsNonRoot` refuses a named user it cannot verify;
no USER at all runs as root."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath


def check(dockerfile: Any) -> Iterator[tuple[JsonPath, str]]:
    stages = dockerfile.get("stages") if isinstance(dockerfile, dict) else None
    if not isinstance(stages, list) or not stages:
        return
    found = final_user(stages)
    if found is None:
        yield ("stages", len(stages) - 1), "the final stage sets no USER (it runs as root)"
        return
    path, user = found
    uid = user.partition(":")[0]
    if uid in ("root", "") or (uid.isdigit() and int(uid) == 0):
        yield path, f"USER {user} is root"
    elif not uid.isdigit():
        yield path, f"USER {user} is a name (it may map to any uid, 0 too, at run time)"


def final_user(stages: list[Any]) -> tuple[JsonPath, str] | None:
    """The path of the USER instruction's first word the final image runs as, and that word; None without one."""
    names = {str(stage.get("name")).lower(): index for index, stage in enumerate(stages)
             if isinstance(stage, dict) and stage.get("name")}
    index: int | None = len(stages) - 1
    seen: set[int] = set()
    while index is not None and index not in seen:
        seen.add(index)
        stage = stages[index] if isinstance(stages[index], dict) else {}
        instructions = stage.get("instructions")
        for at, instruction in reversed(list(enumerate(instructions if isinstance(instructions, list) else ()))):
            words = instruction.get("words") if isinstance(instruction, dict) else None
            if instruction.get("instruction") == "USER" and isinstance(words, list) and words:
                return ("stages", index, "instructions", at, "words", 0), str(words[0])
        base = stage.get("from")
        earlier = names.get(str(base.get("resolved")).lower()) if isinstance(base, dict) and base.get("stage") else None
        index = earlier if earlier is not None and earlier < index else None
    return None
