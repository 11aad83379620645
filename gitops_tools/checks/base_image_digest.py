"""Every stage of a Dockerfile builds on an image pinned by digest (`FROM image@sha256:...`): a tag moves, a digest
does not. `scratch` (no image) and an earlier stage's name are no image to pin; an image given by a build argument
counts as its default when the parser could resolve it (`from.resolved`, see gitops_tools/loading/parsers/
dockerfile.py), and is unknown, so not pinned, when an argument it uses has no default."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def check(dockerfile: Any) -> Iterator[tuple[JsonPath, str]]:
    stages = dockerfile.get("stages") if isinstance(dockerfile, dict) else None
    for index, stage in enumerate(stages if isinstance(stages, list) else ()):
        base = stage.get("from") if isinstance(stage, dict) else None
        if not isinstance(base, dict) or base.get("stage") is True:
            continue
        image, resolved = base.get("image"), base.get("resolved")
        if not isinstance(resolved, str):
            yield ("stages", index, "from"), f"{image} (a build argument it uses has no default: the image is unknown)"
        elif DIGEST.search(resolved) is None:
            yield ("stages", index, "from"), image if image == resolved else f"{image} ({resolved})"
