"""Inline suppressions: `# gitops-tools: disable-line|disable-next-line|disable-document|disable-file IDS [-- why]`.

Each form must switch off exactly the ids it names, on exactly the lines it covers; stale, unknown and empty
suppressions are findings themselves. Only YAML comments are suppressions: not strings, not JSON.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping

import pytest
from conftest import CliRun, FileWriter

ProcessRun = Callable[..., subprocess.CompletedProcess[str]]
Spot = tuple[int, int, str]

NET, PID, IPC = "pod-host-network-unset", "pod-host-pid-unset", "pod-host-ipc-unset"
TAG, PRIVILEGED = "container-image-tag-not-latest", "container-not-privileged"
UNUSED, UNKNOWN = "suppression-unused", "exemption-unknown-policy"
HOST = f"{NET},{PID},{IPC}"
MARK = "# gitops-tools:"

# Two pods, each using the host network (7, 19), PID (8, 20) and IPC (9, 21) namespaces. The `# note` lines (6, 12,
# 18) are where the tests put whole-line suppressions, so no line number moves.
PODS = """\
apiVersion: v1
kind: Pod
metadata:
  name: one
spec:
  # note
  hostNetwork: true
  hostPID: true
  hostIPC: true
  containers: [{name: a, image: 'a:1'}]
---
# note
apiVersion: v1
kind: Pod
metadata:
  name: two
spec:
  # note
  hostNetwork: true
  hostPID: true
  hostIPC: true
  containers: [{name: a, image: 'a:1'}]
