"""`make demo`: scaffold a service on the golden path and lint it, then lint a sample repo with deliberate mistakes.

    python examples/demo.py [--root DIR]

Runs in this checkout (or in `DIR`, which must hold a copy of examples/shop/; the tests use one, so they never write
into the checkout). README's Quickstart shows this output: `make docs` regenerates it, and a test compares.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO = Path(".demo")
SAMPLE = Path("examples/shop")


def show(root: Path, *argv: str) -> int:
    print(f"\n$ gitops-tools {' '.join(argv)}", flush=True)
    return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=root, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=ROOT, help="folder to run in (default: this checkout)")
    root = parser.parse_args(argv).root
    shutil.rmtree(root / DEMO, ignore_errors=True)
    print("1. A new service from the golden-path scaffold: a git repo that lints clean from its first commit.")
    created = show(root, "new", "service", "--no-input", "--output-dir", str(DEMO), "--set", "service_name=demo-api")
    clean = show(root, "lint", str(DEMO / "demo-api"))
    print(f"\n2. The sample repo {SAMPLE}/ (a checkout service with a few deliberate mistakes).")
    findings = show(root, "lint", str(SAMPLE))
    print(f"(exit code {findings}: 0 clean, 1 findings, 2 usage/config error, 3 internal error)")
    show(root, "explain", "container-env-secret-not-literal")
    if (created, clean, findings) != (0, 0, 1):
        print("demo: expected a clean scaffold and findings in the sample repo", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
