"""How long `make check` and `make test` take here; the figures go into README's `suite-time` block.

    python benchmarks/suite_time.py [--no-readme]

Runs both targets (their output streams through), then writes what it measured, the date and the machine into
README.md. A failing target is reported and nothing is written: only a green run is a figure worth showing. The one
test that checks this block's format is left out of the measured runs: the block is rewritten right after, by
`block()`, which asserts that format itself (else a first measurement could never be written).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs"))

from readme import write_block  # noqa: E402

SUMMARY = re.compile(r"^=+ (?P<summary>\d[^=]*? in [\d.]+s(?: \([\d:]+\))?) =+$", re.MULTILINE)
BLOCK_TEST = "tests/test_docs.py::test_readme_suite_time_is_a_measurement_by_its_script"
# What the block says, exactly: tests/test_docs.py parses it with this.
BLOCK = re.compile(
    r"^Measured by `benchmarks/suite_time\.py` on (?P<date>\d{4}-\d{2}-\d{2}), on a (?P<cores>\d+)-core "
    r"(?P<machine>\S+) machine: `make check` (?P<check>\d+ min \d+ s|\d+ s), `make test` (?P<test>\d+ min \d+ s|\d+ s) "
    r"\((?P<runs>.+)\)\.\n$")


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


def timed(target: str) -> tuple[float, list[str]]:
    """Wall seconds of `make TARGET` and pytest's summary lines from its output (streamed to the terminal)."""
    start = time.perf_counter()
    env = os.environ | {"PYTEST_ADDOPTS": f"{os.environ.get('PYTEST_ADDOPTS', '')} --deselect {BLOCK_TEST}".strip()}
    process = subprocess.Popen(["make", target], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env)
    lines = []
    for line in process.stdout or []:
        sys.stdout.write(line)
        lines.append(line)
    if process.wait() != 0:
        raise SystemExit(f"make {target} failed (exit {process.returncode}): nothing written")
    return time.perf_counter() - start, [match["summary"] for match in SUMMARY.finditer("".join(lines))]


def block(check: float, test: float, runs: list[str]) -> str:
    today = datetime.date.today().isoformat()
    text = (f"Measured by `benchmarks/suite_time.py` on {today}, on a {os.cpu_count()}-core {platform.machine()} "
            f"machine: `make check` {duration(check)}, `make test` {duration(test)} ({'; '.join(runs)}).\n")
    assert BLOCK.match(text), text
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-readme", action="store_true", help="print the figures, do not write README.md")
    args = parser.parse_args()
    check, _ = timed("check")
    test, runs = timed("test")
    text = block(check, test, runs)
    print(text, end="")
    if not args.no_readme:
        write_block("suite-time", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
