"""`lint --write-baseline FILE` and `lint --baseline FILE`: record today's findings, then report only new ones.

Fingerprints ignore line numbers and follow the offending content; the baseline is a multiset of them.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path

import git
import pytest
from conftest import CliRun, FileWriter

from gitops_tools import __version__

ProcessRun = Callable[..., subprocess.CompletedProcess[str]]

MEMORY, TAG, PRIVILEGED = "container-memory-limit-set", "container-image-tag-not-latest", "container-not-privileged"
SELECT = f"{MEMORY},{TAG},{PRIVILEGED}"

# `app` has no memory limit and runs privileged (7:7, 10:9); `side` uses the latest tag (12:7) and nothing else.
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
    - name: side
      image: busybox:latest
      resources:
        limits:
          memory: 64Mi
"""
DB = POD.replace("name: web", "name: db")
MANIFESTS = {"manifests/web.yaml": POD, "manifests/db.yaml": DB}
CLEAN = "No findings (2 files, 2 documents, 3 policies)."
EXTRA_CONTAINER = """\
    - name: extra
      image: envoy:1.30
      resources: {limits: {memory: 32Mi}}
"""


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def baselined(write_files: FileWriter, run_cli: CliRun) -> Callable[[Mapping[str, str]], CliRun]:
    """Write MANIFESTS, record baseline.json from them, apply `edits`; return a runner with the baseline on."""

    def setup(edits: Mapping[str, str]) -> CliRun:
        write_files(MANIFESTS)
        assert run_cli("lint", "--select", SELECT, "--write-baseline", "baseline.json", "manifests")[0] == 0
        write_files(edits)
        return lambda *argv: run_cli("lint", "--select", SELECT, "--baseline", "baseline.json", *argv, "manifests")

    return setup


def test_write_baseline_records_sorted_fingerprints(write_files: FileWriter, run_cli: CliRun, tmp_path: Path) -> None:
    write_files(MANIFESTS)

    written = run_cli("lint", "--select", SELECT, "--write-baseline", "baseline.json", "manifests")
    report = run_cli("lint", "--format", "json", "--select", SELECT, "manifests")

    assert written == (0, "Baseline of 6 finding(s) written to baseline.json.\n", "")
    assert report[0] == 1
    text = (tmp_path / "baseline.json").read_text(encoding="utf-8")
    expected = sorted(({"fingerprint": f["fingerprint"], "policy_id": f["policy_id"], "path": f["path"],
                        "file": f["path"], "message": f["message"]} for f in json.loads(report[1])["findings"]),
                      key=lambda entry: (entry["path"], entry["policy_id"], entry["fingerprint"]))
    document = {"version": 1, "tool": f"gitops-tools {__version__}", "findings": expected}
    assert text == json.dumps(document, indent=2) + "\n"
    assert [(e["path"], e["policy_id"]) for e in expected] == [
        ("manifests/db.yaml", TAG), ("manifests/db.yaml", MEMORY), ("manifests/db.yaml", PRIVILEGED),
        ("manifests/web.yaml", TAG), ("manifests/web.yaml", MEMORY), ("manifests/web.yaml", PRIVILEGED),
    ]
    assert len({e["fingerprint"] for e in expected}) == 6
    assert all(len(e["fingerprint"]) == 32 and int(e["fingerprint"], 16) >= 0 for e in expected)
    assert _names(tmp_path) == ["baseline.json", "manifests"]  # atomic: no temporary file left


def test_write_baseline_replaces_a_file_and_creates_folders(write_files: FileWriter, run_cli: CliRun,
                                                           tmp_path: Path) -> None:
    write_files({**MANIFESTS, "out/nested/baseline.json": "old\n"})
    assert run_cli("lint", "--select", TAG, "--write-baseline", "out/nested/baseline.json", "manifests") == (
        0, "Baseline of 2 finding(s) written to out/nested/baseline.json.\n", "")
    assert run_cli("lint", "--select", TAG, "--write-baseline", "new/dir/b.json", "manifests")[0] == 0
    assert json.loads((tmp_path / "out/nested/baseline.json").read_text())["version"] == 1
    assert _names(tmp_path / "out/nested") == ["baseline.json"]
    assert _names(tmp_path / "new/dir") == ["b.json"]


