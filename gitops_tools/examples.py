"""Run a policy's own examples: every `pass` example must give no finding of it, every `fail` example at least one.

The test suite runs this over the built-in catalogue; `gitops-tools rules --check` runs it over custom policies too.
"""

from __future__ import annotations

import base64
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.lint import check_file, read_source
from gitops_tools.loading import Limits
from gitops_tools.model import Finding, Policy
from gitops_tools.targets import Workloads


@dataclass(frozen=True)
class ExampleFailure:
    policy_id: str
    verdict: str
    index: int
    reason: str

    def __str__(self) -> str:
        return f"{self.policy_id}: {self.verdict} example {self.index + 1}: {self.reason}"


def example_findings(policy: Policy, policies: Mapping[str, Policy], example: Any, folder: Path) -> list[Finding]:
    """Lint one example (written into `folder`) with every policy, and keep the findings of `policy`.

    Every policy runs, not `policy` alone, because some depend on others having run (an unused suppression is one
    whose policy ran and found nothing)."""
    spec: dict[str, Any] = {"text": example} if isinstance(example, str) else example
    path = folder / spec.get("filename", "example.yaml")
    path.parent.mkdir(parents=True, exist_ok=True)
    if "symlink" in spec:
        path.symlink_to(spec["symlink"])
    elif "base64" in spec:
        path.write_bytes(base64.b64decode(spec["base64"]))
    else:
        path.write_text(spec["text"], encoding="utf-8")
    config = Config(root=folder, limits=Limits(max_file_bytes=spec.get("max_file_bytes", Limits.max_file_bytes)))
    relpath = path.relative_to(folder).as_posix()
    loaded = read_source(SourceFile(path, relpath, relpath), config)
    engine = Engine([p for p in policies.values() if p.enabled or p is policy], policies, Workloads.load())
    return [f for f in check_file(engine, loaded, relpath) if f.policy_id == policy.id]


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
