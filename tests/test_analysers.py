"""External analysers (gitops_tools/analysers/): zizmor's results become our findings, under our ids, at its
positions; the tool runs once per run, offline, bounded; a missing tool is a clear error."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from conftest import CliRun

from gitops_tools import analysers
from gitops_tools.analysers import _process, analyser_names
from gitops_tools.config import Config
from gitops_tools.errors import AnalyserError, PolicyError
from gitops_tools.lint import LintOptions, lint
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies

FIXTURES = Path(__file__).parent / "fixtures" / "github-actions"
ZIZMOR_VERSION = "1.32.0"
# Every audit zizmor 1.32.0 has (https://docs.zizmor.sh/audits/). Those no policy maps are ignored: each is listed
# here with why, so that an upgrade of zizmor (which fails test_zizmor_is_the_version_whose_audits_are_listed) makes
# someone read the new audits and map or list them.
ZIZMOR_UNMAPPED = {
    "adhoc-packages": "installs packages without a lockfile; a build concern, not the golden path's",
    "anonymous-definition": "pedantic persona only (unnamed workflows)",
    "archived-uses": "online: needs the GitHub API",
    "concurrency-limits": "pedantic persona only; our workflow-deploy-concurrency-set is about deploy workflows",
    "dependabot-cooldown": "dependabot.yml is not a file of this domain",
    "dependabot-execution": "dependabot.yml is not a file of this domain",
    "forbidden-uses": "needs zizmor's own configuration, which we do not read",
    "github-app": "not yet mapped",
    "impostor-commit": "online: needs the GitHub API",
    "insecure-url-scheme": "not yet mapped",
    "known-vulnerable-actions": "online: needs the GitHub advisory database",
    "misfeature": "not yet mapped",
    "obfuscation": "not yet mapped",
    "ref-confusion": "online: needs the GitHub API",
    "ref-version-mismatch": "online: needs the GitHub API",
    "secrets-outside-env": "not yet mapped",
    "self-hosted-runner": "auditor persona only",
    "self-repository": "a style of referring to local actions, not a security concept",
    "stale-action-refs": "online: needs the GitHub API",
    "superfluous-actions": "not yet mapped",
    "typosquat-uses": "not yet mapped",
    "undocumented-permissions": "pedantic persona only",
    "unpinned-tools": "not yet mapped",
    "unsound-condition": "not yet mapped",
    "unsound-contains": "not yet mapped",
    "unsound-ternary": "not yet mapped",
    "use-trusted-publishing": "not yet mapped",
}


def zizmor_policies(catalogue: dict[str, Policy]) -> dict[str, str]:
    """zizmor audit -> our policy id."""
    return {p.analyser.rule: p.id for p in catalogue.values() if p.analyser is not None and p.analyser.tool == "zizmor"}


def zizmor_binary(external_tool: Callable[[str], str]) -> str:
    return external_tool("zizmor")


def test_analysers_are_found_by_listing_their_folder() -> None:
    assert "zizmor" in analyser_names()
    assert callable(analysers.analyser("zizmor").analyse)


def test_zizmor_is_the_version_whose_audits_are_listed(external_tool: Callable[[str], str]) -> None:
    version = subprocess.run([zizmor_binary(external_tool), "--version"], capture_output=True, text=True,
                             check=True, timeout=60).stdout.split()
    assert version == ["zizmor", ZIZMOR_VERSION], "zizmor was upgraded: review its audits, then update this test"


def test_every_zizmor_audit_is_mapped_to_one_policy_or_listed_as_left_out(policies: dict[str, Policy]) -> None:
    mapped = zizmor_policies(policies)
    zizmors = [p for p in policies.values() if p.analyser is not None and p.analyser.tool == "zizmor"]
    assert len(mapped) == len(zizmors), "one audit, one policy"  # (hadolint's: tests/test_hadolint.py)
    assert not set(mapped) & set(ZIZMOR_UNMAPPED)
    assert {"excessive-permissions", "unpinned-uses", "template-injection", "dangerous-triggers", "artipacked",
            "secrets-inherit"} <= set(mapped)


def _bad_findings(cwd: Path, **options: object) -> list[tuple[str, int, int, str]]:
    result = lint([str(FIXTURES / "bad")], Config(root=FIXTURES / "bad"), load_policies(),
                  LintOptions(**options))  # type: ignore[arg-type]
    return [(Path(f.location.path).name, f.location.line, f.location.col, f.policy_id) for f in result.findings
            if f.policy_id in zizmor_policies(load_policies()).values() and Path(f.location.path).name == "ci.yml"]


BAD_ZIZMOR = [
    ("ci.yml", 1, 1, "workflow-permissions-least-privilege"),  # no permissions: block (the release job)
    ("ci.yml", 3, 3, "workflow-trigger-not-dangerous"),
    ("ci.yml", 8, 5, "workflow-permissions-least-privilege"),
    ("ci.yml", 10, 9, "checkout-credentials-not-persisted"),
    ("ci.yml", 10, 15, "uses-pinned-by-sha"),
    ("ci.yml", 14, 32, "run-no-expression-injection"),
    ("ci.yml", 16, 3, "workflow-permissions-least-privilege"),
    ("ci.yml", 17, 11, "reusable-workflow-secrets-explicit"),
]


def test_zizmor_results_are_findings_at_the_tools_positions(tmp_path: Path) -> None:
    assert _bad_findings(tmp_path) == BAD_ZIZMOR


def test_the_good_fixture_has_no_analyser_finding(policies: dict[str, Policy]) -> None:
    result = lint([str(FIXTURES / "good")], Config(root=FIXTURES / "good"), policies, LintOptions())
    assert result.findings == []
    assert result.files == 2


def test_differential_our_findings_agree_with_zizmor_run_directly(external_tool: Callable[[str], str],
                                                                 policies: dict[str, Policy]) -> None:
    """For every audit we map, zizmor's own verdict on the fixtures (run as its users run it, offline) is ours."""
    mapped = zizmor_policies(policies)
    for verdict in ("good", "bad"):
        folder = FIXTURES / verdict
        out = subprocess.run([zizmor_binary(external_tool), "--offline", "--no-config", "--format", "json-v1",
                              "--no-exit-codes", "."], cwd=folder, capture_output=True, text=True, check=True,
                             timeout=120).stdout
        theirs = sorted(
            (Path(place["symbolic"]["key"]["Local"]["verbatim_path"]).name,
             place["concrete"]["location"]["start_point"]["row"] + 1,
             place["concrete"]["location"]["start_point"]["column"] + 1, mapped[item["ident"]])
            for item in json.loads(out) if item["ident"] in mapped
            for place in item["locations"][:] if place["symbolic"]["kind"] == "Primary")
        result = lint([str(folder)], Config(root=folder), policies, LintOptions())
        ours = sorted((Path(f.location.path).name, f.location.line, f.location.col, f.policy_id)
                      for f in result.findings if f.policy_id in mapped.values())
        assert ours == theirs, verdict
        assert bool(theirs) == (verdict == "bad")


