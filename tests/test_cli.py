"""The command line, in-process (`run_cli`) and as real processes: exit codes, output formats, subcommands."""

from __future__ import annotations

import gc
import io
import json
import os
import pty
import re
import subprocess
import sys
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from conftest import CliRun, FileWriter

from gitops_tools import __version__, arguments
from gitops_tools.cli import main
from gitops_tools.commands.lint import PROGRESS_MIN_FILES
from gitops_tools.model import Policy

ProcessRun = Callable[..., subprocess.CompletedProcess[str]]

TAG = "container-image-tag-not-latest"
PRIVILEGED = "container-not-privileged"
DIGEST = "container-image-pinned-by-digest"
DROP_ALL = "container-capabilities-drop-all"
FINDING_LINE = re.compile(
    r"^(?P<path>[^:\s]+):(?P<line>[1-9]\d*):(?P<col>[1-9]\d*): (?P<severity>error|warning|info) "
    r"\[(?P<id>[a-z][a-z0-9-]*)\] (?P<message>\S.*)$"
)
SUMMARY_LINE = re.compile(r"^(No findings|Found \d+ findings?: .+) \(\d+ files?, \d+ documents?, \d+ polic(y|ies)\)\.$")
ANSI = "\x1b["

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - {name: app, image: "app:latest", securityContext: {privileged: true}}
"""

CLEAN_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {app.kubernetes.io/name: web, app.kubernetes.io/instance: web-prod}
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: registry.example.com/web:1.4.2
      imagePullPolicy: Always
      resources:
        requests: {cpu: 100m, memory: 128Mi}
        limits: {cpu: 500m, memory: 256Mi}
      securityContext:
        allowPrivilegeEscalation: false
        readOnlyRootFilesystem: true
        capabilities: {drop: [ALL]}
      livenessProbe: {httpGet: {path: /healthz, port: 8080}}
      readinessProbe: {httpGet: {path: /ready, port: 8080}}
      startupProbe: {httpGet: {path: /healthz, port: 8080}}
"""

WARNINGS_ONLY_POD = CLEAN_POD.replace("        readOnlyRootFilesystem: true\n", "")
INFO_ONLY_POD = CLEAN_POD.replace("      imagePullPolicy: Always\n", "")
PULL = "container-image-pull-policy-always"
INFO_LINE = f"pod.yaml:13:7: info [{PULL}] container imagePullPolicy is not Always for a mutable image tag"


def _finding_lines(out: str) -> list[re.Match[str]]:
    """Every finding line of text output (all lines but the summary and what was skipped), each checked against the
    documented format."""
    *lines, summary = [line for line in out.splitlines() if not line.startswith("Skipped ")]
    assert SUMMARY_LINE.match(summary), summary
    matches = [FINDING_LINE.match(line) for line in lines]
    assert all(matches), lines
    return [match for match in matches if match]


# --- exit codes ------------------------------------------------------------------------------------------------------


def test_clean_file_exits_0(run_cli: CliRun, write_files: FileWriter, policies: dict[str, Policy]) -> None:
    write_files({"pod.yaml": CLEAN_POD})
    code, out, err = run_cli("lint", "pod.yaml")
    assert (code, err) == (0, "")
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    assert out == f"No findings (1 file, 1 document, {enabled} policies).\n"


