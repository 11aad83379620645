"""Baselines: record today's findings by fingerprint, then report only new ones (and count the fixed).

Fingerprints ignore line numbers but change with the offending content, so a baseline survives edits around a
finding and lets go of it when the finding itself changes. The file is JSON, sorted, meant to be committed.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from gitops_tools import __version__
from gitops_tools.errors import ConfigError
from gitops_tools.fileio import read_user_file
from gitops_tools.findings import Finding
from gitops_tools.loading.json_text import position
from gitops_tools.model import Location

VERSION = 1
MAX_BASELINE_BYTES = 256 * 1024 * 1024  # about a million findings


def write(findings: Iterable[Finding], stream: TextIO) -> None:
    entries = sorted(({"fingerprint": f.fingerprint, "policy_id": f.policy_id, "path": f.location.path,
                       "file": f.file, "message": f.message} for f in findings),
                     key=lambda e: (e["path"], e["policy_id"], e["fingerprint"]))
    json.dump({"version": VERSION, "tool": f"gitops-tools {__version__}", "findings": entries}, stream, indent=2)
    stream.write("\n")


@dataclass(frozen=True)
class Baseline:
    counts: Counter[str]  # fingerprint -> how often it was recorded
    files: dict[str, str]  # fingerprint -> the file it was found in ("" in older baselines)


def read(path: Path) -> Baseline:
    """The fingerprints of a baseline file, counted, with their files."""
    raw = read_user_file(path, "baseline", MAX_BASELINE_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as err:
        raise ConfigError(f"baseline {path} is not UTF-8 text ({err.reason} at byte {err.start})") from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"baseline {path} is not valid JSON: {err.msg}", Location(str(path), *position(err))) from err
    except (RecursionError, ValueError) as err:  # nesting deeper than Python's stack, an integer of 5,000 digits
        raise ConfigError(f"baseline {path} is not a gitops-tools baseline: {_reason(err)}") from err
    entries = data.get("findings") if isinstance(data, dict) and data.get("version") == VERSION else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("fingerprint"), str)
                                                for e in entries):
        raise ConfigError(f"baseline {path} is not a gitops-tools baseline (version {VERSION}); write one with "
                          "--write-baseline")
    files = {entry["fingerprint"]: str(entry.get("file", "")) for entry in entries}
    return Baseline(Counter(entry["fingerprint"] for entry in entries), files)


class Subtraction:
    """A baseline taken from a run's findings, block by block in the order they are reported: each recorded entry
    matches one finding. Then `fixed` counts the entries of the linted files that matched none."""

    def __init__(self, baseline: Baseline) -> None:
        self._baseline = baseline
        self._remaining = Counter(baseline.counts)

    def new(self, findings: Iterable[Finding]) -> list[Finding]:
        """The findings the baseline does not record (a renamed policy's finding also matches an entry recorded
        under a former id)."""
        remaining = self._remaining
        new = []
        for finding in findings:
            recorded = next((f for f in (finding.fingerprint, *finding.former_fingerprints) if remaining[f] > 0), None)
            if recorded is not None:
                remaining[recorded] -= 1
            else:
                new.append(finding)
        return new

    def fixed(self, linted: set[str]) -> int:
        """How many entries of the `linted` files matched no finding. Entries of files this run did not lint (one
        file, a pre-commit batch, --changed-since) are not "fixed"."""
        files = self._baseline.files
        return sum(count for fingerprint, count in self._remaining.items()
                   if not files.get(fingerprint) or files[fingerprint] in linted)


def _reason(err: Exception) -> str:
    return "it is nested too deeply" if isinstance(err, RecursionError) else str(err)
