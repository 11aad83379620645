"""Every `pip install` in a GitLab CI job's `script`, `before_script` or `after_script` (and `default:`'s) is pinned
as OpenSSF Scorecard's Pinned-Dependencies check counts pins (gitops_tools/checks/_pip_install.py): `--require-hashes`
with a hashed requirements file, or an editable install with `--no-deps` from a git URL at a full commit SHA. Each
finding points at the command, inside its script line."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gitops_tools.model import JsonPath

SCRIPTS = ("before_script", "script", "after_script")
MAX_DEPTH = 8  # script lists nest (a `!reference` expands to a list in a list); deeper is no pipeline


def check(document: Any) -> Iterator[tuple[JsonPath, str, int]]:
    from gitops_tools.checks import _pip_install

    return _pip_install.unpinned_installs(_script_lines(document))


def _script_lines(document: Any) -> Iterator[tuple[JsonPath, str]]:
    """Every script line of every job, of `default:`, and the top-level (deprecated) scripts."""
    if not isinstance(document, dict):
        return
    for key, value in document.items():
        if key in SCRIPTS:
            yield from _lines((key,), value, 0)
        elif isinstance(key, str) and isinstance(value, dict):
            for script in SCRIPTS:
                yield from _lines((key, script), value.get(script), 0)


def _lines(path: JsonPath, value: Any, depth: int) -> Iterator[tuple[JsonPath, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list) and depth < MAX_DEPTH:
        for index, item in enumerate(value):
            yield from _lines((*path, index), item, depth + 1)