def test_findings_exit_1(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    code, out, err = run_cli("lint", "pod.yaml")
    assert (code, err) == (1, "")
    assert {match["id"] for match in _finding_lines(out)} >= {TAG, PRIVILEGED}


@pytest.mark.parametrize(
    ("argv", "files", "says"),
    [
        pytest.param(["lint", "--bogus"], {}, "unrecognized arguments: --bogus", id="bad-flag"),
        pytest.param([], {}, "required", id="no-command"),
        pytest.param(["lint", "--format", "xml", "pod.yaml"], {}, "invalid choice", id="bad-format"),
        pytest.param(["lint", "--severity-threshold", "fatal"], {}, "invalid choice", id="bad-threshold"),
        pytest.param(["lint", "--select", "container-image-tag-not-latset", "pod.yaml"], {}, "matches no policy",
                     id="unknown-select-id"),
        pytest.param(["lint", "--select", f"{TAG},nope", "pod.yaml"], {}, "'nope'", id="unknown-id-in-list"),
        pytest.param(["lint", "--ignore", "zzz-*", "pod.yaml"], {}, "'zzz-*' matches no policy", id="ignore-glob"),
        pytest.param(["lint", "missing.yaml"], {}, "path not found: missing.yaml", id="missing-path"),
        pytest.param(["lint", "--config", "none.yaml", "pod.yaml"], {}, "config file not found", id="missing-config"),
        pytest.param(["lint", "pod.yaml"], {".gitops-tools.yaml": "exclude: []\nseverity_threshold: fatal\n"},
                     ".gitops-tools.yaml:2:1: invalid config", id="bad-config"),
        pytest.param(["lint", "pod.yaml"], {".gitops-tools.yaml": "exclude: [\n"}, ".gitops-tools.yaml:2:1: ",
                     id="config-not-yaml"),
        pytest.param(["rules", "--format", "json"], {}, "invalid choice", id="bad-rules-format"),
        pytest.param(["explain"], {}, "policy_id", id="explain-without-id"),
        pytest.param(["lint", "--fail-on", "fatal", "pod.yaml"], {}, "invalid choice", id="bad-fail-on"),
        pytest.param(["lint", "pod.yaml"], {".gitops-tools.yaml": "fail_on: never\n"},
                     '.gitops-tools.yaml:1:1: invalid config: fail_on: "never" is not one of', id="bad-config-fail-on"),
        pytest.param(["lint", "pod.yaml"], {".gitops-tools.yaml": "---\n---\npolicies: {}\n"},
                     ".gitops-tools.yaml:3:1: a config file holds one YAML document", id="config-two-documents"),
        pytest.param(["lint", "--select", "", "pod.yaml"], {}, "--select needs policy ids or globs", id="select-empty"),
        pytest.param(["lint", "--select", " , ", "pod.yaml"], {}, "--select needs policy ids", id="select-commas"),
        pytest.param(["lint", "--ignore", "", "pod.yaml"], {}, "--ignore needs policy ids or globs", id="ignore-empty"),
        pytest.param(["lint", "--ignore", "*", "pod.yaml"], {}, "no selected policy is left to run",
                     id="ignore-everything"),
        pytest.param(["lint", "--select", PRIVILEGED, "--ignore", PRIVILEGED, "pod.yaml"], {},
                     "no selected policy is left to run", id="select-and-ignore-the-same"),
        pytest.param(["lint", "--select", "container-*", "--ignore", "container-*", "pod.yaml"], {},
                     "no selected policy is left to run", id="select-and-ignore-the-same-glob"),
    ],
)
def test_usage_errors_exit_2_with_a_message_and_no_traceback(run_cli: CliRun, write_files: FileWriter,
                                                            argv: list[str], files: dict[str, str],
                                                            says: str) -> None:
    write_files({"pod.yaml": POD, **files})
    code, out, err = run_cli(*argv)
    assert code == 2
    assert out == ""
    assert says in err
    assert err.startswith("gitops-tools")
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(["--version"], f"gitops-tools {__version__}", id="version"),
        pytest.param(["--help"], "usage: gitops-tools", id="help"),
        pytest.param(["lint", "--help"], "--severity-threshold", id="lint-help"),
    ],
)
def test_version_and_help_return_0_and_write_to_the_given_stream(run_cli: CliRun, argv: list[str],
                                                                 says: str) -> None:
    """`main(argv, stdout, stderr) -> int` is the in-process contract: no SystemExit, no writes to sys.stdout."""
    code, out, err = run_cli(*argv)
    assert (code, err) == (0, "")
    assert says in out


@pytest.mark.parametrize("argv", [
    ["lint", "a.yaml", "b", "--format", "json", "--jobs", "2", "--select", "x,y", "--select", "z"],
    ["rules", "--check", "--policy-dir", "custom"],
    ["new", "service", "-o", "out", "--set", "name=web", "--no-git"],
    ["exemptions", ".", "--format", "json"],
    ["explain", TAG, "--config", "c.yaml"],
], ids=lambda argv: argv[0])
def test_a_command_line_parses_alike_with_its_subcommand_s_parser_alone(argv: list[str]) -> None:
    """`parse` builds the parser of the subcommand named first only (the one-file lint skips the others'); every
    subcommand's arguments come out as the parser of all of them makes them."""
    full = arguments.build_parser(io.StringIO())
    assert arguments.parse(argv, io.StringIO()) == full.parse_args(argv)
    assert vars(arguments.parse(argv, io.StringIO()))["command"] == argv[0]


