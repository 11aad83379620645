"""`make demo`: lint the sample shop repo (it has deliberate mistakes) and show what a user sees."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path("examples/shop")


def show(*argv: str) -> int:
    print(f"\n$ gitops-tools {' '.join(argv)}", flush=True)
    return subprocess.run([sys.executable, "-m", "gitops_tools", *argv], cwd=ROOT, check=False).returncode


def main() -> int:
    print(f"Linting the sample repo {SAMPLE}/ (a checkout service with a few deliberate mistakes).")
    code = show("lint", str(SAMPLE))
    print(f"(exit code {code}: 0 clean, 1 findings, 2 usage/config error, 3 internal error)")
    show("explain", "container-env-secret-not-literal")
    if code != 1:
        print("demo: expected findings (exit code 1) from the sample repo", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
