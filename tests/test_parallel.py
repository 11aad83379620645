"""`lint --jobs N`: the per-file phase in a process pool gives byte for byte the serial run's output, and the pool
never hangs or lingers. Real processes throughout: the CLI as a subprocess, real forked workers, real signals."""

from __future__ import annotations

import json
import os
import re
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
    """A repository of generated manifests, the shop example, files that cannot be checked past a problem, and a
    config that has a finding of its own (an entry naming no policy)."""
    root = tmp_path_factory.mktemp("corpus")
    (root / ".gitops-tools.yaml").write_text("policies:\n  no-such-policy:\n    enabled: false\n")
    generate(root / "fleet", files=120, seed=11)
    shutil.copytree(ROOT / "examples", root / "examples")
    for name, text in BAD_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(text.encode("latin-1"))
    (root / "bad" / "outside.yaml").symlink_to("/etc/passwd")
    for path, text in _cross_file().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


WORKLOAD = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: cross}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.example.com/web:1.0.0"}]}
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: %s, namespace: cross}
spec: {selector: {app: %s}, ports: [{port: 80}]}
"""
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: cross}\ndata: {mode: fast}\n"
CROSS_FILE_POLICIES = ("service-selector-matches-pods", "manifest-identity-unique-in-unit")


def _cross_file() -> dict[str, str]:
    """Files whose findings need another file, each pair named so that its two files fall in different shards of
    three: a Service selecting no pod of its namespace (the namespace's workload is in another folder), a Service
    whose pods are only in that other folder (no finding), and one ConfigMap twice in one folder."""
    from gitops_tools.pipeline.shard import Shard

    def shard(path: str) -> int:
        return next(index for index in (1, 2, 3) if Shard(index, 3).owns(path))

    workload = "cross/workloads/web.yaml"
    lost, found = (next(f"cross/services/{stem}-{n}.yaml" for n in range(100)
                        if shard(f"cross/services/{stem}-{n}.yaml") != shard(workload)) for stem in ("lost", "found"))
    first = "cross/twice/a.yaml"
    second = next(f"cross/twice/b-{n}.yaml" for n in range(100) if shard(f"cross/twice/b-{n}.yaml") != shard(first))
    return {workload: WORKLOAD, lost: SERVICE % ("lost", "nothing"), found: SERVICE % ("found", "web"),
            first: CONFIGMAP, second: CONFIGMAP}


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


# --- shards: N jobs of a CI matrix split the files, and their reports together are the whole run's ----------------


def _findings(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    assert done.returncode in (0, 1), done.stderr.decode()
    return [json.dumps(finding, sort_keys=True) for finding in json.loads(done.stdout)["findings"]]


def _linted(done: subprocess.CompletedProcess[bytes]) -> list[str]:
    """The files a run linted, from its JUnit report (which lists every one)."""
    assert done.returncode in (0, 1), done.stderr.decode()
    return re.findall(r'<testcase classname="gitops-tools" name="([^"]*)"', done.stdout.decode())


@pytest.mark.slow
def test_the_shards_together_report_every_finding_of_the_whole_run_once(corpus: Path) -> None:
    whole = _findings(_lint(corpus, ".", "--format", "json"))
    shards = [_findings(_lint(corpus, ".", "--format", "json", "--shard", f"{index}/3")) for index in (1, 2, 3)]
    assert sorted(finding for shard in shards for finding in shard) == sorted(whole)
    on_config = [[f for f in shard if '"path": ".gitops-tools.yaml"' in f] for shard in shards]
    assert all(shards) and sorted(map(len, on_config)) == [0, 0, 1]  # reported by the config file's shard
    cross = sorted(f for f in whole if any(f'"policy_id": "{policy}"' in f for policy in CROSS_FILE_POLICIES))
    assert sorted(json.loads(f)["path"].split("/")[1] for f in cross) == ["services", "twice"]  # lost, and b-*
    assert sorted(f for shard in shards for f in shard if f in cross) == cross  # each once, each shard's own
    files = [_linted(_lint(corpus, ".", "--format", "junit", "--shard", f"{index}/3")) for index in (1, 2, 3)]
    assert sorted(path for shard in files for path in shard) == sorted(_linted(_lint(corpus, ".", "--format", "junit")))


@pytest.mark.slow
def test_a_file_s_shard_depends_on_its_path_alone(corpus: Path) -> None:
    """The same files from the repository root or from a folder, with or without other files beside them."""
    from_root = _linted(_lint(corpus, "fleet", "--format", "junit", "--shard", "2/4", "--jobs", "2"))
    from_folder = _linted(_lint(corpus / "fleet", ".", "--format", "junit", "--shard", "2/4"))
    assert from_root and from_root == [f"fleet/{path}" for path in from_folder]
    (corpus / "fleet" / "team-00" / "added.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    try:
        with_one_more = _linted(_lint(corpus, "fleet", "--format", "junit", "--shard", "2/4"))
    finally:
        (corpus / "fleet" / "team-00" / "added.yaml").unlink()
    assert [path for path in with_one_more if not path.endswith("added.yaml")] == from_root


@pytest.mark.slow
def test_each_shard_counts_only_its_own_files_fixed_baseline_findings(tmp_path: Path) -> None:
    generate(tmp_path / "fleet", files=30, seed=5)
    assert _lint(tmp_path, "fleet", "--write-baseline", "baseline.json").returncode == 0
    for number in range(8):  # their findings are fixed
        (tmp_path / "fleet" / f"team-{number:02d}" / f"service-{number:04d}.yaml").write_text("a: 1\n")
    fixed = []
    for shard in ([], ["--shard", "1/2"], ["--shard", "2/2"]):
        summary = _lint(tmp_path, "fleet", "--baseline", "baseline.json", *shard).stdout.decode()
        fixed.append(sum(int(count) for count in re.findall(r" ([0-9]+) baseline findings? fixed\.", summary)))
    assert fixed[0] > 0 and fixed[1] + fixed[2] == fixed[0] and 0 < fixed[1] < fixed[0]


@pytest.mark.parametrize("value", ["0/2", "3/2", "1/0", "two/3", "1/", "1/2/3", "", "\u0661/2", "1/10001"])
def test_a_bad_shard_is_a_usage_error(run_cli: CliRun, value: str) -> None:
    code, out, err = run_cli("lint", "--shard", value, ".")
    assert (code, out) == (2, "")
    assert err == ("gitops-tools: error: --shard needs I/N, the I-th of N shards with 1 <= I <= N <= 10000, e.g. "
                   f"--shard 2/4 (it was given {value!r})\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["-"], "--shard 1/2 splits the files of a repository between jobs: it cannot lint '-' (stdin)"),
    ([".", "--write-baseline", "b.json"], "--write-baseline records every finding: do not combine it with --shard "
                                          "1/2 (one shard's baseline would hold a part of them)"),
])
def test_what_a_shard_cannot_do_is_a_usage_error(run_cli: CliRun, argv: list[str], message: str) -> None:
    assert run_cli("lint", "--shard", "1/2", *argv) == (2, "", f"gitops-tools: error: {message}\n")


def test_shards_split_any_set_of_paths_evenly_and_completely() -> None:
    from gitops_tools.pipeline.shard import Shard

    paths = [f"clusters/team-{team}/app-{number}.yaml" for team in range(20) for number in range(50)]
    owners = [[index for index in range(1, 5) if Shard(index, 4).owns(path)] for path in paths]
    assert all(len(owner) == 1 for owner in owners)
    sizes = [sum(owner == [index] for owner in owners) for index in range(1, 5)]
    assert min(sizes) > 200  # 250 each on average


# --- README: the CI matrix snippets validate, and the merge command gives the unsharded findings ---------------------


def _sharding_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("\n### Splitting a fleet audit between jobs\n", 1)[1].split("\n## ", 1)[0]


def test_readme_ci_matrix_snippets_validate_and_use_the_workflow_s_inputs(tmp_path: Path) -> None:
    import yaml

    github, gitlab = re.findall(r"^```yaml\n(.*?)^```$", _sharding_section(), flags=re.MULTILINE | re.DOTALL)
    checker = Path(sys.executable).with_name("check-jsonschema")
    for schema, text in (("vendor.github-workflows", github), ("vendor.gitlab-ci", gitlab)):
        (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
        done = subprocess.run([str(checker), "--builtin-schema", schema, str(tmp_path / "ci.yml")],
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "gitops-tools.yml").read_text(encoding="utf-8"))
    job = yaml.safe_load(github)["jobs"]["audit"]
    assert set(job["with"]) <= set(workflow[True]["workflow_call"]["inputs"])
    assert job["with"]["extra-args"] == "--shard ${{ matrix.shard }}/" + str(len(job["strategy"]["matrix"]["shard"]))
    template = yaml.safe_load((ROOT / "ci" / "gitops-tools.gitlab-ci.yml").read_text(encoding="utf-8"))
    lint_job = yaml.safe_load(gitlab)["gitops-tools-lint"]
    assert "gitops-tools-lint" in template
    assert lint_job["variables"]["GITOPS_TOOLS_EXTRA_ARGS"] == "--shard $CI_NODE_INDEX/$CI_NODE_TOTAL"


@pytest.mark.slow
def test_readme_merge_command_gives_the_unsharded_findings_in_order(corpus: Path, tmp_path: Path) -> None:
    jq = shutil.which("jq")
    if jq is None:
        unavailable("jq is not installed")
    (command,) = re.findall(r"^\$ (jq .*)$", _sharding_section(), flags=re.MULTILINE)
    for index in (1, 2, 3):
        done = _lint(corpus, ".", "--format", "json", "--shard", f"{index}/3", "--output",
                     str(tmp_path / f"gitops-tools-{index}.json"))
        assert done.returncode == 1, done.stderr.decode()
    subprocess.run(["bash", "-c", command], cwd=tmp_path, check=True, timeout=60)
    whole = json.loads(_lint(corpus, ".", "--format", "json").stdout)["findings"]
    assert json.loads((tmp_path / "gitops-tools.json").read_text(encoding="utf-8")) == {"findings": whole}