def test_top_level_help_lists_every_subcommand_whatever_follows(run_cli: CliRun) -> None:
    listed = run_cli("--help")[1]
    assert all(name in listed for name in arguments.COMMANDS)
    assert run_cli("-h", "lint")[1] == listed


def test_lint_without_paths_lints_the_working_directory(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"apps/pod.yaml": POD})
    assert run_cli("lint", "--select", TAG) == run_cli("lint", "--select", TAG, ".")
    assert run_cli("lint", "--select", TAG)[1].startswith("apps/pod.yaml:6:19: error [container-image-tag-not-latest]")


# --- real processes --------------------------------------------------------------------------------------------------


def test_only_a_process_of_one_command_keeps_its_objects_from_the_collector(tmp_path: Path) -> None:
    """The console script (`run`, main(own_process=True)) freezes what its start-up made and, at the end, everything
    (the exit then neither walks nor tears it down); main() called in a longer-lived process, as here, freezes
    nothing: garbage frozen there would never be collected."""
    (tmp_path / "pod.yaml").write_text(CLEAN_POD, encoding="utf-8")
    before = gc.get_freeze_count()
    assert main(["lint", str(tmp_path / "pod.yaml")], io.StringIO(), io.StringIO()) == 0
    assert gc.get_freeze_count() == before
    probe = ("import gc, io, sys; from gitops_tools.cli import main; "
             "code = main(sys.argv[1:], io.StringIO(), io.StringIO(), own_process=True); "
             "print(code, gc.get_freeze_count() > 10_000)")
    done = subprocess.run([sys.executable, "-c", probe, "lint", "pod.yaml"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.split() == ["0", "True"]


def test_process_lints_a_file(run_process: Callable[..., subprocess.CompletedProcess[str]],
                              write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    done = run_process("lint", "--select", f"{TAG},{PRIVILEGED}", "pod.yaml")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout == (
        "pod.yaml:6:19: error [container-image-tag-not-latest] container image uses the latest tag\n"
        "pod.yaml:6:58: error [container-not-privileged] container runs privileged\n"
        "Found 2 findings: 2 errors (1 file, 1 document, 2 policies).\n"
    )


def test_process_reads_stdin(run_process: ProcessRun) -> None:
    done = run_process("lint", "--select", TAG, "-", stdin=POD)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[0] == f"<stdin>:6:19: error [{TAG}] container image uses the latest tag"


def test_process_reads_json_from_stdin(run_process: ProcessRun) -> None:
    text = '{"apiVersion": "v1", "kind": "Pod",\n "spec": {"containers": [{"image": "a:latest"}]}}'
    done = run_process("lint", "--select", TAG, "-", stdin=text)
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.startswith("<stdin>:2:27: error [container-image-tag-not-latest]")


def test_process_clean_stdin_exits_0(run_process: ProcessRun) -> None:
    done = run_process("lint", "-", stdin=CLEAN_POD)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("No findings (1 file, 1 document, ")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        pytest.param(["lint", "--select", "nope", "-"], "matches no policy", id="unknown-select"),
        pytest.param(["lint", "missing/"], "path not found", id="missing-path"),
        pytest.param(["frobnicate"], "invalid choice", id="unknown-command"),
    ],
)
def test_process_usage_error_exits_2_without_traceback(run_process: ProcessRun, argv: list[str], says: str) -> None:
    done = run_process(*argv, stdin="")
    assert done.returncode == 2
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""


def test_process_version(run_process: ProcessRun) -> None:
    done = run_process("--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"gitops-tools {__version__}")


def test_process_hostile_files_are_findings_not_crashes(run_process: ProcessRun, write_files: FileWriter) -> None:
    write_files({
        "binary.yaml": b"\x00\x01\x02",
        "latin.yaml": b"a: \xe9\n",
        "bom.yaml": b"\xef\xbb\xbfa: 1\n",
        "empty.yaml": b"",
        "deep.yaml": b"[" * 5000,
        "deep.json": b"[" * 5000 + b"]" * 5000,
        "broken.json": b'{"a": ',
        "dupes.yaml": b"a: 1\na: 2\n",
        "lol.yaml": b"a: &a [x, x, x, x, x, x, x, x, x, x]\n" + b"".join(
            f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n".encode() for i in range(8)),
    })
    done = run_process("lint", ".", timeout=30)
    assert (done.returncode, done.stderr) == (1, "")
    found = {(match["path"], match["id"]) for match in _finding_lines(done.stdout)}
    assert found == {
        ("binary.yaml", "file-binary"), ("latin.yaml", "file-encoding"), ("empty.yaml", "file-empty"),
        ("deep.yaml", "document-too-deep"), ("deep.json", "document-too-deep"), ("broken.json", "json-syntax"),
        ("dupes.yaml", "yaml-duplicate-key"), ("lol.yaml", "yaml-alias-limit"),
    }


# --- output formats and filters --------------------------------------------------------------------------------------


def test_json_output_has_the_documented_structure(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD, "ok.yaml": CLEAN_POD})
    code, out, _ = run_cli("lint", "--format", "json", "--select", f"{TAG},{PRIVILEGED},{DROP_ALL}", ".")
    document = json.loads(out)
    assert code == 1
    assert set(document) == {"version", "tool", "summary", "findings", "skipped", "notes"}
    assert document["skipped"] == []
    assert document["version"] == 1
    assert document["tool"] == {"name": "gitops-tools", "version": __version__}
    assert document["summary"] == {"files": 2, "documents": 2, "policies": 3, "findings": 3, "rendered": 0,
                                   "error": 2, "warning": 1, "info": 0}
    assert document["notes"] == []
    for record in document["findings"]:
        assert set(record) == {"path", "line", "column", "end_line", "end_column", "policy_id", "severity", "message",
                               "fingerprint", "repo_path", "document", "pointer", "detail", "overlays"}
        assert record["overlays"] == []
        assert record["path"] == record["repo_path"] == "pod.yaml" and record["document"] == 0
        assert record["pointer"].startswith("/spec/containers/0/") and record["detail"]
        assert re.fullmatch(r"[0-9a-f]{32}", record["fingerprint"])
    assert [(r["line"], r["column"], r["policy_id"]) for r in document["findings"]] == [
        (6, 19, TAG), (6, 40, DROP_ALL), (6, 58, PRIVILEGED)
    ]


def test_json_output_for_a_clean_run(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"ok.yaml": CLEAN_POD})
    code, out, _ = run_cli("lint", "--format", "json", "ok.yaml")
    document = json.loads(out)
    assert (code, document["findings"], document["summary"]["findings"]) == (0, [], 0)


@pytest.mark.parametrize(
    ("text", "code", "severities"),
    [
        pytest.param(POD, 1, {"error"}, id="errors-remain"),
        pytest.param(WARNINGS_ONLY_POD, 0, set(), id="only-warnings-exit-0"),
    ],
)
def test_severity_threshold_error(run_cli: CliRun, write_files: FileWriter, text: str, code: int,
                                  severities: set[str]) -> None:
    write_files({"pod.yaml": text})
    assert run_cli("lint", "pod.yaml")[0] == 1
    got, out, _ = run_cli("lint", "--severity-threshold", "error", "pod.yaml")
    assert got == code
    assert {match["severity"] for match in _finding_lines(out)} == severities


# --- fail-on ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "flags", "config", "code"),
    [
        pytest.param(INFO_ONLY_POD, [], None, 0, id="info-default"),
        pytest.param(INFO_ONLY_POD, ["--fail-on", "info"], None, 1, id="info-fail-on-info"),
        pytest.param(INFO_ONLY_POD, ["--fail-on", "warning"], None, 0, id="info-fail-on-warning"),
        pytest.param(WARNINGS_ONLY_POD, [], None, 1, id="warning-default"),
        pytest.param(WARNINGS_ONLY_POD, ["--fail-on", "error"], None, 0, id="warning-fail-on-error"),
        pytest.param(POD, ["--fail-on", "error"], None, 1, id="error-fail-on-error"),
        pytest.param(CLEAN_POD, ["--fail-on", "info"], None, 0, id="clean-fail-on-info"),
        pytest.param(WARNINGS_ONLY_POD, ["--fail-on", "info", "--severity-threshold", "error"], None, 0,
                     id="hidden-findings-never-fail"),
        pytest.param(INFO_ONLY_POD, [], "fail_on: info\n", 1, id="config-info"),
        pytest.param(WARNINGS_ONLY_POD, [], "fail_on: error\n", 0, id="config-error"),
        pytest.param(INFO_ONLY_POD, ["--fail-on", "warning"], "fail_on: info\n", 0, id="flag-overrides-config-up"),
        pytest.param(WARNINGS_ONLY_POD, ["--fail-on", "warning"], "fail_on: error\n", 1,
                     id="flag-overrides-config-down"),
    ],
)
def test_fail_on_sets_the_exit_code_not_the_output(run_cli: CliRun, write_files: FileWriter, text: str,
                                                   flags: list[str], config: str | None, code: int) -> None:
    write_files({"pod.yaml": text, **({".gitops-tools.yaml": config} if config else {})})
    got, out, err = run_cli("lint", *flags, "pod.yaml")
    assert (got, err) == (code, "")
    without = list(flags)
    if "--fail-on" in without:
        start = without.index("--fail-on")
        del without[start:start + 2]
    assert out == run_cli("lint", *without, "pod.yaml")[1]  # the same findings and summary without --fail-on


