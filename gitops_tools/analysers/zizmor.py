"""zizmor (https://docs.zizmor.sh), the static analyser for GitHub Actions security, as an analyser.

It runs offline (`--offline`: none of its online audits, never a token: the environment carries none), ignores any
zizmor configuration and ignore comment in the linted repository (exemptions and suppressions are ours, one model for
every policy), with its regular persona, over every workflow and action file of a run in one invocation. Files it
cannot read as a workflow or action are skipped by it with a warning (the domain's structure policy reports them).
Its JSON output (format v1) gives each result's audit (`ident`), locations with 0-based rows and columns, and the
route (the path of keys and indexes) to the offending value.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops_tools.analysers import ToolResult, _process
from gitops_tools.errors import AnalyserError
from gitops_tools.model import JsonPath, Span

PACKAGE = "zizmor==1.32.0"  # what pyproject.toml pins; named in the error when the binary is missing
ARGUMENTS = ("--offline", "--no-config", "--no-ignores", "--persona", "regular", "--format", "json-v1",
             "--no-exit-codes", "--no-progress", "--color", "never")
NO_INPUTS = 3  # its exit status when none of the files given could be read as a workflow or action


def analyse(files: Sequence[Path], timeout: float) -> list[ToolResult]:
    binary = _process.find_binary("zizmor", PACKAGE)
    output = _process.run([binary, *ARGUMENTS, "--", *map(str, files)], timeout, environment={"ZIZMOR_OFFLINE": "1"})
    if output.status == NO_INPUTS and "no inputs collected" in output.stderr:
        return []  # no file was a workflow or action it could read: nothing to audit
    if output.status != 0:
        raise AnalyserError(f"zizmor failed (exit {output.status}): {_last_lines(output.stderr)}")
    try:
        results = json.loads(output.stdout)
    except ValueError as error:
        raise AnalyserError(f"zizmor's output is not JSON: {error}") from error
    if not isinstance(results, list):
        raise AnalyserError("zizmor's output is not a list of results")
    return [result for item in results if (result := _result(item)) is not None]


def _result(item: Any) -> ToolResult | None:
    """One zizmor result at its primary location (the first one marked so); None for a result about no local
    file."""
    if not isinstance(item, dict) or not isinstance(item.get("ident"), str):
        raise AnalyserError(f"zizmor's output has a result without an audit name: {str(item)[:200]}")
    locations = [place for place in item.get("locations", ()) if isinstance(place, dict)]
    primary = next((place for place in locations if place.get("symbolic", {}).get("kind") == "Primary"),
                   locations[0] if locations else None)
    if primary is None:
        return None
    symbolic, concrete = primary.get("symbolic", {}), primary.get("concrete", {})
    key = symbolic.get("key", {})
    local = key.get("Local") if isinstance(key, dict) else None
    if not isinstance(local, dict) or not isinstance(local.get("verbatim_path"), str):
        return None
    where = concrete.get("location", {})
    return ToolResult(local["verbatim_path"], item["ident"], _span(where), _route(symbolic.get("route", {})),
                      str(symbolic.get("annotation") or item.get("desc") or ""), str(concrete.get("feature", "")))


def _span(location: Any) -> Span:
    start, end = location.get("start_point", {}), location.get("end_point", {})
    line, col = int(start.get("row", 0)) + 1, int(start.get("column", 0)) + 1
    return line, col, int(end.get("row", line - 1)) + 1, int(end.get("column", col - 1)) + 1


def _route(route: Any) -> JsonPath:
    steps = route.get("route", []) if isinstance(route, dict) else []
    path: list[str | int] = []
    for step in steps:
        if isinstance(step, dict) and isinstance(step.get("Key"), str):
            path.append(step["Key"])
        elif isinstance(step, dict) and isinstance(step.get("Index"), int):
            path.append(step["Index"])
    return tuple(path)


def _last_lines(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:500] or "no message"