def test_write_baseline_onto_a_folder_fails_cleanly(write_files: FileWriter, run_cli: CliRun, tmp_path: Path) -> None:
    """A path that cannot be written is a usage error (exit 2, one line), not an internal error; nothing is left."""
    write_files({**MANIFESTS, "taken/keep.txt": "x\n"})

    code, out, err = run_cli("lint", "--select", SELECT, "--write-baseline", "taken", "manifests")

    assert (code, out) == (2, "")
    assert err.startswith("gitops-tools: error: ")
    assert "taken" in err
    assert "internal error" not in err
    assert err.count("\n") == 1
    assert _names(tmp_path) == ["manifests", "taken"]
    assert _names(tmp_path / "taken") == ["keep.txt"]


def test_the_baseline_hides_what_it_recorded(baselined: Callable[[Mapping[str, str]], CliRun]) -> None:
    assert baselined({})() == (0, CLEAN + "\n", "")


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param({"manifests/web.yaml": "# owned by the web team\n# do not edit by hand\n\n" + POD},
                     id="comments-above"),
        pytest.param({"manifests/web.yaml": POD.replace("  name: web\n", "  name: web\n  labels:\n    tier: front\n")},
                     id="labels-inserted-above-the-containers"),
        pytest.param({"manifests/web.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n---\n" + POD},
                     id="a-document-inserted-above"),
        pytest.param({"manifests/web.yaml": POD + EXTRA_CONTAINER}, id="a-clean-container-appended"),
        pytest.param({"manifests/web.yaml": POD.replace("  name: web\n", "  name: web\n  # note\n"),
                      "manifests/db.yaml": DB.replace("busybox:latest", "busybox:latest  # still to pin")},
                     id="comments-beside-the-findings"),
    ],
)
def test_edits_around_findings_report_nothing(baselined: Callable[[Mapping[str, str]], CliRun],
                                              edits: dict[str, str]) -> None:
    documents = sum(text.count("kind:") for text in {**MANIFESTS, **edits}.values())
    assert baselined(edits)() == (0, f"No findings (2 files, {documents} documents, 3 policies).\n", "")


@pytest.mark.parametrize(
    "edits",
    [
        pytest.param({"manifests/web.yaml": POD.replace("nginx:1.27", "nginx:1.28")}, id="image-bumped"),
        pytest.param({"manifests/web.yaml": POD.replace("  containers:\n", "  containers:\n" + EXTRA_CONTAINER)},
                     id="a-clean-container-inserted-first"),
    ],
)
def test_edits_that_leave_a_containers_findings_alone_report_nothing(
        baselined: Callable[[Mapping[str, str]], CliRun], edits: dict[str, str]) -> None:
    """Bumping `app`'s image does not give it a memory limit; a new container first does not change the others.

    The finding is "container `app` has no memory limit": its fingerprint should follow the container's name and the
    missing field, not the whole container's content nor its index in the list.
    """
    assert baselined(edits)() == (0, CLEAN + "\n", "")


@pytest.mark.parametrize(
    ("edits", "new", "fixed"),
    [
        pytest.param({"manifests/web.yaml": POD.replace("busybox:latest", "redis:latest")},
                     f"manifests/web.yaml:12:7: error [{TAG}] container image uses the latest tag", 1,
                     id="a-different-latest-image"),
        pytest.param({"manifests/web.yaml": POD + EXTRA_CONTAINER + "      securityContext: {privileged: true}\n"},
                     f"manifests/web.yaml:19:25: error [{PRIVILEGED}] container runs privileged", 0,
                     id="a-different-privileged-container"),
        pytest.param({"manifests/copy.yaml": POD.replace("nginx:1.27", "nginx:1.27  # a copy of web")},
                     "", 0, id="the-same-findings-in-another-file"),
    ],
)
def test_a_changed_offending_value_is_a_new_finding(baselined: Callable[[Mapping[str, str]], CliRun],
                                                    edits: dict[str, str], new: str, fixed: int) -> None:
    code, out, err = baselined(edits)()
    lines = out.splitlines()
    if not new:  # a file's path is part of its findings' fingerprints: a copy's findings are all new
        assert [line.split(": ")[0] for line in lines[:-1]] == ["manifests/copy.yaml:7:7", "manifests/copy.yaml:10:9",
                                                                "manifests/copy.yaml:12:7"]
        assert (code, lines[-1], err) == (1, "Found 3 findings: 3 errors (3 files, 3 documents, 3 policies).", "")
        return
    fixed_text = " 1 baseline finding fixed." if fixed else ""
    assert (code, err) == (1, "")
    assert lines == [new, f"Found 1 finding: 1 error (2 files, 2 documents, 3 policies).{fixed_text}"]


