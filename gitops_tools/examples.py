"""Run a policy's own examples: every `pass` example must give no finding of it, every `fail` example at least one.

The test suite runs this over the built-in catalogue; `gitops-tools rules --check` runs it over custom policies too.
Custom policies come from a repository and may be hostile: an example is written only inside its own temporary
folder. A `filename` or `lint` path that is absolute or climbs out with `..`, and a `symlink` whose target leaves the
folder, are refused (the meta-schema refuses them too) before anything is written.
"""

from __future__ import annotations

import base64
import binascii
import os
import posixpath
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tools.config import Config
from gitops_tools.errors import PolicyError
from gitops_tools.fileio import real_path
from gitops_tools.findings import Finding
from gitops_tools.lint import LintOptions, lint
from gitops_tools.loading import Limits
from gitops_tools.model import Location, Policy


@dataclass(frozen=True)
class ExampleFailure:
    policy_id: str
    verdict: str
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.verdict} example {self.index + 1}: {self.reason}"


def example_findings(policy: Policy, policies: Mapping[str, Policy], example: Any, folder: Path) -> list[Finding]:
    """Lint one example (written into `folder`) with every policy, and keep the findings of `policy`, named from
    `folder`.

    Every policy runs, not `policy` alone, because some depend on others having run (an unused suppression is one
    whose policy ran and found nothing). The run is a real one, every phase included: a workspace check's example
    is several files (`files`), compared across."""
    spec: dict[str, Any] = {"text": example} if isinstance(example, str) else example
    target = folder / _inside(folder, spec["lint"], "lint", policy.source) if "lint" in spec else None
    path = _write(spec, folder, policy.source)
    if target is not None and not target.is_dir():
        raise PolicyError(f"example lint folder {spec['lint']!r} is not a folder the example writes",
                          Location(policy.source))
    config = Config(root=real_path(folder),
                    limits=Limits(max_file_bytes=spec.get("max_file_bytes", Limits().max_file_bytes)),
                    strict_references=spec.get("strict_references", False))
    enabled = {key: p._replace(enabled=True) if p is policy else p for key, p in policies.items()}
    found = lint([str(target or path)], config, enabled, LintOptions()).findings
    # findings name files as in the example's folder (the path fingerprints hash is that, from the folder)
    return [f._replace(location=f.location._replace(path=f.file)) for f in found if f.policy_id == policy.id]


def _write(spec: dict[str, Any], folder: Path, source: str) -> Path:
    """Materialise the example (its folder, for several `files`); every path is checked before anything is
    written."""
    if "files" in spec:
        files = {_inside(folder, name, "files", source): text for name, text in spec["files"].items()}
        for relative, text in files.items():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            (folder / relative).write_text(text, encoding="utf-8")
        return folder
    relative = _inside(folder, spec.get("filename", "example.yaml"), "filename", source)
    target = spec.get("symlink")
    if target is not None and not _stays_inside(folder, relative, target):
        raise _refused(source, "symlink", target)
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(target, str):
        path.symlink_to(target)
    elif spec.get("fifo"):
        os.mkfifo(path)
    elif "base64" in spec:
        try:
            path.write_bytes(base64.b64decode(spec["base64"], validate=True))
        except (binascii.Error, TypeError, ValueError) as err:
            raise PolicyError(f"example base64 is not base64: {err}", Location(source)) from err
    else:
        path.write_text(spec["text"], encoding="utf-8")
    return path


def _inside(folder: Path, relative: Any, field: str, source: str) -> str:
    """`relative`, normalised, if it names a place inside `folder` (lexically: the folder is new and empty, so no
    link inside it can lead out); else a PolicyError naming the policy file."""
    if not isinstance(relative, str) or not relative or posixpath.isabs(relative) or "\\" in relative:
        raise _refused(source, field, relative)
    normal = posixpath.normpath(relative)
    if normal == ".." or normal.startswith("../") or not (folder / normal).absolute().is_relative_to(folder):
        raise _refused(source, field, relative)
    return normal


def _stays_inside(folder: Path, link: str, target: Any) -> bool:
    """Whether a link at `link` to `target` (relative to the link's folder) names a place inside `folder`."""
    if not isinstance(target, str) or posixpath.isabs(target):
        return False
    try:
        _inside(folder, posixpath.join(posixpath.dirname(link), target), "symlink", "")
    except PolicyError:
        return False
    return True


def _refused(source: str, field: str, value: Any) -> PolicyError:
    return PolicyError(f"example {field} {value!r} leaves the example's folder; examples are written and read only "
                       "inside it", Location(source))


def check_examples(policies: dict[str, Policy]) -> Iterator[ExampleFailure]:
    """Every way the policies' examples disagree with the policies."""
    for policy in policies.values():
        for verdict in ("pass", "fail"):
            for index, example in enumerate(policy.examples.get(verdict, [])):
                with tempfile.TemporaryDirectory(prefix="gitops-tools-example-") as folder:
                    findings = example_findings(policy, policies, example, Path(folder))
                if verdict == "pass" and findings:
                    first = findings[0]
                    yield ExampleFailure(policy.id, verdict, index, f"gave {first.location}: {first.message}")
                if verdict == "fail" and not findings:
                    yield ExampleFailure(policy.id, verdict, index, "gave no finding")