def test_an_info_finding_is_printed_and_exits_0(run_cli: CliRun, write_files: FileWriter,
                                                policies: dict[str, Policy]) -> None:
    write_files({"pod.yaml": INFO_ONLY_POD})
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    assert run_cli("lint", "pod.yaml") == (0, f"{INFO_LINE}\nFound 1 finding: 1 info (1 file, 1 document, "
                                               f"{enabled} policies).\n", "")


def test_fail_on_leaves_json_output_unchanged(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": INFO_ONLY_POD})
    runs = {level: run_cli("lint", "--format", "json", "--fail-on", level, "pod.yaml")
            for level in ("info", "warning", "error")}
    assert {level: code for level, (code, _, _) in runs.items()} == {"info": 1, "warning": 0, "error": 0}
    outputs = {out for _, out, _ in runs.values()} | {run_cli("lint", "--format", "json", "pod.yaml")[1]}
    assert len(outputs) == 1
    document = json.loads(outputs.pop())
    assert set(document) == {"version", "tool", "summary", "findings", "skipped", "notes"}
    assert [(r["line"], r["column"], r["severity"], r["policy_id"]) for r in document["findings"]] == [
        (13, 7, "info", PULL)
    ]


# --- select and ignore -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--select", "container-*"], ["broken.yaml:3:1: error [yaml-syntax] "], id="glob"),
        pytest.param(["--select", TAG], ["broken.yaml:3:1: error [yaml-syntax] "], id="one-id"),
        pytest.param(["--select", "container-*", "--ignore", "yaml-syntax"], [], id="file-check-ignored-by-name"),
    ],
)
def test_select_never_hides_a_file_that_could_not_be_checked(run_cli: CliRun, write_files: FileWriter,
                                                             policies: dict[str, Policy], argv: list[str],
                                                             expected: list[str]) -> None:
    write_files({"broken.yaml": "kind: Pod\nspec: [\n"})
    code, out, err = run_cli("lint", *argv, "broken.yaml")
    selected = sum(fnmatchcase(p.id, argv[1]) and p.targets.scope != "file" for p in policies.values())
    *lines, summary = out.splitlines()
    assert (code, err) == (1 if expected else 0, "")
    assert [line[:len(start)] for line, start in zip(lines, expected, strict=True)] == expected
    counts = "Found 1 finding: 1 error" if expected else "No findings"
    assert summary == f"{counts} (1 file, 0 documents, {selected} polic{'y' if selected == 1 else 'ies'})."


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--select", DIGEST], id="alone"),
        pytest.param(["--select", f"{TAG}, {DIGEST}"], id="comma-list"),
        pytest.param(["--select", TAG, "--select", "container-image-pinned-*"], id="repeated-glob"),
    ],
)
def test_select_enables_an_opt_in_policy(run_cli: CliRun, write_files: FileWriter, argv: list[str]) -> None:
    write_files({"pod.yaml": POD})
    _, default_out, _ = run_cli("lint", "pod.yaml")
    assert f"[{DIGEST}]" not in default_out
    code, out, _ = run_cli("lint", *argv, "pod.yaml")
    assert code == 1
    assert f"pod.yaml:6:19: warning [{DIGEST}] container image is not pinned by digest" in out.splitlines()


