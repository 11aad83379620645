from __future__ import annotations

from gitops_tools.cli import run

raise SystemExit(run())
