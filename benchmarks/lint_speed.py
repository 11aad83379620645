"""How fast `gitops-tools lint` is, next to the parse-only floor, on a deterministic corpus.

    python benchmarks/lint_speed.py [--files 1000] [--runs 5]

Each command runs as a whole process (start-up included), the two alternating so machine noise hits both alike.
Prints median wall time, documents per second, peak memory (max RSS) and the lint / parse-only ratio, then the
pre-commit case: linting one small file, then one 5.7 MB `kustomize build`-like stream holding one anchor and one
alias (the shape that was quadratic), again beside its parse-only floor.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from corpus import generate, render_stream  # noqa: E402

RATIO_TARGET = 3.0
SINGLE_FILE_TARGET_S = 0.3
STREAM_RATIO_TARGET = 3.0
STREAM_SECONDS_TARGET = 5.0
Run = tuple[float, float, str]


def run(argv: list[str]) -> Run:
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


def stream(size: int) -> Path:
    """One `kustomize build`-like stream of `size` bytes holding one anchor and one alias."""
    folder = HERE.parent / ".bench" / f"stream-{size}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "stream.yaml").write_text(render_stream(random.Random(7), size), encoding="utf-8")
        (folder / ".complete").touch()
    return folder


def compare(folder: Path, runs: int) -> tuple[int, list[Run], list[Run]]:
    """Documents, then parse-only and lint runs of `folder`, alternating so machine noise hits both alike."""
    parse_cmd = [sys.executable, str(HERE / "parse_only.py"), str(folder)]
    lint_cmd = [sys.executable, "-m", "gitops_tools", "lint", str(folder), "--format", "json"]
    documents = int(run(parse_cmd)[2])
    parse_runs, lint_runs = [], []
    for _ in range(runs):
        parse_runs.append(run(parse_cmd))
        lint_runs.append(run(lint_cmd))
    return documents, parse_runs, lint_runs


def report(title: str, documents: int, parse_runs: list[Run], lint_runs: list[Run], target: float) -> None:
    parse_s = statistics.median(r[0] for r in parse_runs)
    lint_s = statistics.median(r[0] for r in lint_runs)
    ratio = lint_s / parse_s
    print(f"{title}: {documents} documents")
    print(f"{'':<26}{'median s':>10}{'docs/s':>10}{'peak MiB':>10}")
    for name, runs_, seconds in (("parse-only (CSafeLoader)", parse_runs, parse_s),
                                 ("gitops-tools lint", lint_runs, lint_s)):
        print(f"{name:<26}{seconds:>10.2f}{documents / seconds:>10.0f}{max(r[1] for r in runs_):>10.0f}")
    print(f"lint / parse-only: {ratio:.2f}x (target <= {target}x) {'ok' if ratio <= target else 'OVER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stream-bytes", type=int, default=5_700_000)
    args = parser.parse_args()
    folder = corpus(args.files)
    report(f"corpus: {args.files} files ({folder})", *compare(folder, args.runs), RATIO_TARGET)
    single = next(iter(sorted(folder.rglob("*.yaml"))))
    single_runs = [run([sys.executable, "-m", "gitops_tools", "lint", str(single)])[0] for _ in range(args.runs * 2)]
    single_s = statistics.median(single_runs)
    print(f"single file ({single.name}): {single_s:.3f} s median of {len(single_runs)} "
          f"(target < {SINGLE_FILE_TARGET_S} s) {'ok' if single_s < SINGLE_FILE_TARGET_S else 'OVER'}")
    big = stream(args.stream_bytes)
    documents, parse_runs, lint_runs = compare(big, args.runs)
    report(f"one {args.stream_bytes / 1e6:.1f} MB build stream with one anchor and one alias ({big})", documents,
           parse_runs, lint_runs, STREAM_RATIO_TARGET)
    lint_s = statistics.median(r[0] for r in lint_runs)
    print(f"stream lint: {lint_s:.2f} s (target <= {STREAM_SECONDS_TARGET} s) "
          f"{'ok' if lint_s <= STREAM_SECONDS_TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
