"""`lint --jobs N`: the per-file phase in a process pool gives byte for byte the serial run's output, and the pool
never hangs or lingers. Real processes throughout: the CLI as a subprocess, real forked workers, real signals."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from conftest import CONSOLE_SCRIPT, CliRun, unavailable

from gitops_tools.aliases import known_ids
from gitops_tools.classification import Classifier
from gitops_tools.config import Config, load_config
from gitops_tools.engine import Engine
from gitops_tools.lint import LintOptions, active_policies, lint
from gitops_tools.model import Policy
from gitops_tools.pipeline import parallel
from gitops_tools.pipeline.discover import plan
from gitops_tools.reporters import available_formats
from gitops_tools.targets import Workloads

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate

ROOT = Path(__file__).resolve().parent.parent
BAD_FILES = {
    "bad/syntax.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n",
    "bad/duplicate.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    "bad/latin1.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: caf\xe9\n",
    "bad/empty.json": "",
    "bad/list.yaml": "apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Pod, metadata: {name: p}, "
                     "spec: {containers: [{name: c, image: 'nginx:latest'}]}}\n",
    "bad/suppressed.yaml": "# gitops-tools: disable-file yaml-duplicate-key, no-such-policy\na: 1\na: 2\n",
}


def _env() -> dict[str, str]:
    return {key: value for key, value in os.environ.items() if key != "GITOPS_TOOLS_DEBUG"}


def _lint(cwd: Path, *argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(CONSOLE_SCRIPT), "lint", *argv], cwd=cwd, input=stdin, capture_output=True,
                          timeout=300, env=_env(), check=False)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A repository of generated manifests, the shop example, and files that cannot be checked past a problem."""
    root = tmp_path_factory.mktemp("corpus")
    generate(root / "fleet", files=120, seed=11)
    shutil.copytree(ROOT / "examples", root / "examples")
    for name, text in BAD_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("latin-1"))
    (root / "bad" / "outside.yaml").symlink_to("/etc/passwd")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _same(cwd: Path, *argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    serial = _lint(cwd, *argv, "--jobs", "1", stdin=stdin)
    pooled = _lint(cwd, *argv, "--jobs", "2", stdin=stdin)
    assert serial.returncode in (0, 1), serial.stderr.decode()
    assert (pooled.returncode, pooled.stdout, pooled.stderr) == (serial.returncode, serial.stdout, serial.stderr)
    return serial


@pytest.mark.slow
@pytest.mark.parametrize("output", available_formats())
def test_two_processes_print_what_one_prints_in_every_format(corpus: Path, output: str) -> None:
    done = _same(corpus, ".", "--format", output)
    assert done.returncode == 1 and b"latest" in done.stdout  # there were findings to get right, in every format


@pytest.mark.slow
@pytest.mark.parametrize("output", ["text", "json"])
def test_the_examples_folder_is_the_same_whatever_the_jobs(output: str) -> None:
    assert _same(ROOT, "examples", "--format", output).returncode == 1


@pytest.mark.slow
def test_standard_input_keeps_its_place_among_pooled_files(corpus: Path) -> None:
    text = (ROOT / "examples" / "shop" / "base" / "deployment.yaml").read_bytes()
    done = _same(corpus, "fleet/team-00", "-", "bad", "--stdin-filename", "fleet/team-00/zz.yaml",
                 "--format", "json", stdin=text)
    assert b'"fleet/team-00/zz.yaml"' in done.stdout


@pytest.mark.slow
def test_a_baseline_and_auto_jobs_give_the_serial_result(tmp_path: Path) -> None:
    generate(tmp_path / "fleet", files=parallel.AUTO_MIN_FILES, seed=5)
    assert _lint(tmp_path, "fleet", "--write-baseline", "baseline.json", "--jobs", "2").returncode == 0
    (tmp_path / "fleet" / "team-00" / "service-0000.yaml").write_text("a: 1\n")  # its findings are fixed
    done = _same(tmp_path, "fleet", "--baseline", "baseline.json")
    assert done.returncode == 0 and b" baseline findings fixed." in done.stdout
    assert _lint(tmp_path, "fleet", "--baseline", "baseline.json").stdout == done.stdout  # auto: two processes


def test_an_error_raised_for_a_file_in_a_worker_is_raised_as_in_a_serial_run(tmp_path: Path,
                                                                             policies: dict[str, Policy]) -> None:
    """An engine that knows no syntax-error policy fails on a broken file: the same exception, pooled or not."""
    for number in range(6):
        (tmp_path / f"ok-{number}.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    (tmp_path / "broken.yaml").write_text("a: [\n")
    config = load_config(None, tmp_path)
    ids = [policy_id for policy_id in known_ids(policies) if policy_id != "yaml-syntax"]
    active = [p for p in active_policies(policies, config, LintOptions()) if p.id in ids]
    engine = Engine(active, ids, Workloads.load(), Classifier.load(), date(2025, 1, 1))
    sources = plan([str(tmp_path)], config, LintOptions()).sources
    for workers in (1, 2):
        with pytest.raises(LookupError, match="'yaml-syntax', which has no policy file"), \
                parallel.Pool(engine, config, workers) as pool:
            list(pool.outcomes(sources, None))


def test_progress_is_reported_file_by_file_in_order(tmp_path: Path, policies: dict[str, Policy]) -> None:
    generate(tmp_path, files=12, seed=3)
    calls: list[tuple[int, int]] = []
    result = lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions(jobs=2),
                  lambda done, total: calls.append((done, total)))
    assert calls == [(done, 12) for done in range(1, 13)]
    assert result.files == 12 and result.findings


@pytest.mark.parametrize(("jobs", "files", "cores", "workers"), [
    (None, 1, 2, 1),  # auto: one file, the pre-commit case, never forks
    (None, parallel.AUTO_MIN_FILES - 1, 2, 1),  # auto: too few files to pay for a pool
    (None, parallel.AUTO_MIN_FILES, 2, 2),
    (None, 10_000, 1, 1),  # auto: one core
    (None, 10_000, 8, 8),
    (1, 10_000, 8, 1),
    (4, 10_000, 2, 4),  # asked for: as many as asked
    (4, 3, 2, 3),  # never more processes than files
    (3, 0, 2, 1),
])
def test_worker_count(jobs: int | None, files: int, cores: int, workers: int) -> None:
    assert parallel.worker_count(jobs, files, cores) == workers


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "\u0663", "257", ""])
def test_a_bad_jobs_value_is_a_usage_error(run_cli: CliRun, value: str) -> None:
    code, out, err = run_cli("lint", "--jobs", value, ".")
    assert code == 2 and out == ""
    assert f"argument --jobs: needs a number of processes from 1 to 256, or 'auto' (it was given {value!r})" in err