def test_fixed_findings_are_counted(baselined: Callable[[Mapping[str, str]], CliRun]) -> None:
    run = baselined({"manifests/web.yaml": POD.replace("busybox:latest", "busybox:1.36")})
    assert run() == (0, "No findings (2 files, 2 documents, 3 policies). 1 baseline finding fixed.\n", "")


def test_fixed_findings_are_counted_beside_new_ones(baselined: Callable[[Mapping[str, str]], CliRun]) -> None:
    run = baselined({"manifests/web.yaml": POD.replace("busybox:latest", "busybox:1.36"), "manifests/db.yaml": ""})
    code, out, err = run()
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        "manifests/db.yaml:1:1: warning [file-empty] empty file",
        "Found 1 finding: 1 warning (2 files, 1 document, 3 policies). 4 baseline findings fixed.",
    ]


def test_the_baseline_is_a_multiset(write_files: FileWriter, run_cli: CliRun) -> None:
    """The same document twice in a file gives the same fingerprint twice: one recorded copy hides one of them."""
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: dup}\nspec:\n  containers: [{name: a, image: 'a:latest'}]\n"
    write_files({"dup.yaml": pod})
    assert run_cli("lint", "--select", TAG, "--write-baseline", "one.json", "dup.yaml")[0] == 0
    write_files({"dup.yaml": pod + "---\n" + pod})
    assert run_cli("lint", "--select", TAG, "--write-baseline", "two.json", "dup.yaml")[0] == 0

    assert run_cli("lint", "--select", TAG, "--baseline", "one.json", "dup.yaml") == (1, (
        f"dup.yaml:11:26: error [{TAG}] container image uses the latest tag\n"
        "Found 1 finding: 1 error (1 file, 2 documents, 1 policy).\n"), "")
    assert run_cli("lint", "--select", TAG, "--baseline", "two.json", "dup.yaml") == (
        0, "No findings (1 file, 2 documents, 1 policy).\n", "")
    write_files({"dup.yaml": pod})
    assert run_cli("lint", "--select", TAG, "--baseline", "two.json", "dup.yaml") == (
        0, "No findings (1 file, 1 document, 1 policy). 1 baseline finding fixed.\n", "")