def test_ignore_with_a_glob(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    code, out, _ = run_cli("lint", "--ignore", "container-*", "--ignore", "pod-run-as-non-root", "pod.yaml")
    ids = {match["id"] for match in _finding_lines(out)}
    assert code == 1
    assert ids
    assert not {policy_id for policy_id in ids if policy_id.startswith("container-")}
    assert "pod-run-as-non-root" not in ids
    assert "recommended-labels-set" in ids


def test_text_output_format_and_summary(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    code, out, _ = run_cli("lint", "--select", f"{TAG},{PRIVILEGED},{DROP_ALL}", "pod.yaml")
    matches = _finding_lines(out)
    assert code == 1
    assert [(m["path"], m["line"], m["col"], m["severity"], m["id"]) for m in matches] == [
        ("pod.yaml", "6", "19", "error", TAG),
        ("pod.yaml", "6", "40", "warning", DROP_ALL),
        ("pod.yaml", "6", "58", "error", PRIVILEGED),
    ]
    assert out.splitlines()[-1] == "Found 3 findings: 2 errors, 1 warning (1 file, 1 document, 3 policies)."


def test_summary_uses_singulars(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    _, out, _ = run_cli("lint", "--select", TAG, "pod.yaml")
    assert out.splitlines()[-1] == "Found 1 finding: 1 error (1 file, 1 document, 1 policy)."


# --- colour ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flag", "coloured"), [([], False), (["--color", "auto"], False), (["--color", "never"], False),
                           (["--color", "always"], True)]
)
def test_colour_on_a_non_tty(run_cli: CliRun, write_files: FileWriter, flag: list[str], coloured: bool) -> None:
    write_files({"pod.yaml": POD})
    _, out, _ = run_cli("lint", *flag, "--select", TAG, "pod.yaml")
    assert (ANSI in out) is coloured
    if coloured:
        assert "\x1b[31merror\x1b[0m" in out
        assert re.sub(r"\x1b\[[0-9;]*m", "", out) == run_cli("lint", "--select", TAG, "pod.yaml")[1]


def test_process_output_to_a_pipe_has_no_colour(run_process: ProcessRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    done = run_process("lint", "pod.yaml")
    assert done.returncode == 1
    assert ANSI not in done.stdout


@pytest.mark.parametrize(("flag", "coloured"), [("auto", True), ("never", False)])
def test_colour_on_a_terminal(tmp_path: Path, cli_command: list[str], write_files: FileWriter, flag: str,
                              coloured: bool) -> None:
    write_files({"pod.yaml": POD})
    primary, secondary = pty.openpty()
    with subprocess.Popen([*cli_command, "lint", "--color", flag, "--select", TAG, "pod.yaml"], cwd=tmp_path,
                          stdout=secondary, stderr=subprocess.PIPE) as process:
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 4096)
            except OSError:  # EIO: the terminal's other side closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 1
    os.close(primary)
    out = b"".join(chunks).decode()
    assert "container image uses the latest tag" in out
    assert (ANSI in out) is coloured


# --- rules and explain -----------------------------------------------------------------------------------------------


def test_rules_lists_every_policy_once_per_line(run_cli: CliRun, policies: dict[str, Policy]) -> None:
    code, out, _ = run_cli("rules")
    lines = out.splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines] == sorted(policies)
    for line in lines:
        policy = policies[line.split()[0]]
        assert line.split()[1] == str(policy.severity)
        assert policy.title in line
        assert line.endswith("(opt-in)") is (not policy.enabled)


