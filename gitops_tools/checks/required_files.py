"""Repository check: the files every repository of the platform holds (a README, CODEOWNERS, a CI config...).

What is required is data, the policy's `required` parameter: each entry a `name` and the `paths` (globs from the
repository root: `*` within a folder, `**` across; a folder covers what is under it) any one of which satisfies it.
A listed file must still be in the working tree: deleting it is enough, before the deletion is staged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.pathmatch import Globs
from gitops_tools.pipeline.repository import Report, Repository


def repository_check(repository: Repository, parameters: Mapping[str, Any]) -> Iterator[Report]:
    for requirement in parameters["required"]:
        name, paths = str(requirement["name"]), [str(path) for path in requirement["paths"]]
        globs = Globs(paths)
        if not any(globs.match(file) and repository.present(file) for file in repository.files):
            alternatives = paths[0] if len(paths) == 1 else f"one of {', '.join(paths)}"
            unlisted = "" if repository.complete else " among the files listed before the listing stopped"
            yield Report(f"{name} ({alternatives}){unlisted}", name)