def test_the_baseline_does_not_depend_on_the_working_directory(baselined: Callable[[Mapping[str, str]], CliRun],
                                                               run_cli: CliRun, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorded from the repository root, applied from inside `manifests/` (as a developer in that folder would).

    Findings are shown relative to the working directory; fingerprints hash the path from the repository root
    (the git work tree), or every finding would look new.
    """
    git.Repo.init(tmp_path)
    baselined({})
    monkeypatch.chdir(tmp_path / "manifests")
    assert run_cli("lint", "--select", SELECT, "--baseline", "../baseline.json", ".") == (0, CLEAN + "\n", "")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"not json {", "baseline.json:1:1: baseline baseline.json is not valid JSON: Expecting value",
                     id="not-json"),
        pytest.param(b"[\n  1,\n  2,,\n]",
                     "baseline.json:3:5: baseline baseline.json is not valid JSON: Expecting value",
                     id="syntax-error-on-line-3"),
        pytest.param(b"\xff\xfe{}", "baseline baseline.json is not UTF-8 text (invalid start byte at byte 0)",
                     id="not-utf8"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "baseline baseline.json is not a gitops-tools baseline: it is "
                     "nested too deeply", id="nested-100000-deep"),
        pytest.param(b'{"version": ' + b"1" * 5000 + b"}", "baseline baseline.json is not a gitops-tools baseline: "
                     "Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; use "
                     "sys.set_int_max_str_digits() to increase the limit", id="integer-of-5000-digits"),
        pytest.param(b'{"version": 2, "findings": []}', "", id="wrong-version"),
        pytest.param(b'{"findings": []}', "", id="no-version"),
        pytest.param(b'{"version": 1}', "", id="no-findings"),
        pytest.param(b'{"version": 1, "findings": [{"policy_id": "x"}]}', "", id="entry-without-fingerprint"),
        pytest.param(b'{"version": 1, "findings": [{"fingerprint": 7}]}', "", id="fingerprint-not-a-string"),
        pytest.param(b'{"version": 1, "findings": ["abc"]}', "", id="entry-not-an-object"),
        pytest.param(b"[]", "", id="a-list"),
        pytest.param(None, "cannot read baseline baseline.json: No such file or directory", id="missing"),
    ],
)
def test_an_invalid_baseline_exits_2(write_files: FileWriter, run_cli: CliRun, content: bytes | None,
                                     message: str) -> None:
    write_files({**MANIFESTS, **({"baseline.json": content} if content is not None else {})})
    message = message or ("baseline baseline.json is not a gitops-tools baseline (version 1); write one with "
                          "--write-baseline")
    assert run_cli("lint", "--baseline", "baseline.json", "manifests") == (2, "", f"gitops-tools: error: {message}\n")


def test_an_empty_baseline_reports_everything(write_files: FileWriter, run_cli: CliRun) -> None:
    write_files({**MANIFESTS, "baseline.json": '{"version": 1, "findings": []}'})
    code, out, err = run_cli("lint", "--select", SELECT, "--baseline", "baseline.json", "manifests")
    assert (code, out.splitlines()[-1], err) == (1, "Found 6 findings: 6 errors (2 files, 2 documents, 3 policies).",
                                                 "")


def test_process_writes_and_applies_a_baseline(write_files: FileWriter, run_process: ProcessRun,
                                               tmp_path: Path) -> None:
    write_files(MANIFESTS)
    written = run_process("lint", "--select", SELECT, "--write-baseline", "baseline.json", "manifests")
    assert (written.returncode, written.stdout, written.stderr) == (
        0, "Baseline of 6 finding(s) written to baseline.json.\n", "")

    write_files({"manifests/web.yaml": "# moved down\n" + POD.replace("busybox:latest", "busybox:1.36")})
    applied = run_process("lint", "--select", SELECT, "--baseline", "baseline.json", "manifests")

    assert (applied.returncode, applied.stdout, applied.stderr) == (0, f"{CLEAN} 1 baseline finding fixed.\n", "")
    assert _names(tmp_path) == ["baseline.json", "manifests"]


def test_fixing_one_finding_does_not_make_its_siblings_new(write_files: FileWriter, run_cli: CliRun) -> None:
    """Missing-key findings are identified by their path: adding limits to a container keeps its other findings."""
    pod = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\nspec:\n  containers:\n    - name: c\n"
           "      image: nginx:1.27\n")
    write_files({"p.yaml": pod})
    assert run_cli("lint", "--write-baseline", "b.json", "p.yaml")[0] == 0
    write_files({"p.yaml": pod + "      resources: {limits: {memory: 128Mi}}\n      env: [{name: A, value: b}]\n"})
    code, out, _ = run_cli("lint", "--baseline", "b.json", "p.yaml")
    assert code == 0
    assert out.startswith("No findings (1 file, 1 document")
    assert out.rstrip().endswith("1 baseline finding fixed.")


def test_a_partial_run_counts_only_its_own_files_as_fixed(baselined: Callable[[Mapping[str, str]], CliRun],
                                                          run_cli: CliRun) -> None:
    baselined({})
    code, out, _ = run_cli("lint", "--select", SELECT, "--baseline", "baseline.json", "manifests/web.yaml")
    assert (code, out) == (0, "No findings (1 file, 1 document, 3 policies).\n")


def test_write_baseline_refuses_a_partial_run(write_files: FileWriter, run_cli: CliRun) -> None:
    write_files(MANIFESTS)
    code, _, err = run_cli("lint", "--write-baseline", "b.json", "--baseline", "b.json", "manifests")
    assert code == 2
    assert "do not combine it with --baseline or --changed-since" in err


def test_the_baseline_matches_from_outside_the_repository(write_files: FileWriter, run_cli: CliRun, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git.Repo.init(repo)
    write_files({f"repo/{name}": text for name, text in MANIFESTS.items()})
    monkeypatch.chdir(repo)
    assert run_cli("lint", "--select", SELECT, "--write-baseline", "../b.json", ".")[0] == 0
    monkeypatch.chdir(tmp_path)
    assert run_cli("lint", "--select", SELECT, "--baseline", "b.json", "repo") == (0, CLEAN + "\n", "")
