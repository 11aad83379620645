"""README's generated blocks, so its figures cannot drift from the real thing.

    python docs/readme.py            # rewrite the blocks this script renders (make docs runs it)
    python docs/readme.py --check    # exit 1 if one of them is stale

A block sits between `<!-- generated: NAME by SOURCE -->` and `<!-- end: NAME -->`. This script renders `demo` (the
output of examples/demo.py, which `make demo` runs) and `tests` (the suite's size, from pytest's own collection).
Measurements are written by the script that takes them: `suite-time` by benchmarks/suite_time.py (it runs
`make test`), `bench` by `benchmarks/lint_speed.py --readme` (`make bench`). tests/test_docs.py checks every block.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BLOCK = re.compile(r"^<!-- generated: (?P<name>[a-z-]+) by (?P<source>\S+) -->\n(?P<body>.*?)^<!-- end: (?P=name) -->$",
                   re.MULTILINE | re.DOTALL)
EXPLAIN_LINES = 2  # the demo's last command, `explain`, is cut after its first lines
COMMIT = re.compile(r"(?<=commit )[0-9a-f]{12}\b")


def blocks(text: str) -> dict[str, tuple[str, str]]:
    """name -> (source, body) of every generated block in `text`."""
    return {match["name"]: (match["source"], match["body"]) for match in BLOCK.finditer(text)}


def replace_block(text: str, name: str, body: str) -> str:
    """`text` with the body of block `name` replaced (the block must exist)."""
    match = next((m for m in BLOCK.finditer(text) if m["name"] == name), None)
    if match is None:
        raise SystemExit(f"README.md has no generated block {name!r}")
    return text[:match.start("body")] + body + text[match.end("body"):]


def write_block(name: str, body: str) -> None:
    README.write_text(replace_block(README.read_text(encoding="utf-8"), name, body), encoding="utf-8")


def demo_output(root: Path = ROOT) -> str:
    """What `make demo` prints, run in `root` (a folder holding examples/shop/)."""
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "demo.py"), "--root", str(root)],
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"examples/demo.py failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def demo_block(output: str) -> str:
    """The Quickstart's console block: `$ make demo` and its output, the final `explain` cut after a few lines."""
    head, marker, explain = output.partition("\n$ gitops-tools explain ")
    command, *lines = explain.splitlines()
    shown = "\n".join([f"{head}{marker}{command}", *lines[:EXPLAIN_LINES], "..."])
    return f"```console\n$ make demo\n{shown}\n```\n"


def normalise_demo(block: str) -> str:
    """A demo block with what changes from run to run (the new repository's commit id) blanked."""
    return COMMIT.sub("<commit>", block)


def test_counts() -> Counter[str]:
    """How many tests the suite collects: all of them, and those marked `slow` and `serial`."""
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}  # the whole suite, always
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--count-tests"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise SystemExit(f"collecting the tests failed:\n{done.stdout}{done.stderr}")
    return Counter(json.loads(done.stdout.splitlines()[-1]))


def tests_block(counts: Counter[str]) -> str:
    unit = counts["all"] - counts["slow"] - counts["serial"]
    return (f"The suite has {counts['all']:,} tests: `make check` runs the {unit:,} unit tests; `make test` runs\n"
            f"them all, the {counts['slow']:,} end-to-end tests (marked `slow`: real git, cookiecutter, pre-commit,\n"
            f"kustomize, Go) and the {counts['serial']:,} timing-sensitive ones (`serial`, run alone) included.\n")


class _TestCounter:
    """A pytest plugin that counts collected tests by marker."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def pytest_collection_finish(self, session: object) -> None:
        for item in getattr(session, "items", []):
            self.counts["all"] += 1
            for marker in ("slow", "serial"):
                self.counts[marker] += item.get_closest_marker(marker) is not None


def _count_tests() -> int:
    import pytest

    counter = _TestCounter()
    code = pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")], plugins=[counter])
    print(json.dumps(dict(counter.counts)))
    return int(code)


def rendered() -> dict[str, str]:
    """The body of each block this script renders, from the real thing."""
    return {"demo": demo_block(demo_output()), "tests": tests_block(test_counts())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if a block is stale; write nothing")
    parser.add_argument("--count-tests", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.count_tests:
        return _count_tests()
    text = README.read_text(encoding="utf-8")
    fresh = rendered()
    if args.check:
        current = blocks(text)
        stale = [name for name, body in fresh.items()
                 if name not in current or normalise_demo(current[name][1]) != normalise_demo(body)]
        print(f"stale README blocks: {', '.join(stale)} (run `make docs`)" if stale else "README blocks are fresh")
        return 1 if stale else 0
    for name, body in fresh.items():
        text = replace_block(text, name, body)
    README.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