def test_rules_markdown_documents_every_policy(run_cli: CliRun, policies: dict[str, Policy]) -> None:
    code, out, _ = run_cli("rules", "--format", "markdown")
    assert code == 0
    assert out.startswith("# Policy catalogue\n")
    headings = [line.removeprefix("## ") for line in out.splitlines() if line.startswith("## ")]
    assert sorted(headings) == sorted(policies)
    for policy_id, policy in policies.items():
        assert out.count(f"| [`{policy_id}`](#{policy_id}) | {policy.severity} |") == 1
    assert f"| [`{DIGEST}`](#{DIGEST}) | warning | opt-in |" in out


def test_rules_include_custom_policies_from_config(run_cli: CliRun, write_files: FileWriter,
                                                   policies: dict[str, Policy]) -> None:
    source = Path(policies[TAG].source).read_text(encoding="utf-8")
    write_files({".gitops-tools.yaml": "policy_dirs: [mine]\n",
                 "mine/team-image-tag.yaml": source.replace(f"id: {TAG}", "id: team-image-tag")})
    code, out, _ = run_cli("rules")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == sorted([*policies, "team-image-tag"])
    assert run_cli("explain", "team-image-tag")[0] == 0


TEAM_POLICY = """\
id: team-config-owner-set
title: ConfigMaps name their owner
severity: warning
message: configmap has no owner label
targets:
  scope: document
  kinds: [ConfigMap]
schema:
  required: [metadata]
  properties:
    metadata:
      required: [labels]
docs: |
  Every ConfigMap carries labels so that the team that owns it can be found from the object alone.
examples:
  pass:
    - |
      kind: ConfigMap
      metadata: {name: a, labels: {owner: team-a}}
  fail:
    - |
      kind: ConfigMap
"""


