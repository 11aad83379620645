"""Files the user names: bounded reads of regular files only, atomic writes that replace nothing but a regular file."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import pytest
from conftest import CONSOLE_SCRIPT, CliRun, FileWriter

from gitops_tools.errors import ConfigError
from gitops_tools.fileio import FileTooLargeError, NotRegularFileError, read_regular, write_atomically

POD = 'apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: app, image: "nginx:latest"}]}\n'


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the process umask for one test, restored afterwards."""
    original = os.umask(0o022)
    os.umask(original)
    yield os.umask
    os.umask(original)


def _write_text(text: str) -> Callable[[TextIO], None]:
    return lambda stream: stream.write(text)


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


# --- modes ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_mode_the_umask_gives(tmp_path: Path, umask: Callable[[int], None], mask: int,
                                                  mode: int) -> None:
    umask(mask)
    write_atomically(tmp_path / "report.sarif", _write_text("{}\n"))
    assert stat.S_IMODE((tmp_path / "report.sarif").stat().st_mode) == mode
    assert _siblings(tmp_path / "report.sarif") == ["report.sarif"]


@pytest.mark.parametrize("mode", [0o640, 0o600, 0o755])
def test_an_existing_file_keeps_its_mode(tmp_path: Path, umask: Callable[[int], None], mode: int) -> None:
    umask(0o022)
    target = tmp_path / "baseline.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(mode)
    write_atomically(target, _write_text("new\n"))
    assert (target.read_text(encoding="utf-8"), stat.S_IMODE(target.stat().st_mode)) == ("new\n", mode)


# --- what is never replaced ------------------------------------------------------------------------------------------


def _symlink_to_file(tmp_path: Path) -> Path:
    outside = tmp_path / "elsewhere" / "bashrc"
    outside.parent.mkdir()
    outside.write_text("precious\n", encoding="utf-8")
    link = tmp_path / "report.json"
    link.symlink_to(outside)
    return link


def _fifo(tmp_path: Path) -> Path:
    os.mkfifo(tmp_path / "report.json")
    return tmp_path / "report.json"


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "report.json").mkdir()
    (tmp_path / "report.json" / "keep.txt").write_text("keep\n", encoding="utf-8")
    return tmp_path / "report.json"


def _device_link(tmp_path: Path) -> Path:
    (tmp_path / "report.json").symlink_to("/dev/null")
    return tmp_path / "report.json"


def _dangling_link(tmp_path: Path) -> Path:
    (tmp_path / "report.json").symlink_to(tmp_path / "nowhere" / "x.json")
    return tmp_path / "report.json"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(_symlink_to_file, "is a symbolic link; refusing to replace it", id="symlink-to-a-file"),
        pytest.param(_dangling_link, "is a symbolic link; refusing to replace it", id="dangling-symlink"),
        pytest.param(_device_link, "is a symbolic link; refusing to replace it", id="symlink-to-a-device"),
        pytest.param(_fifo, "is a FIFO (named pipe), not a regular file; refusing to replace it", id="fifo"),
        pytest.param(_folder, "is a folder, not a regular file; refusing to replace it", id="folder"),
    ],
)
def test_only_a_regular_file_is_ever_replaced(tmp_path: Path, make: Callable[[Path], Path], message: str) -> None:
    target = make(tmp_path)
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(ConfigError) as caught:
        write_atomically(target, _write_text("{}\n"))
    assert message in str(caught.value)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    if target.is_symlink() and (tmp_path / "elsewhere" / "bashrc").exists():
        assert (tmp_path / "elsewhere" / "bashrc").read_text(encoding="utf-8") == "precious\n"


@pytest.mark.parametrize("flag", ["--output", "--write-baseline"])
@pytest.mark.parametrize("make", [_symlink_to_file, _fifo, _folder, _device_link], ids=["symlink", "fifo", "folder",
                                                                                         "device"])
def test_output_and_baseline_refuse_special_targets_with_exit_2(tmp_path: Path, run_cli: CliRun,
                                                                write_files: FileWriter, flag: str,
                                                                make: Callable[[Path], Path]) -> None:
    write_files({"pod.yaml": POD})
    target = make(tmp_path)
    code, out, err = run_cli("lint", flag, str(target), "pod.yaml")
    assert (code, out) == (2, "")
    assert err.startswith(f"gitops-tools: error: {target} is a ")
    assert "refusing to replace it" in err


# --- failures and interrupts leave the old file and no temporary file -------------------------------------------------


@pytest.mark.parametrize("failure", [OSError(28, "No space left on device"), KeyboardInterrupt(), ValueError("bug")])
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path, failure: BaseException) -> None:
    target = tmp_path / "report.json"
    target.write_text("old report\n", encoding="utf-8")

    def write(stream: TextIO) -> None:
        stream.write("half a rep")
        raise failure

    with pytest.raises((ConfigError, type(failure))):
        write_atomically(target, write)
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert _siblings(target) == ["report.json"]