def test_one_file_imports_no_process_pool(tmp_path: Path) -> None:
    """The pre-commit case pays nothing for the pool: its modules are not even imported."""
    (tmp_path / "one.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n")
    code = ("import sys; from gitops_tools.cli import main; main(['lint', 'one.yaml']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('multiprocessing', 'concurrent')), "
            "file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env=_env(), check=False)
    assert done.stderr.strip() == "[]" and "Found" not in done.stdout


# --- stopping: a real run, real signals, with a deadline -----------------------------------------------------------


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fleet")
    generate(folder, files=1000)
    return folder


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _started(fleet: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """A pooled lint of the 1,000-file fleet, once its two workers are running."""
    if not Path("/proc/self/task").is_dir():
        unavailable("the test finds the workers through /proc")
    process = subprocess.Popen([str(CONSOLE_SCRIPT), "lint", str(fleet), "--jobs", "2", "--format", "json"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(),
                               start_new_session=True)
    deadline = time.monotonic() + 30
    while len(_children(process.pid)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    workers = _children(process.pid)
    assert len(workers) == 2, "the pool's two workers never started"
    return process, workers


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")  # a zombie is gone too
    except OSError:
        return True


@pytest.mark.serial
@pytest.mark.parametrize(("send", "code", "message"), [
    ("kill-worker", 3, "gitops-tools: internal error: WorkerStoppedError: a lint worker process stopped without an "
                       "answer (killed, or out of memory?); `--jobs 1` lints in one process\n"),
    ("ctrl-c", 130, "gitops-tools: interrupted\n"),
    ("sigterm", 143, "gitops-tools: terminated\n"),
])
def test_a_pooled_run_stops_at_once_and_leaves_no_worker(fleet: Path, send: str, code: int, message: str) -> None:
    process, workers = _started(fleet)
    if send == "kill-worker":
        os.kill(workers[0], signal.SIGKILL)
    elif send == "ctrl-c":
        os.killpg(process.pid, signal.SIGINT)  # what a terminal sends: to every process of the foreground group
    else:
        os.kill(process.pid, signal.SIGTERM)
    _, err = process.communicate(timeout=20)
    assert process.returncode == code, err
    assert err.startswith(message) if send == "kill-worker" else err == message
    deadline = time.monotonic() + 10
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert all(_gone(pid) for pid in workers)
