"""Every `pip install` in a workflow's or an action's `run:` steps is pinned as OpenSSF Scorecard's
Pinned-Dependencies check counts pins (gitops_tools/checks/_pip_install.py): `--require-hashes` with a hashed
requirements file, or an editable install with `--no-deps` from a git URL at a full commit SHA. A step whose `shell`
is not a POSIX shell (pwsh, python, cmd) is not read. Each finding points at the command, inside the `run:` text."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

POSIX_SHELLS = ("bash", "sh")


def check(document: Any) -> Iterator[tuple[JsonPath, str, int]]:
    from gitops_tools.checks import _pip_install

    return _pip_install.unpinned_installs(_run_texts(document))


def _run_texts(document: Any) -> Iterator[tuple[JsonPath, str]]:
    """The `run:` text of every step: a workflow's jobs' steps, a composite action's `runs.steps`."""
    if not isinstance(document, dict):
        return
    jobs = document.get("jobs")
    for name, job in jobs.items() if isinstance(jobs, dict) else ():
        if isinstance(job, dict):
            yield from _steps(("jobs", name, "steps"), job.get("steps"))
    runs = document.get("runs")
    if isinstance(runs, dict):
        yield from _steps(("runs", "steps"), runs.get("steps"))


def _steps(path: JsonPath, steps: Any) -> Iterator[tuple[JsonPath, str]]:
    for index, step in enumerate(steps if isinstance(steps, list) else ()):
        if not isinstance(step, dict) or not isinstance(step.get("run"), str):
            continue
        shell = step.get("shell")
        if shell is None or (isinstance(shell, str) and shell.split(maxsplit=1)[0] in POSIX_SHELLS):
            yield (*path, index, "run"), step["run"]