def test_zizmor_runs_once_per_run_under_jobs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                             policies: dict[str, Policy]) -> None:
    """The pool's workers evaluate the files; the tool runs once, in the run's process, over all of them."""
    for index in range(120):  # enough files for the pool to fork its workers
        (tmp_path / f"repo{index}" / ".github" / "workflows").mkdir(parents=True)
        shutil.copy(FIXTURES / "bad" / ".github" / "workflows" / "ci.yml", tmp_path / f"repo{index}" / ".github" /
                    "workflows" / "ci.yml")
    calls: list[int] = []
    real = analysers.analyser("zizmor").analyse

    def counted(files: Sequence[Path], timeout: float) -> list[analysers.ToolResult]:
        calls.append(len(files))
        return real(files, timeout)

    monkeypatch.setattr(analysers.analyser("zizmor"), "analyse", counted)
    result = lint([str(tmp_path)], Config(root=tmp_path), policies, LintOptions(jobs=2))
    assert calls == [120]
    assert sum(f.policy_id == "uses-pinned-by-sha" for f in result.findings) == 120


def test_analyser_findings_obey_suppressions_and_exit_code(run_cli: CliRun, tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path, dirs_exist_ok=True)
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    text = workflow.read_text(encoding="utf-8").replace(
        "      - uses: actions/checkout@v4\n",
        "      # gitops-tools: disable-next-line uses-pinned-by-sha -- pinned by the org's ruleset\n"
        "      - uses: actions/checkout@v4\n")
    workflow.write_text(text, encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", "uses-pinned-by-sha,checkout-credentials-not-persisted",
                           ".github/workflows/ci.yml")
    assert code == 1
    assert "uses-pinned-by-sha" not in out
    assert ".github/workflows/ci.yml:11:9: warning [checkout-credentials-not-persisted]" in out


