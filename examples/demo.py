"""`make demo`: scaffold a service on the golden path and lint it, then lint a sample repo with deliberate mistakes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path(".demo")
SAMPLE = Path("examples/shop")


def show(*argv: str) -> int:
    print(f"\n$ gitops-tools {' '.join(argv)}", flush=True)
    return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=ROOT, check=False).returncode


def main() -> int:
    shutil.rmtree(ROOT / DEMO, ignore_errors=True)
    print("1. A new service from the golden-path scaffold: a git repo that lints clean from its first commit.")
    created = show("new", "service", "--no-input", "--output-dir", str(DEMO), "--set", "service_name=demo-api")
    clean = show("lint", str(DEMO / "demo-api"))
    print(f"\n2. The sample repo {SAMPLE}/ (a checkout service with a few deliberate mistakes).")
    findings = show("lint", str(SAMPLE))
    print(f"(exit code {findings}: 0 clean, 1 findings, 2 usage/config error, 3 internal error)")
    show("explain", "container-env-secret-not-literal")
    if (created, clean, findings) != (0, 0, 1):
        print("demo: expected a clean scaffold and findings in the sample repo", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
