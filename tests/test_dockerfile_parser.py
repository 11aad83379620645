"""The Dockerfile parser (gitops_tools/loading/parsers/dockerfile.py): what BuildKit reads, as plain data with
positions, and every way a file can be unusable as a finding at its place (never an exception)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import sorted_spots

from gitops_tools.config import Config
from gitops_tools.lint import LintOptions, lint
from gitops_tools.loading import Limits, LoadedFile, load_bytes
from gitops_tools.model import Policy

PINNED = "alpine:3.20@sha256:d9e853e87e55526f6b2917df91a2115c36dd7c696a35be12163d44e6e2a4b6bc"


def parsed(text: str) -> LoadedFile:
    return load_bytes(text.encode(), "Dockerfile", Limits(), parser="dockerfile")


def data(text: str) -> Any:
    loaded = parsed(text)
    assert loaded.problems == []
    return loaded.documents[0].data


def instructions(text: str, stage: int = 0) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = data(text)["stages"][stage]["instructions"]
    return found


def test_continuation_lines_join_and_drop_comments_and_blank_lines_inside() -> None:
    run = instructions(f"FROM {PINNED}\nRUN apt-get update \\\n    # why\n\n    && apt-get install -y curl\n")[0]
    assert run["words"] == ["apt-get", "update", "&&", "apt-get", "install", "-y", "curl"]
    assert run["form"] == "shell"


def test_the_escape_directive_makes_the_backtick_the_continuation_character() -> None:
    text = f"# escape=`\nFROM {PINNED}\nRUN dir c:\\ `\n    /b\n"
    found = data(text)
    assert found["directives"] == {"escape": "`"}
    assert found["stages"][0]["instructions"][0]["words"] == ["dir", "c:\\", "/b"]


def test_directives_end_at_the_first_other_line() -> None:
    found = data(f"# syntax=docker/dockerfile:1\n# a comment\n# escape=`\nFROM {PINNED}\n")
    assert found["directives"] == {"syntax": "docker/dockerfile:1"}


@pytest.mark.parametrize(("opening", "body", "closing"), [
    ("<<EOF", "set -e\necho hi\n", "EOF"),
    ("<<-EOF", "\techo tabbed\n", "\tEOF"),
    ('<<"END"', "echo $HOME\n", "END"),
])
def test_heredocs_are_read_to_their_closing_line(opening: str, body: str, closing: str) -> None:
    text = f"FROM {PINNED}\nRUN {opening}\n{body}{closing}\nUSER 10001\n"
    run, user = instructions(text)
    assert run["heredocs"] == [{"name": opening.strip('<-"'), "body": body.replace("\t", "")}]
    assert user["instruction"] == "USER"
    assert parsed(text).documents[0].locate(("stages", 0, "instructions", 1)) [:2] == (text.count("\n"), 1)


def test_two_heredocs_in_one_instruction() -> None:
    run = instructions(f"FROM {PINNED}\nCOPY <<A /a <<B /b\none\nA\ntwo\nB\n")[0]
    assert [doc["body"] for doc in run["heredocs"]] == ["one\n", "two\n"]


def test_exec_and_shell_form() -> None:
    cmd, entry, bad = instructions(f'FROM {PINNED}\nCMD ["python", "-m", "app"]\nENTRYPOINT run.sh --x\n'
                                   'RUN ["not json\n')
    assert (cmd["form"], cmd["words"]) == ("exec", ["python", "-m", "app"])
    assert (entry["form"], entry["words"]) == ("shell", ["run.sh", "--x"])
    assert bad["form"] == "shell"  # not JSON: BuildKit runs it in a shell too


def test_flags_stages_and_build_arguments() -> None:
    text = (f"ARG BASE={PINNED}\nARG TAG\nFROM --platform=$BUILDPLATFORM ${{BASE}} AS Build\n"
            "COPY --from=build --chown=10001:10001 /out /out\nFROM build\nFROM scratch\nFROM python:$TAG\n"
            "FROM ${TAG:-3.12}\n")
    found = data(text)
    assert found["args"] == [{"name": "BASE", "default": PINNED}, {"name": "TAG", "default": None}]
    froms = [stage["from"] for stage in found["stages"]]
    assert [(f["resolved"], f["stage"]) for f in froms] == [(PINNED, False), ("build", True), ("scratch", True),
                                                           (None, False), ("3.12", False)]
    assert froms[0]["platform"] == "$BUILDPLATFORM" and found["stages"][0]["name"] == "Build"
    assert found["stages"][0]["instructions"][0]["flags"] == {"from": "build", "chown": "10001:10001"}


def test_positions_of_images_flags_and_words_across_continuations() -> None:
    text = f"FROM {PINNED} AS build\nCOPY --chown=1 \\\n  a \\\n  b /c\n"
    document = parsed(text).documents[0]
    assert document.locate(("stages", 0, "from"))[:2] == (1, 6)
    assert document.locate(("stages", 0, "instructions", 0, "flags", "chown"))[:2] == (2, 6)
    assert document.locate(("stages", 0, "instructions", 0, "words", 1))[:2] == (4, 3)
    assert document.locate(("stages", 0, "instructions", 0, "words", 9))[:2] == (2, 1)  # no such word: the line


def test_windows_line_endings() -> None:
    text = f"FROM {PINNED}\r\nRUN a \\\r\n  b\r\nUSER 10001\r\n"
    document = parsed(text).documents[0]
    assert [i["words"] for i in document.data["stages"][0]["instructions"]] == [["a", "b"], ["10001"]]
    assert document.locate(("stages", 0, "instructions", 1))[:2] == (4, 1)


@pytest.mark.parametrize(("text", "line", "col", "detail"), [
    (f"FROM {PINNED}\n  RUNN echo\n", 2, 3, "unknown instruction RUNN"),
    ("# only a comment\n", 1, 1, "the file has no FROM instruction"),
    (f"RUN echo\nFROM {PINNED}\n", 1, 1, "RUN before the first FROM (only ARG may come first)"),
    (f"FROM {PINNED}\nRUN <<EOF\necho\n", 2, 1, "the heredoc <<EOF is never closed by a line EOF"),
    ("FROM\n", 1, 1, "FROM needs an image"),
    (f"FROM {PINNED} build\n", 1, 1, "FROM takes an image and, optionally, AS and a stage name"),
    (f"# escape=x\nFROM {PINNED}\n", 1, 1, "escape must be \\ or ` (it is 'x')"),
])
def test_syntax_errors_are_problems_at_their_place(text: str, line: int, col: int, detail: str) -> None:
    loaded = parsed(text)
    assert loaded.documents == []
    assert [(p.policy_id, p.line, p.col, p.detail) for p in loaded.problems] == [
        ("dockerfile-syntax", line, col, detail)]


@pytest.mark.parametrize(("content", "policy"), [
    (b"FROM x\x00\x01\x02", "file-binary"),
    (b"FROM caf\xe9\n", "file-encoding"),
    (b"\xff\xfeF\x00R\x00", "file-encoding"),
    (b"   \n", "file-empty"),
    (b"FROM x\n" + b"RUN x\n" * 200_000, "file-too-large"),
])
def test_bad_input_gets_the_core_findings(tmp_path: Path, policies: dict[str, Policy], content: bytes,
                                          policy: str) -> None:
    (tmp_path / "Dockerfile").write_bytes(content)
    config = Config(root=tmp_path, limits=Limits(max_file_bytes=1_000_000))
    result = lint([str(tmp_path)], config, policies, LintOptions())
    assert [spot[3] for spot in sorted_spots(result)] == [policy]


@pytest.mark.serial
@pytest.mark.parametrize("make", [
    lambda n: f"FROM {PINNED}\n" + "RUN echo \\\n  # note\n  a\n" * n,  # continuations with comments
    lambda n: f"FROM {PINNED}\nRUN <<EOF\n" + "echo a\n" * n + "EOF\n",  # one long heredoc
    lambda n: f"FROM {PINNED}\nRUN " + "a \\\n" * n + "b\n",  # one instruction over many lines
], ids=["instructions", "heredoc", "continuation"])
def test_the_parse_time_grows_linearly(make: Any) -> None:
    """As tests/test_resource_bounds.py measures: four times the input costs at most 5x (fastest of 5 rounds), with
    the garbage collector paused as the pipeline pauses it while it loads a file."""
    import time

    from gitops_tools import collector

    runs: dict[int, list[float]] = {5_000: [], 20_000: []}
    for _ in range(5):
        for size, times in runs.items():
            text = make(size)
            with collector.paused():
                start = time.process_time()
                assert parsed(text).problems == []
                times.append(time.process_time() - start)
    assert min(runs[20_000]) <= 5 * max(min(runs[5_000]), 0.02), runs
