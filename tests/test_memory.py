"""Peak memory grows slowly with the number of files linted, and stops growing once a run spills.

The benchmark corpus (benchmarks/corpus.py: 5 KB files of 3-7 Kubernetes objects, about 4 findings each) is linted at
two sizes, one four times the other, each by a real process with `--jobs 1` (this process holds everything the run
keeps) and the json format. The growth of its peak RSS per added file must stay under PER_FILE_KIB. Up to
SPILL_ABOVE_FILES files, every file leaves something in memory until the end: its outcome (filtered after the
workspace phase), its objects' records (workspace checks compare them all) and its findings (reports sort across
files). Measured here at 500 and 2,000 files: 12.5 KiB per file before the records, findings and workspace were made
compact and reports streamed (10,000 files peaked at 174 MiB), 9.5 KiB after (122 MiB); 18.8 KiB once the
cross-resource checks of 0.5.0 kept a dozen facts per workload, 10.1 KiB after their facts were made compact (one
slot per equal value, no position for a fact no finding points at: gitops_tools/model.py ObjectRecord).

A larger run keeps them in a temporary file (gitops_tools/pipeline/spill.py), so its peak stays flat: the second test
lints in this process (`--jobs 1`: with `auto` the 40-file run would be in-process and the 400-file run pooled, two
different measures), spilling from the first file, 40 and 400 files under tracemalloc, whose peak must grow by less
than SPILLED_PER_FILE_BYTES per added file (what stays is an offset per value, the files' names, one unit's records
and the write buffer): 2.1 KB, where the same run keeping everything grows by 8.2 KB a file. (Until the analysers
read their tools' output at its size, every run's peak carried a 64 MiB read buffer, which buried this slope.)
The 10,000-file corpus peaks at 45 MiB, 1.10 times the 1,000-file corpus's 41 MiB (130 MiB before).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import CONSOLE_SCRIPT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.reporters import Style, get_format

pytestmark = pytest.mark.serial

SMALL = 500
GROWTH = 4
PER_FILE_KIB = 11.0
SPILLED_SMALL, SPILLED_GROWTH = 40, 10
SPILLED_PER_FILE_BYTES = 2_560


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


def traced_peak(folder: Path, policies: dict[str, Policy], options: LintOptions) -> int:
    """The peak of the memory Python allocates (tracemalloc) while linting `folder` and writing its JSON report."""
    tracemalloc.start()
    try:
        result = lint([str(folder)], Config(root=folder.parent), policies, options)
        with open(os.devnull, "w", encoding="utf-8") as null:  # noqa: PTH123 - a stream that keeps nothing
            get_format("json").report(result, null, Style())
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_spilling_run_s_peak_memory_stays_flat(tmp_path: Path, policies: dict[str, Policy],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    small, large = tmp_path / "small", tmp_path / "large"
    generate(small, SPILLED_SMALL)
    generate(large, SPILLED_GROWTH * SPILLED_SMALL)
    monkeypatch.chdir(tmp_path)
    options = LintOptions(jobs=1, spill_above=0)  # every run spills, as one of more than SPILL_ABOVE_FILES files does
    # Unmeasured: compiles what the policies need for every kind either run meets (the larger corpus has kinds the
    # smaller lacks; a kind's compiled schema is kept for the process, a cost per kind, not per file).
    lint([str(large)], Config(root=tmp_path), policies, options)
    small_bytes, large_bytes = traced_peak(small, policies, options), traced_peak(large, policies, options)
    per_file = (large_bytes - small_bytes) / ((SPILLED_GROWTH - 1) * SPILLED_SMALL)
    assert per_file <= SPILLED_PER_FILE_BYTES, f"{SPILLED_SMALL} files: {small_bytes} B, {large_bytes} B for ten times"