"""
FINDINGS = [(7, 3, NET), (8, 3, PID), (9, 3, IPC), (19, 3, NET), (20, 3, PID), (21, 3, IPC)]


def _edit(changes: Mapping[int, str]) -> str:
    """PODS with each `# note` line n replaced by the text, and any other line n followed by it (two spaces apart)."""
    lines = PODS.splitlines()
    for number, text in changes.items():
        whole = lines[number - 1].strip() == "# note"
        lines[number - 1] = text if whole else f"{lines[number - 1]}  {text}"
    return "\n".join(lines) + "\n"


def _without(*removed: Spot) -> list[Spot]:
    return [spot for spot in FINDINGS if spot not in removed]


def _spots(out: str, path: str = "pods.yaml") -> list[Spot]:
    """(line, col, id) of each reported finding in `path`, from text output."""
    spots = []
    for line in out.splitlines():
        if line.startswith(f"{path}:"):
            _, number, col, rest = line.split(":", 3)
            spots.append((int(number), int(col), rest.split("[", 1)[1].split("]", 1)[0]))
    return spots


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({7: f"{MARK} disable-line {NET}"}, _without((7, 3, NET)), id="disable-line"),
        pytest.param({7: f"{MARK} disable-line {PID}"}, [*FINDINGS[:1], (7, 22, UNUSED), *FINDINGS[1:]],
                     id="disable-line-names-another-lines-policy"),
        pytest.param({6: f"  {MARK} disable-next-line {NET}"}, _without((7, 3, NET)), id="disable-next-line"),
        pytest.param({6: f"  {MARK} disable-next-line {PID}"}, [(6, 3, UNUSED), *FINDINGS],
                     id="disable-next-line-covers-one-line-only"),
        pytest.param({18: f"  {MARK} disable-document {NET}, {PID}"}, _without((19, 3, NET), (20, 3, PID)),
                     id="disable-document-second"),
        pytest.param({12: f"{MARK} disable-document {NET}"}, _without((19, 3, NET)),
                     id="disable-document-comment-above-the-document"),
        pytest.param({6: f"  {MARK} disable-document {IPC}"}, _without((9, 3, IPC)), id="disable-document-first"),
        pytest.param({18: f"  {MARK} disable-file {NET}"}, _without((7, 3, NET), (19, 3, NET)), id="disable-file"),
        pytest.param({8: f"{MARK} disable-line {PID},{NET}"}, [*FINDINGS[:1], (8, 18, UNUSED), *FINDINGS[2:]],
                     id="several-ids-one-unused"),
        pytest.param({12: f"{MARK} disable-file {NET} , {PID},{IPC}"}, [], id="several-ids-spaced"),
        pytest.param({7: f"{MARK} disable-line {NET} -- the node exporter reads host stats, see #123"},
                     _without((7, 3, NET)), id="reason"),
        pytest.param({7: f"#gitops-tools:disable-line {NET}--no space needed"}, _without((7, 3, NET)),
                     id="compact"),
        pytest.param({6: f"  {MARK} disable-next-line {NET} -- reason", 18: f"  {MARK} disable-document {IPC}"},
                     _without((7, 3, NET), (21, 3, IPC)), id="two-suppressions"),
    ],
)
def test_each_form_suppresses_exactly_its_ids_on_its_lines(write_files: FileWriter, run_cli: CliRun,
                                                           changes: dict[int, str], expected: list[Spot]) -> None:
    write_files({"pods.yaml": _edit(changes)})
    code, out, err = run_cli("lint", "--select", HOST, "pods.yaml")
    assert (code, err) == (1 if expected else 0, "")
    assert _spots(out) == expected
    assert out.endswith(" (1 file, 2 documents, 3 policies).\n")


def test_findings_report_exact_messages(write_files: FileWriter, run_cli: CliRun) -> None:
    write_files({"pods.yaml": _edit({6: f"  {MARK} disable-next-line {PID} -- stale",
                                     7: f"{MARK} disable-line no-such-policy, {NET}",
                                     12: f"{MARK} disable-document",
                                     18: f"  {MARK} disable-file -- only a reason"})})
    code, out, err = run_cli("lint", "--select", HOST, "pods.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"pods.yaml:6:3: warning [{UNUSED}] unused suppression: disable-next-line {PID} matches no finding; remove it",
        f"pods.yaml:7:22: error [{UNKNOWN}] exemption names no policy: 'no-such-policy' is not a policy id",
        f"pods.yaml:8:3: error [{PID}] pod uses the host PID namespace",
        f"pods.yaml:9:3: error [{IPC}] pod uses the host IPC namespace",
        f"pods.yaml:12:1: error [{UNKNOWN}] exemption names no policy: the suppression names no policy id",
        f"pods.yaml:18:3: error [{UNKNOWN}] exemption names no policy: the suppression names no policy id",
        f"pods.yaml:19:3: error [{NET}] pod uses the host network namespace",
        f"pods.yaml:20:3: error [{PID}] pod uses the host PID namespace",
        f"pods.yaml:21:3: error [{IPC}] pod uses the host IPC namespace",
        "Found 9 findings: 8 errors, 1 warning (1 file, 2 documents, 3 policies).",
    ]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["--select", HOST], [(6, 3, UNUSED), (7, 3, NET)], id="active-and-unused"),
        pytest.param(["--select", NET], [(7, 3, NET)], id="not-selected"),
        pytest.param(["--select", HOST, "--ignore", PID], [(7, 3, NET)], id="ignored"),
        pytest.param(["--select", "pod-host-n*"], [(7, 3, NET)], id="not-matched-by-a-glob"),
        pytest.param(["--domain", "core"], [], id="other-domain"),
    ],
)
def test_only_suppressions_of_policies_that_ran_can_be_unused(write_files: FileWriter, run_cli: CliRun,
                                                              argv: list[str], expected: list[Spot]) -> None:
    """Only `hostNetwork` is set here, so the pid suppression matches nothing: stale only if its policy ran."""
    text = _edit({6: f"  {MARK} disable-next-line {PID}"}).replace("D: true", "D: false").replace("C: true", "C: false")
    write_files({"pods.yaml": text.split("---\n")[0]})
    code, out, err = run_cli("lint", *argv, "pods.yaml")
    assert (code, _spots(out), err) == (1 if expected else 0, expected, "")


def test_a_config_disabled_policy_is_not_reported_unused(write_files: FileWriter, run_cli: CliRun) -> None:
    write_files({".gitops-tools.yaml": f"policies:\n  {PID}: {{enabled: false}}\n",
                 "pods.yaml": _edit({6: f"  {MARK} disable-next-line {PID}"}).split("---\n")[0]})
    code, out, err = run_cli("lint", "pods.yaml")
    assert (code, err) == (1, "")
    assert [spot for spot in _spots(out) if spot[2] in (NET, PID, IPC, UNUSED)] == [(7, 3, NET), (9, 3, IPC)]


def test_file_checks_can_be_suppressed(write_files: FileWriter, run_cli: CliRun) -> None:
    """The docstring's example: a generated file with duplicate keys. File checks run under any --select."""
    text = f"{MARK} disable-file yaml-duplicate-key -- generated by a tool we do not own\na: 1\na: 2\n"
    write_files({"generated.yaml": text, "stale.yaml": f"{MARK} disable-file yaml-duplicate-key\na: 1\n"})
    code, out, err = run_cli("lint", "--select", NET, "generated.yaml", "stale.yaml")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"stale.yaml:1:1: warning [{UNUSED}] unused suppression: disable-file yaml-duplicate-key matches no finding; "
        "remove it",
        "Found 1 finding: 1 warning (2 files, 2 documents, 1 policy).",
    ]


@pytest.mark.parametrize(
    "comment",
    [
        pytest.param("# gitops-tools: disable-linex pod-host-network-unset", id="unknown-scope"),
        pytest.param("# gitops-tool: disable-line pod-host-network-unset", id="misspelt-marker"),
        pytest.param("# see gitops-tools: disable-line pod-host-network-unset", id="marker-not-first"),
    ],
)
def test_look_alike_comments_are_not_suppressions(write_files: FileWriter, run_cli: CliRun, comment: str) -> None:
    write_files({"pods.yaml": _edit({7: comment})})
    code, out, err = run_cli("lint", "--select", HOST, "pods.yaml")
    assert (code, _spots(out), err) == (1, FINDINGS, "")


