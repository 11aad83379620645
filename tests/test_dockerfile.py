"""The dockerfile domain on realistic repositories (tests/fixtures/dockerfile): Dockerfiles, a Containerfile and a
`*.Dockerfile` found by their names and read by our parser. The good repository lints clean; the bad one gives
each expected finding at its exact line and column, hadolint's rules (run as an analyser) included."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliRun, sorted_spots

from gitops_tools.findings import LintResult

FIXTURES = Path(__file__).parent / "fixtures" / "dockerfile"

BAD = [
    ("Dockerfile", 1, 6, "dockerfile-base-image-pinned-by-digest"),  # python:3.12-slim, the builder
    ("Dockerfile", 6, 1, "dockerfile-user-non-root-numeric"),  # the final stage sets no USER
    ("Dockerfile", 6, 6, "dockerfile-base-image-pinned-by-digest"),
    ("Dockerfile", 8, 1, "dockerfile-add-no-remote-url"),
    ("broken/Dockerfile", 3, 1, "dockerfile-syntax"),  # COPPY
    ("deploy/api.yaml", 21, 5, "dockerfile-user-matches-run-as-user"),  # runAsUser 1000; api/Dockerfile: USER 10001
    ("worker/Dockerfile", 2, 6, "dockerfile-base-image-pinned-by-digest"),  # ${GO_IMAGE}: an ARG without default
    ("worker/Dockerfile", 4, 6, "dockerfile-base-image-pinned-by-digest"),  # distroless by tag
    ("worker/Dockerfile", 6, 6, "dockerfile-user-non-root-numeric"),  # USER nonroot: a name
    ("worker/Dockerfile.debug", 3, 1, "dockerfile-apk-versions-pinned"),  # strace, unpinned (hadolint's DL3018)
    ("worker/Dockerfile.debug", 4, 6, "dockerfile-user-non-root-numeric"),  # USER 0 last
    # hadolint's rules, as our policies (tests/test_hadolint.py compares them with hadolint run directly)
    ("tools/Dockerfile", 3, 1, "dockerfile-apt-get-versions-pinned"),  # DL3008
    ("tools/Dockerfile", 5, 1, "dockerfile-run-pipefail-set"),  # DL4006
    ("tools/Dockerfile", 8, 1, "dockerfile-apk-versions-pinned"),  # DL3018: jq, on the continuation line
    ("tools/Dockerfile", 10, 1, "dockerfile-pip-versions-pinned"),  # DL3013
    ("tools/Dockerfile", 11, 1, "dockerfile-workdir-absolute"),  # DL3000
    ("tools/Dockerfile", 12, 1, "dockerfile-copy-from-stage-defined"),  # DL3022: fecth
    ("tools/Dockerfile", 13, 1, "dockerfile-run-no-sudo"),  # DL3004
    ("tools/Dockerfile", 14, 1, "dockerfile-run-variables-quoted"),  # SC2086
    ("tools/Dockerfile", 16, 1, "dockerfile-cmd-exec-form"),  # DL3025
]



def test_the_good_repository_lints_clean(lint_fixture: Callable[[str], LintResult]) -> None:
    result = lint_fixture("good")
    assert sorted_spots(result) == []
    # Dockerfile, worker/Containerfile, tools/ci.Dockerfile, and deploy/worker.yaml (runs worker's image as its USER)
    assert (result.files, result.documents) == (4, 4)


def test_the_bad_repository_has_each_finding_at_its_place(lint_fixture: Callable[[str], LintResult]) -> None:
    assert sorted_spots(lint_fixture("bad")) == sorted(BAD)


def test_dockerfiles_are_classified_by_name_and_read_by_their_parser(tmp_path: Path, run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "good", tmp_path / "good")
    code, out, _ = run_cli("lint", "--explain-classification", "good/Dockerfile", "good/worker", "good/tools")
    assert code == 0
    assert out.count("a Dockerfile (by name, read by the dockerfile parser)") == 3
    assert "kubernetes" not in out  # a Dockerfile's document is the dockerfile domain's alone


def test_a_yaml_file_named_like_a_dockerfile_is_yaml(tmp_path: Path, run_cli: CliRun) -> None:
    """The suffix decides first: Dockerfile.yaml is YAML, and no Dockerfile policy sees it."""
    (tmp_path / "Dockerfile.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
                                              encoding="utf-8")
    code, out, _ = run_cli("lint", "--explain-classification", "Dockerfile.yaml")
    assert code == 0
    assert "kubernetes" in out and "dockerfile" not in out


def test_other_files_are_not_linted_and_a_named_one_is_read_by_its_name(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "Makefile").write_text("all:\n\ttrue\n", encoding="utf-8")
    (tmp_path / "app.Dockerfile").write_text("FROM python:3.12\nUSER 10001\n", encoding="utf-8")
    code, out, _ = run_cli("lint", ".")
    assert code == 1
    first, summary = out.splitlines()
    assert first == ("app.Dockerfile:1:6: error [dockerfile-base-image-pinned-by-digest] the base image is not pinned "
                     "by digest: python:3.12")
    assert summary.startswith("Found 1 finding: 1 error (1 file, 1 document, ")


def test_stdin_named_as_a_dockerfile_is_read_as_one(tmp_path: Path, run_cli: CliRun,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"FROM scratch\nUSER root\n")))
    code, out, _ = run_cli("lint", "--stdin-filename", "svc/Dockerfile", "-")
    assert code == 1
    assert out.splitlines()[0] == ("svc/Dockerfile:2:6: error [dockerfile-user-non-root-numeric] the image does not "
                                   "run as a numeric non-root USER: USER root is root")


def test_inline_suppressions_work_in_dockerfiles(tmp_path: Path, run_cli: CliRun) -> None:
    (tmp_path / "Dockerfile").write_text(
        "FROM scratch\n# gitops-tools: disable-next-line dockerfile-user-non-root-numeric -- a debug image\n"
        "USER 0\n", encoding="utf-8")
    code, out, _ = run_cli("lint", "Dockerfile")
    assert (code, out.splitlines()[-1][:11]) == (0, "No findings")


def test_the_good_worker_deployment_is_linked_to_its_containerfile(tmp_path: Path, run_cli: CliRun) -> None:
    """The good repository is clean because the uids agree, not because nothing links: change one, and it fails."""
    shutil.copytree(FIXTURES / "good", tmp_path / "good")
    deployment = tmp_path / "good" / "deploy" / "worker.yaml"
    deployment.write_text(deployment.read_text(encoding="utf-8").replace("runAsUser: 65532", "runAsUser: 0"),
                          encoding="utf-8")
    code, out, _ = run_cli("lint", "--select", "dockerfile-user-matches-run-as-user", "good")
    assert code == 1
    assert out.splitlines()[0] == (
        "good/deploy/worker.yaml:21:5: warning [dockerfile-user-matches-run-as-user] the pod's runAsUser is not the "
        "USER its image is built with: container worker runs as uid 0, but good/worker/Containerfile:8 builds its "
        "image worker with USER 65532:65532")


def test_a_linked_user_check_is_quiet_on_a_one_file_run_without_the_dockerfile(tmp_path: Path,
                                                                               run_cli: CliRun) -> None:
    shutil.copytree(FIXTURES / "bad", tmp_path / "bad")
    code, out, _ = run_cli("lint", "--select", "dockerfile-user-matches-run-as-user", "bad/deploy/api.yaml")
    assert (code, out.splitlines()[-1][:11]) == (0, "No findings")
