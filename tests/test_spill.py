"""A large run keeps its per-file results in a temporary file (gitops_tools/pipeline/spill.py): it reports exactly
what a run that keeps them in memory reports, with every option, in every format."""

from __future__ import annotations

import io
import json
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gitops_tools.baseline import write
from gitops_tools.config import Config, load_config
from gitops_tools.errors import GitopsToolsError
from gitops_tools.findings import Finding, LintResult
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Location, Policy, Severity
from gitops_tools.pipeline import spill
from gitops_tools.pipeline.shard import Shard
from gitops_tools.pipeline.spill import Spill, SpilledFindings, SpillFile
from gitops_tools.reporters import Style, available_formats, get_format

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from corpus import generate, generate_cross_file

KEPT = 10**9  # never spills
WORKFLOWS = Path(__file__).parent / "fixtures" / "github-actions" / "bad" / ".github"
GIT = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com"]
EXTRA_FILES = {
    "bad/syntax.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n",
    "bad/duplicate.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n",
    "bad/suppressed.yaml": "# gitops-tools: disable-file yaml-duplicate-key, no-such-policy\na: 1\na: 2\n",
    "bad/exempt.yaml": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations:\n"
                       "    gitops-tools.io/exempt: container-image-tag-not-latest\n"
                       "spec: {containers: [{name: c, image: 'nginx:latest'}]}\n",
    # The config has a finding of its own (an entry naming no policy), and one as a linted file (a stale suppression):
    # two blocks of one path, merged.
    ".gitops-tools.yaml": "# gitops-tools: disable-file yaml-syntax\n"
                          "policies:\n  no-such-policy:\n    enabled: false\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A committed repository of generated manifests, files with cross-file findings, files that cannot be checked,
    suppressions, exemptions and GitHub workflows; then two files changed and one added since the commit."""
    root = tmp_path_factory.mktemp("spill")
    generate(root / "fleet", files=40, seed=3)
    generate_cross_file(root / "cross", 3)
    for name, text in EXTRA_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    shutil.copytree(WORKFLOWS, root / ".github")  # findings of an external analyser (zizmor) too
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    for argv in (["add", "--all"], ["commit", "-q", "-m", "base"]):
        subprocess.run([*GIT, *argv], cwd=root, check=True)
    for number in (1, 2):
        path = root / "fleet" / f"team-{number:02d}" / f"service-{number:04d}.yaml"
        path.write_text(path.read_text().replace("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false")
                        .replace("runAsNonRoot: true", "runAsNonRoot: false"), encoding="utf-8")
    (root / "cross" / "twice-0" / "c.yaml").write_text(  # a third copy, beside two unchanged ones (context)
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings-0, namespace: cross-0}\n", encoding="utf-8")
    return root


def _both(repo: Path, policies: dict[str, Policy], monkeypatch: pytest.MonkeyPatch, paths: tuple[str, ...] = (".",),
          stdin: bytes | None = None, **options: Any) -> tuple[LintResult, LintResult]:
    monkeypatch.chdir(repo)
    config = load_config(repo / ".gitops-tools.yaml", repo)
    runs = []
    for above in (KEPT, 0):
        runs.append(lint(list(paths), config, policies, LintOptions(spill_above=above, **options),
                         stdin=io.BytesIO(stdin) if stdin is not None else None))
    return runs[0], runs[1]


def _reports(result: LintResult) -> dict[str, str]:
    reports = {}
    for name in available_formats():
        stream = io.StringIO()
        get_format(name).report(result, stream, Style())
        reports[name] = stream.getvalue()
    return reports


def _assert_same(kept: LintResult, spilled: LintResult) -> None:
    assert isinstance(kept.findings, list) and isinstance(spilled.findings, SpilledFindings)
    assert list(spilled.findings) == kept.findings and len(kept.findings) > 5
    assert (spilled.files, spilled.documents, spilled.fixed, spilled.paths, spilled.changed_lines, spilled.skipped) \
        == (kept.files, kept.documents, kept.fixed, kept.paths, kept.changed_lines, kept.skipped)
    assert _reports(spilled) == _reports(kept)


OPTIONS = {
    "serial": {},
    "two processes": {"jobs": 2},
    "threshold": {"severity_threshold": Severity.WARNING},
    "shard 1/2": {"shard": Shard(1, 2)},
    "shard 2/2": {"shard": Shard(2, 2), "jobs": 2},
    "changed since": {"changed_since": "HEAD"},
    "diff lines": {"changed_since": "HEAD", "diff_lines": True},
}


@pytest.mark.parametrize("options", OPTIONS.values(), ids=OPTIONS.keys())
def test_a_spilled_run_reports_what_a_kept_run_reports(repo: Path, policies: dict[str, Policy],
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       options: dict[str, Any]) -> None:
    kept, spilled = _both(repo, policies, monkeypatch, **options)
    _assert_same(kept, spilled)
    on_config = {f.policy_id for f in kept.findings if f.location.path == ".gitops-tools.yaml"}
    assert on_config == {"exemption-unknown-policy", "suppression-unused"} or options  # both, in an unfiltered run
    cross = {f.policy_id for f in kept.findings} & {"service-selector-matches-pods", "manifest-identity-unique-in-unit"}
    assert cross or "shard" in str(options), "the workspace checks found something to get right"
    analysed = [f for f in kept.findings if policies[f.policy_id].analyser is not None]
    assert analysed or "changed_since" in options or "shard" in str(options), "so did the analyser"


def test_a_spilled_run_subtracts_a_baseline_as_a_kept_run_does(repo: Path, policies: dict[str, Policy],
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    whole, _ = _both(repo, policies, monkeypatch)
    gone = Finding("yaml-syntax", Severity.ERROR, "fixed since", Location("fleet/team-00/service-0000.yaml"),
                   "0" * 32, "fleet/team-00/service-0000.yaml")
    with (tmp_path / "baseline.json").open("w", encoding="utf-8") as stream:
        write([*whole.findings[::2], gone], stream)  # every other finding is new; one recorded finding is fixed
    kept, spilled = _both(repo, policies, monkeypatch, baseline=tmp_path / "baseline.json")
    _assert_same(kept, spilled)
    assert kept.fixed == 1 and len(kept.findings) == len(whole.findings) // 2


@pytest.mark.parametrize("name", [None, "fleet/team-00/piped.yaml"])
def test_standard_input_keeps_its_place_in_a_spilled_run(repo: Path, policies: dict[str, Policy],
                                                         monkeypatch: pytest.MonkeyPatch, name: str | None) -> None:
    text = (repo / "fleet" / "team-03" / "service-0003.yaml").read_bytes()
    kept, spilled = _both(repo, policies, monkeypatch, ("fleet", "-"), text, stdin_filename=name)
    _assert_same(kept, spilled)
    assert any(f.location.path == (name or "<stdin>") for f in kept.findings)


def test_a_run_spills_above_its_number_of_files(repo: Path, policies: dict[str, Policy],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    config = Config(root=repo)
    files = lint(["fleet"], config, policies, LintOptions(spill_above=KEPT)).files
    at = lint(["fleet"], config, policies, LintOptions(spill_above=files))
    above = lint(["fleet"], config, policies, LintOptions(spill_above=files - 1))
    assert isinstance(at.findings, list) and isinstance(above.findings, SpilledFindings)
    assert LintOptions().spill_above == spill.SPILL_ABOVE_FILES


# --- the spill itself ------------------------------------------------------------------------------------------------

def _finding(number: int) -> Finding:
    return Finding("yaml-syntax", Severity.ERROR, f"problem {number}", Location(f"f{number // 3}.yaml", number))


def test_spilled_findings_are_a_sequence_equal_to_the_list_of_the_same_findings() -> None:
    blocks = Spill(SpillFile())
    sizes = [3, 1, 5]
    findings = [_finding(number) for number in range(sum(sizes))]
    for start, size in zip([0, 3, 4], sizes, strict=True):
        blocks.append(tuple(findings[start:start + size]))
    indexes = [0, 1, 2]
    spilled = SpilledFindings(blocks, indexes, sizes)
    assert len(spilled) == 9 and list(spilled) == list(spilled) == findings  # read again on each pass
    assert spilled == findings and findings == spilled and spilled != findings[:-1] and spilled != set(findings)
    assert [spilled[index] for index in range(-9, 9)] == findings + findings
    assert spilled[2:7] == findings[2:7] and spilled[::-4] == findings[::-4]
    for wrong in (9, -10):
        with pytest.raises(IndexError):
            spilled[wrong]
    reordered = SpilledFindings(blocks, indexes[::-1], sizes[::-1])
    assert list(reordered) == findings[4:] + findings[3:4] + findings[:3]


SPILL_PROBE = """
import json, sys
from pathlib import Path
from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.policies import load_policies
result = lint(["pod.yaml"], Config(root=Path.cwd()), load_policies(), LintOptions(spill_above=int(sys.argv[1])))
print(json.dumps(["gitops_tools.pipeline.spill" in sys.modules, type(result.findings).__name__]))
"""


@pytest.mark.parametrize(("above", "spills"), [(1, [False, "list"]), (0, [True, "SpilledFindings"])])
def test_a_small_run_does_not_even_import_the_spill(tmp_path: Path, above: int, spills: list[object]) -> None:
    """A one-file run (pre-commit) pays for every module it imports."""
    (tmp_path / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", SPILL_PROBE, str(above)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=True)
    assert json.loads(done.stdout) == spills


def test_values_are_read_back_whole_before_during_and_after_each_write_of_the_buffer() -> None:
    """Values straddle the write buffer's flushes: some are still in memory, some in the file, some in both."""
    values: Spill[bytes] = Spill(SpillFile())
    written = [bytes([number % 251]) * (number * 997 % 70_000) for number in range(120)]  # about 4 MiB
    for number, value in enumerate(written):
        values.append(value)
        assert values[number] == value and values[number // 2] == written[number // 2]
    assert list(values) == written


def test_a_temporary_file_that_cannot_be_written_is_a_clear_error() -> None:
    """Writes past the file size limit fail as a full disk would (EFBIG instead of ENOSPC)."""
    values: Spill[bytes] = Spill(SpillFile())
    limit = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # else the process is killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, limit[1]))
    try:
        with pytest.raises(GitopsToolsError, match=r"temporary file, which could not be written in .*: File too large"
                                                   r"; set TMPDIR to a folder with free space"):
            for _ in range(8):
                values.append(b"x" * (1 << 19))
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limit)
        signal.signal(signal.SIGXFSZ, previous)
