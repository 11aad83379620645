"""How fast `gitops-tools lint` is, next to the parse-only floor, on a deterministic corpus.

    python benchmarks/lint_speed.py [--files 1000] [--runs 5]

Each command runs as a whole process (start-up included), the two alternating so machine noise hits both alike.
Prints median wall time, documents per second, peak memory (max RSS) and the lint / parse-only ratio, then the
pre-commit case: linting one small file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate  # noqa: E402

RATIO_TARGET = 3.0
SINGLE_FILE_TARGET_S = 0.3


def run(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one process."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    stdout = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {process.returncode}")
    return elapsed, usage.ru_maxrss / 1024, stdout


def corpus(files: int) -> Path:
    folder = HERE.parent / ".bench" / f"corpus-{files}"
    if not (folder / ".complete").exists():
        generate(folder, files)
        (folder / ".complete").touch()
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = corpus(args.files)
    parse_cmd = [sys.executable, str(HERE / "parse_only.py"), str(folder)]
    lint_cmd = [sys.executable, "-m", "gitops_tools", "lint", str(folder), "--format", "json"]
    documents = int(run(parse_cmd)[2])
    parse_runs, lint_runs = [], []
    for _ in range(args.runs):
        parse_runs.append(run(parse_cmd))
        lint_runs.append(run(lint_cmd))
    parse_s = statistics.median(r[0] for r in parse_runs)
    lint_s = statistics.median(r[0] for r in lint_runs)
    single = next(iter(sorted(folder.rglob("*.yaml"))))
    single_runs = [run([sys.executable, "-m", "gitops_tools", "lint", str(single)])[0] for _ in range(args.runs * 2)]
    single_s = statistics.median(single_runs)
    ratio = lint_s / parse_s
    print(f"corpus: {args.files} files, {documents} documents ({folder})")
    print(f"{'':<22}{'median s':>10}{'docs/s':>10}{'peak MiB':>10}")
    print(f"{'parse-only (CSafeLoader)':<22}{parse_s:>10.2f}{documents / parse_s:>10.0f}"
          f"{max(r[1] for r in parse_runs):>10.0f}")
    print(f"{'gitops-tools lint':<22}{lint_s:>10.2f}{documents / lint_s:>10.0f}{max(r[1] for r in lint_runs):>10.0f}")
    print(f"lint / parse-only: {ratio:.2f}x (target <= {RATIO_TARGET}x) {'ok' if ratio <= RATIO_TARGET else 'OVER'}")
    print(f"single file ({single.name}): {single_s:.3f} s median of {len(single_runs)} "
          f"(target < {SINGLE_FILE_TARGET_S} s) {'ok' if single_s < SINGLE_FILE_TARGET_S else 'OVER'}")


if __name__ == "__main__":
    main()