def test_rules_check_passes_on_the_builtin_catalogue(run_cli: CliRun, policies: dict[str, Policy]) -> None:
    assert run_cli("rules", "--check") == (0, f"{len(policies)} policies checked, 0 example(s) disagree.\n", "")


@pytest.mark.parametrize(
    ("policy", "failures"),
    [
        pytest.param(TEAM_POLICY, [], id="agreeing"),
        pytest.param(TEAM_POLICY.replace("  fail:\n    - |\n      kind: ConfigMap\n",
                                         "  fail:\n    - |\n      kind: ConfigMap\n      metadata: {labels: {a: b}}\n"),
                     ["team-config-owner-set: fail example 1: gave no finding"], id="fail-example-passes"),
        pytest.param(TEAM_POLICY.replace("metadata: {name: a, labels: {owner: team-a}}", "metadata: {name: a}"),
                     ["team-config-owner-set: pass example 1: gave example.yaml:2:1: configmap has no owner label"],
                     id="pass-example-fails"),
    ],
)
def test_rules_check_runs_custom_policy_examples(run_cli: CliRun, write_files: FileWriter,
                                                 policies: dict[str, Policy], policy: str,
                                                 failures: list[str]) -> None:
    write_files({"cfg/team.yaml": "policy_dirs: [mine]\n", "cfg/mine/team-config-owner-set.yaml": policy})
    code, out, err = run_cli("rules", "--check", "--config", "cfg/team.yaml")
    assert (code, err) == (1 if failures else 0, "")
    assert out.splitlines() == [*failures,
                                f"{len(policies) + 1} policies checked, {len(failures)} example(s) disagree."]


def test_explain_prints_the_policy_docs(run_cli: CliRun, policies: dict[str, Policy]) -> None:
    policy = policies["container-memory-limit-set"]
    code, out, err = run_cli("explain", policy.id)
    assert (code, err) == (0, "")
    assert out.startswith(f"{policy.id}: {policy.title}\nseverity: error\n")
    assert policy.docs.strip() in out
    assert f"Fix: {policy.fix}" in out
    assert "\nFails:\n" in out
    assert "\nPasses:\n" in out


@pytest.mark.parametrize(
    ("policy_id", "hint"),
    [
        pytest.param("nope", "see `gitops-tools rules`", id="nothing-close"),
        pytest.param("container-memory-limit-st", "did you mean container-memory-limit-set", id="typo"),
    ],
)
def test_explain_unknown_policy_exits_2_with_a_suggestion(run_cli: CliRun, policy_id: str, hint: str) -> None:
    code, out, err = run_cli("explain", policy_id)
    assert (code, out) == (2, "")
    assert f"unknown policy '{policy_id}'" in err
    assert hint in err
    assert "Traceback" not in err


# --- which files a directory yields ----------------------------------------------------------------------------------


def test_directories_skip_vendored_trees_and_helm_templates(run_cli: CliRun, write_files: FileWriter,
                                                            policies: dict[str, Policy]) -> None:
    broken = "broken: [\n"
    write_files({
        ".git/config.yaml": broken,
        "node_modules/pkg/x.yaml": broken,
        "vendor/x.yaml": broken,
        "apps/vendor/x.yaml": broken,
        "chart/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\n",
        "chart/templates/deployment.yaml": "{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n",
        "chart/values.yaml": broken,
        "kustomize/templates/x.yaml": broken,  # not beside a Chart.yaml: plain YAML, linted
        "apps/a.yml": broken,
        "apps/b.json": "{",
        "apps/readme.md": broken,
        "apps/script.txt": broken,
    })
    code, out, _ = run_cli("lint", ".")
    assert code == 1
    paths = sorted({match["path"] for match in _finding_lines(out)})
    assert paths == ["apps/a.yml", "apps/b.json", "chart/values.yaml", "kustomize/templates/x.yaml"]
    enabled = sum(p.enabled and p.targets.scope != "file" for p in policies.values())
    assert out.splitlines()[-2].endswith(f"(5 files, 1 document, {enabled} policies).")
    assert out.splitlines()[-1] == ("Skipped 1 Helm chart template in chart/: not YAML until rendered; "
                                    "lint the rendered chart: `helm template chart | gitops-tools lint -`.")


