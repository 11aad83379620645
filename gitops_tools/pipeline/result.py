"""Phase 7, result: what a run found, and everything reporters need to describe it (they read nothing else)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from gitops_tools.engine import Engine
from gitops_tools.findings import Finding, LintResult, ToolInfo
from gitops_tools.model import Severity
from gitops_tools.pipeline.discover import Plan


def build(plan: Plan, engine: Engine, documents: int, findings: Sequence[Finding], fixed: int | None,
          fail_on: Severity, tool_links: bool = False, rendering: tuple[int, tuple[str, ...]] = (0, ())) -> LintResult:
    """`tool_links`: the format links to the tool's pages, so the installed package's metadata is read for them.
    `rendering`: the entry points the render phase rendered, and its notes for the summary."""
    return LintResult(
        findings=findings, files=len(plan.sources), documents=documents,
        policies=sum(1 for p in engine.policies.values() if p.targets.scope != "file"), fail_on=fail_on,
        rules=dict(engine.policies), root=plan.root, cwd=Path.cwd(), changed_lines=plan.changed, fixed=fixed,
        paths=[source.display for source in plan.sources], skipped=plan.skipped, charts=plan.charts,
        tool=tool(tool_links), rendered=rendering[0], notes=rendering[1],
    )


def tool(links: bool) -> ToolInfo:
    """The tool's name and version; with `links`, as its installed metadata describes it, links included."""
    if not links:
        return ToolInfo()
    from gitops_tools.about import installed_tool

    return installed_tool()