@pytest.mark.slow
def test_sigterm_while_the_report_is_written_keeps_the_old_one(tmp_path: Path, write_files: FileWriter) -> None:
    """A real process, terminated while its temporary report file exists: the old report stays, nothing else."""
    pods = "---\n".join(POD.replace("name: web", f"name: web-{index}") for index in range(3000))
    write_files({"pods.yaml": pods})
    target = tmp_path / "out" / "report.sarif"
    target.parent.mkdir()
    target.write_text("old report\n", encoding="utf-8")
    process = subprocess.Popen([str(CONSOLE_SCRIPT), "lint", "--format", "sarif", "--output", str(target), "pods.yaml"],
                               cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if any(path.name.endswith(".tmp") for path in target.parent.iterdir()):
            process.send_signal(signal.SIGTERM)
            break
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, "the run ended before its report was being written"
    assert stderr == "gitops-tools: terminated\n"
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert _siblings(target) == ["report.sarif"]


# --- bounded reads ----------------------------------------------------------------------------------------------------


def test_a_regular_file_is_read_up_to_its_limit(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"x" * 100)
    assert read_regular(tmp_path / "a.yaml", 100) == b"x" * 100
    with pytest.raises(FileTooLargeError) as caught:
        read_regular(tmp_path / "a.yaml", 99)
    assert (caught.value.size, caught.value.limit) == (100, 99)


def test_a_file_whose_size_lies_is_still_capped() -> None:
    """/proc files report size 0 and have content: the cap counts bytes read, not st_size."""
    status = Path(f"/proc/{os.getpid()}/status")
    assert status.stat().st_size == 0
    with pytest.raises(FileTooLargeError) as caught:
        read_regular(status, 16)
    assert caught.value.size is None


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo", "folder"])
def test_special_files_are_never_opened(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.yaml"
    if kind == "dev-zero-link":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)  # opening it would block: the test would hang, not fail
    else:
        path.mkdir()
    with pytest.raises(NotRegularFileError) as caught:
        read_regular(path, 1024)
    assert caught.value.kind == {"dev-zero-link": "character device", "fifo": "FIFO (named pipe)",
                                 "folder": "folder"}[kind]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["lint", "--baseline", "/dev/zero", "pod.yaml"],
                     "baseline /dev/zero is a character device, not a regular file; not read", id="baseline"),
        pytest.param(["lint", "--config", "/dev/zero", "pod.yaml"],
                     "config file /dev/zero is a character device, not a regular file; not read", id="config"),
        pytest.param(["new", "service", "--no-input", "--answers", "/dev/zero"],
                     "answers file /dev/zero is a character device, not a regular file; not read", id="answers"),
        pytest.param(["new", "service", "--no-input", "--answers", "fifo.yaml"],
                     "answers file fifo.yaml is a FIFO (named pipe), not a regular file; not read", id="answers-fifo"),
        pytest.param(["new", "service", "--no-input", "--answers", "empty.yaml"],
                     "answers file empty.yaml is empty", id="empty-answers"),
        pytest.param(["new", "service", "--no-input", "--answers", "huge.yaml"],
                     "answers file huge.yaml is too large (over 4194304 bytes)", id="huge-answers"),
    ],
)
def test_special_user_files_are_a_clear_error(tmp_path: Path, write_files: FileWriter, argv: list[str],
                                              message: str) -> None:
    """Real processes with a timeout: before, each of these read /dev/zero until memory ran out (exit 3)."""
    write_files({"pod.yaml": POD, "empty.yaml": "", "huge.yaml": "# padding\n" * 500_000})
    os.mkfifo(tmp_path / "fifo.yaml")
    done = subprocess.run([str(CONSOLE_SCRIPT), *argv], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          check=False)
    assert (done.returncode, done.stdout, done.stderr) == (2, "", f"gitops-tools: error: {message}\n")
    assert not list(tmp_path.glob(".gitops-tools-new-*"))


@pytest.mark.parametrize("kind", ["dev-zero-link", "fifo"])
def test_a_special_file_named_for_linting_is_a_finding(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "x.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    done = subprocess.run([str(CONSOLE_SCRIPT), "lint", "--format", "json", "x.yaml"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stderr) == (1, "")
    [finding] = json.loads(done.stdout)["findings"]
    kind_name = "FIFO (named pipe)" if kind == "fifo" else "character device"
    assert (finding["path"], finding["line"], finding["policy_id"], finding["message"]) == (
        "x.yaml", 1, "file-not-regular", f"not a regular file: it is a {kind_name}; only regular files are read")


def test_stdin_is_capped_like_a_file(tmp_path: Path) -> None:
    (tmp_path / ".gitops-tools.yaml").write_text("max_file_bytes: 1000\n", encoding="utf-8")
    with (tmp_path / "big.yaml").open("wb") as big:
        big.write(b"# padding\n" * 100_000)
    with (tmp_path / "big.yaml").open("rb") as stdin:
        done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "-"], cwd=tmp_path, stdin=stdin,
                              capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert done.stdout.startswith("<stdin>:1:1: warning [file-too-large] ")
