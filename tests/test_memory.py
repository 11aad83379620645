"""Peak memory grows slowly with the number of files linted: what a run keeps per file stays small.

The benchmark corpus (benchmarks/corpus.py: 5 KB files of 3-7 Kubernetes objects, about 4 findings each) is linted at
two sizes, one four times the other, each by a real process with `--jobs 1` (this process holds everything the run
keeps) and the json format. The growth of its peak RSS per added file must stay under PER_FILE_KIB. Every file
leaves something until the end: its findings (reports sort across files) and its objects' records (workspace
checks compare them all). Measured here at 500 and 2,000 files: 12.5 KiB per file before the records, findings and
workspace were made compact and reports streamed (10,000 files peaked at 174 MiB), 9.5 KiB after (122 MiB).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CONSOLE_SCRIPT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

pytestmark = pytest.mark.serial

SMALL = 500
GROWTH = 4
PER_FILE_KIB = 11.0


# The lint process is started by a small launcher, never forked from this one: a child's ru_maxrss starts at its
# parent's resident size when forked (the pytest process holds more than a small lint run ever does).
LAUNCHER = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(process.pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss // (1024 if sys.platform == "darwin" else 1))  # KiB
"""


def peak_kib(folder: Path, bytecode: Path) -> int:
    """The peak resident memory of one lint of `folder`, in KiB (ru_maxrss), run as an
    installed package runs: from bytecode compiled once (into `bytecode`), since compiling costs memory too."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(bytecode)
    done = subprocess.run([sys.executable, "-c", LAUNCHER, str(CONSOLE_SCRIPT), "lint", str(folder), "--format",
                           "json", "--jobs", "1"], capture_output=True, text=True, env=env, check=True, timeout=300)
    code, kib = map(int, done.stdout.split())
    assert (code, done.stderr) == (1, "")  # the corpus has findings
    return kib


def test_peak_memory_grows_by_a_few_kib_per_file(tmp_path: Path) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    generate(small, SMALL)
    generate(large, GROWTH * SMALL)
    bytecode = tmp_path / "pycache"
    peak_kib(small, bytecode)  # unmeasured: the first run compiles the code and the policies (into their caches)
    small_kib, large_kib = peak_kib(small, bytecode), peak_kib(large, bytecode)
    per_file = (large_kib - small_kib) / ((GROWTH - 1) * SMALL)
    assert per_file <= PER_FILE_KIB, f"{SMALL} files: {small_kib} KiB, {GROWTH * SMALL}: {large_kib} KiB"
