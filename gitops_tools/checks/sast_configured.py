"""Repository check: a static analysis (SAST) job runs in CI, as OpenSSF Scorecard's SAST check looks for it.

GitHub: a workflow (`workflows` parameter: globs from the root) has a step that `uses:` one of the `actions`
parameter's actions (at any ref: pinning is `uses-pinned-by-sha`'s). GitLab: `.gitlab-ci.yml` (`pipelines`) includes
one of the `templates` (`include: [{template: Jobs/SAST.gitlab-ci.yml}]`) or a CI/CD component whose address starts
with one of the `components`. Only those few files are read, each at most MAX_BYTES, by the safe YAML loader; a file
that does not parse counts as running nothing (its own syntax finding says why).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gitops_tools.pathmatch import Globs
from gitops_tools.pipeline.repository import Report, Repository

MAX_BYTES = 1 << 20  # a CI file larger than this is not read: it is no configuration of ours
KEY = "SAST"


def repository_check(repository: Repository, parameters: Mapping[str, Any]) -> Iterator[Report]:
    actions = frozenset(str(action).lower() for action in parameters["actions"])
    for path in _matching(repository, parameters["workflows"]):
        if any(_action(uses) in actions for uses in _uses(_loaded(repository, path))):
            return
    for path in _matching(repository, parameters["pipelines"]):
        if _includes_sast(_loaded(repository, path), parameters):
            return
    yield Report("no workflow step uses a SAST action, and no pipeline includes a SAST template or component "
                 "(the policy's actions, templates and components parameters)", KEY)


def _matching(repository: Repository, globs: list[str]) -> list[str]:
    matcher = Globs([str(glob) for glob in globs])
    return sorted(file for file in repository.files if matcher.match(file) and repository.present(file))


def _loaded(repository: Repository, path: str) -> Any:
    import yaml

    from gitops_tools.fileio import read_regular

    try:
        return yaml.load(read_regular(repository.root / path, MAX_BYTES), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError):  # unreadable, too large, not a regular file, not YAML
        return None


def _uses(workflow: Any) -> Iterator[str]:
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    for job in jobs.values() if isinstance(jobs, dict) else ():
        steps = job.get("steps") if isinstance(job, dict) else None
        for step in steps if isinstance(steps, list) else ():
            if isinstance(step, dict) and isinstance(step.get("uses"), str):
                yield step["uses"]


def _action(uses: str) -> str:
    return uses.split("@", 1)[0].strip().lower()


def _includes_sast(pipeline: Any, parameters: Mapping[str, Any]) -> bool:
    include = pipeline.get("include") if isinstance(pipeline, dict) else None
    entries = include if isinstance(include, list) else [include]
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        if entry.get("template") in parameters["templates"]:
            return True
        component = entry.get("component")
        if isinstance(component, str) and any(component.startswith(str(p)) for p in parameters["components"]):
            return True
    return False