# --- only YAML comments are suppressions -------------------------------------------------------------------------


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  annotations:
    note: {note}
spec:
  containers:
    - name: app
      image: nginx:latest
      securityContext: {{privileged: true}}
"""


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(f'"{MARK} disable-file {TAG}, {PRIVILEGED} -- in a string"', id="double-quoted"),
        pytest.param(f"'{MARK} disable-file {TAG}, {PRIVILEGED} -- in a string'", id="single-quoted"),
        pytest.param(f'"{MARK} disable-file {TAG}"', id="double-quoted-no-reason"),
        pytest.param(f"|\n      #!/bin/sh\n      {MARK} disable-file {TAG}, {PRIVILEGED} -- in a script\n", id="block"),
        pytest.param(f"'see http://example.com/{MARK} disable-file {TAG}'", id="url-fragment"),
    ],
)
def test_a_marker_inside_a_yaml_string_is_not_a_suppression(write_files: FileWriter, run_cli: CliRun,
                                                             note: str) -> None:
    """A ConfigMap script or an annotation may contain the marker: it is content, not a comment."""
    write_files({"pod.yaml": POD.format(note=note)})
    code, out, err = run_cli("lint", "--select", f"{TAG},{PRIVILEGED}", "pod.yaml")
    offset = note.count("\n")
    assert (code, _spots(out, "pod.yaml"), err) == (1, [(10 + offset, 7, TAG), (11 + offset, 25, PRIVILEGED)], "")


def test_a_comment_after_a_string_holding_a_hash_is_a_suppression(write_files: FileWriter, run_cli: CliRun) -> None:
    write_files({"pod.yaml": POD.format(note='"issue #12"').replace(
        "nginx:latest", f"'nginx:latest'  {MARK} disable-line {TAG} -- pinned in #12")})
    code, out, err = run_cli("lint", "--select", f"{TAG},{PRIVILEGED}", "pod.yaml")
    assert (code, _spots(out, "pod.yaml"), err) == (1, [(11, 25, PRIVILEGED)], "")


JSON_POD = """\
{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web", "annotations": {"note": "%s"}},
  "spec": {"containers": [{"name": "app", "image": "nginx:latest"}]}
}
"""


@pytest.mark.parametrize(
    "note",
    [
        pytest.param(f"{MARK} disable-file {TAG} -- in a string", id="well-formed"),
        pytest.param(f"{MARK} disable-line", id="no-ids"),
        pytest.param(f"{MARK} disable-next-line not-a-policy", id="unknown-id"),
    ],
)
def test_json_files_have_no_suppressions(write_files: FileWriter, run_cli: CliRun, note: str) -> None:
    """JSON has no comments: the marker in a JSON string neither suppresses nor is reported."""
    write_files({"pod.json": JSON_POD % note})
    code, out, err = run_cli("lint", "--select", TAG, "pod.json")
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"pod.json:5:43: error [{TAG}] container image uses the latest tag",
        "Found 1 finding: 1 error (1 file, 1 document, 1 policy).",
    ]


def test_process_applies_suppressions(write_files: FileWriter, run_process: ProcessRun) -> None:
    write_files({"pods.yaml": _edit({6: f"  {MARK} disable-next-line {NET} -- reason",
                                     12: f"{MARK} disable-document {NET}, {PID}, {IPC}"})})
    done = run_process("lint", "--select", HOST, "pods.yaml")
    assert (done.returncode, done.stderr) == (1, "")
    assert done.stdout.splitlines() == [
        f"pods.yaml:8:3: error [{PID}] pod uses the host PID namespace",
        f"pods.yaml:9:3: error [{IPC}] pod uses the host IPC namespace",
        "Found 2 findings: 2 errors (1 file, 2 documents, 3 policies).",
    ]


ENV_POD = """\
apiVersion: v1
kind: Pod
metadata: {name: a}
spec:
  containers:
    - name: c
      image: nginx:1.27
      env:
        - name: DB_PASSWORD
          value: >-  # gitops-tools: disable-line container-env-secret-not-literal
            hunter2
        - name: API_TOKEN
          value: x  # gitops-tools: disable-line container-env-secret-not-literal -- rotated daily # TICKET-1
"""


def test_suppressions_on_a_block_scalar_header_and_before_a_further_comment(write_files: FileWriter,
                                                                           run_cli: CliRun) -> None:
    write_files({"env.yaml": ENV_POD})
    assert run_cli("lint", "--select", "container-env-secret-not-literal", "env.yaml") == (
        0, "No findings (1 file, 1 document, 1 policy).\n", "")