def test_a_rule_no_policy_maps_is_ignored(lint_text: Callable[..., object]) -> None:
    text = ("on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    timeout-minutes: 5\n    steps:\n"
            "      - uses: ./.github/actions/setup\n")  # zizmor's self-repository audit, unmapped
    result = lint_text(text, ".github/workflows/ci.yml")
    assert result.findings == []  # type: ignore[attr-defined]


def test_a_missing_tool_is_a_clear_error(run_cli: CliRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path, dirs_exist_ok=True)
    monkeypatch.setattr(_process.sysconfig, "get_path", lambda name: str(tmp_path / "no-scripts"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    code, out, err = run_cli("lint", ".github/workflows/ci.yml")
    assert code == 2
    assert err == "gitops-tools: error: zizmor is not installed, and policies of this run need it: pip install " \
                  "zizmor==1.32.0\n"
    assert out == ""


def test_a_run_without_workflows_needs_no_tool(run_cli: CliRun, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {}\n", "utf-8")
    monkeypatch.setattr(_process.sysconfig, "get_path", lambda name: str(tmp_path / "no-scripts"))
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    code, _, err = run_cli("lint", "cm.yaml")
    assert (code, err) == (0, "")
    imported = _imported_by_a_lint_of(tmp_path / "cm.yaml").split()
    assert "gitops_tools.lint" in imported
    assert "gitops_tools.analysers.zizmor" not in imported


def _imported_by_a_lint_of(path: Path) -> str:
    code = ("import sys; from gitops_tools.cli import main; main(['lint', sys.argv[1]]); "
            "print('\\n'.join(sorted(sys.modules)))")
    return subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=False,
                          timeout=120).stdout


def test_a_tool_that_outlives_its_timeout_is_stopped() -> None:
    with pytest.raises(AnalyserError, match=r"did not finish within 0\.5 s"):
        _process.run(["sleep", "30"], 0.5)


def test_a_tool_whose_output_exceeds_the_bound_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_process, "MAX_OUTPUT_BYTES", 4096)
    with pytest.raises(AnalyserError, match="wrote more than"):
        _process.run(["yes"], 30)


def test_the_tool_gets_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("GH_TOKEN", "ghp_secret")
    output = _process.run(["env"], 30)
    assert b"ghp_secret" not in output.stdout
    assert output.status == 0


def test_a_policy_naming_an_unknown_analyser_is_refused_at_its_line(tmp_path: Path) -> None:
    source = (FIXTURES.parent.parent.parent / "schemas" / "policies" / "github-actions" / "uses-pinned-by-sha.yaml")
    text = source.read_text(encoding="utf-8").replace("id: uses-pinned-by-sha", "id: my-pinned").replace(
        "tool: zizmor", "tool: nosuchtool")
    (tmp_path / "my-pinned.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError, match="unknown analyser 'nosuchtool'; analysers are: hadolint, zizmor") as caught:
        load_policies([tmp_path])
    assert caught.value.location is not None
    assert caught.value.location.line == text.splitlines().index(
        next(line for line in text.splitlines() if line.startswith("analyser:"))) + 1