def test_an_explicit_file_is_linted_even_inside_a_skipped_folder(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"vendor/x.yaml": "broken: [\n"})
    code, out, _ = run_cli("lint", "vendor/x.yaml")
    assert code == 1
    assert out.startswith("vendor/x.yaml:2:1: error [yaml-syntax] ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_on_a_terminal_for_large_trees(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for number in range(PROGRESS_MIN_FILES):
        (tmp_path / f"cm-{number:03d}.yaml").write_text(f"a: {number}\n", encoding="utf-8")
    out, err = io.StringIO(), _Terminal()
    assert main(["lint", "."], out, err) == 0
    assert f"\rlinting: {PROGRESS_MIN_FILES}/{PROGRESS_MIN_FILES} files\n" in err.getvalue()
    quiet = _Terminal()
    assert main(["lint", "cm-000.yaml"], io.StringIO(), quiet) == 0
    assert quiet.getvalue() == ""


# --- output streams that fail ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["rules"], id="rules"),
        pytest.param(["rules", "--format", "markdown"], id="rules-markdown"),
        pytest.param(["lint", "."], id="lint"),
        pytest.param(["lint", "--format", "json", "."], id="lint-json"),
        pytest.param(["explain", PRIVILEGED], id="explain"),
    ],
)
def test_a_reader_that_went_away_gives_exit_141_and_no_traceback(tmp_path: Path, cli_command: list[str],
                                                                 write_files: FileWriter, argv: list[str]) -> None:
    """`gitops-tools rules | head -1`: the reader is gone before the writer writes; it stops quietly, as `yes` does.

    The read end is closed at once, so the child's first write fails whatever the pipe's size or the timing.
    """
    write_files({"pod.yaml": POD})
    with subprocess.Popen([*cli_command, *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as process:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        err = process.stderr.read().decode()
        code = process.wait(timeout=60)
    assert (code, err) == (141, "")


def _ascii_run(tmp_path: Path, cli_command: list[str], *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "GITOPS_TOOLS_DEBUG": ""}
    return subprocess.run([*cli_command, *argv], cwd=tmp_path, capture_output=True, text=True, encoding="utf-8",
                          env=env, timeout=60, check=False)


def test_a_file_name_the_output_encoding_lacks_is_escaped(tmp_path: Path, cli_command: list[str],
                                                          write_files: FileWriter) -> None:
    write_files({"café.yaml": "kind: Pod\nspec: [\n"})
    done = _ascii_run(tmp_path, cli_command, "lint", ".")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines()[0].startswith("caf\\xe9.yaml:3:1: error [yaml-syntax] ")
    as_json = _ascii_run(tmp_path, cli_command, "lint", "--format", "json", "café.yaml")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["findings"][0]["path"] == "café.yaml"


def test_a_usage_error_naming_a_path_the_encoding_lacks_is_escaped(tmp_path: Path, cli_command: list[str]) -> None:
    done = _ascii_run(tmp_path, cli_command, "lint", "nowhere-café.yaml")
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "gitops-tools: error: path not found: nowhere-caf\\xe9.yaml\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["lint", "--policy-dir", "p\x1b[31mRED\nfake.yaml:1:1: error", "pod.yaml"],
        ["lint", "no\x1b[2Jsuch\nfile.yaml"],
        ["lint", "--baseline", "b\x1b]0;title\x07\n.json", "pod.yaml"],
    ],
    ids=["policy-dir", "missing-path", "baseline"],
)
def test_names_in_error_lines_are_escaped(run_cli: CliRun, write_files: FileWriter, argv: list[str]) -> None:
    """One error is one line: a name cannot move the cursor, colour the terminal or forge a finding line."""
    write_files({"pod.yaml": POD})
    code, out, err = run_cli(*argv)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1 and "\x1b" not in err and "\x07" not in err
    assert "\\x1b" in err


def test_the_report_path_in_the_status_line_is_escaped(run_cli: CliRun, write_files: FileWriter) -> None:
    write_files({"pod.yaml": POD})
    code, out, _ = run_cli("lint", "--output", "o\x1bx\nz", "pod.yaml")
    assert code == 1
    assert out.splitlines()[-1] == "Report (text) written to o\\x1bx\\x0az."
