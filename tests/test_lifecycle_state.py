"""The lifecycle's data: a repo's Tree, the state file and the merge base archive, and what `new` and the
scaffolds' post-generation hook record."""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from conftest import git

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle import base as base_module
from gitops_tools.lifecycle.base import BASE_FILE, archive, read_base, unarchive, write_base
from gitops_tools.lifecycle.state import STATE_FILE, Layer, Source, State, dumps, read_state, write_state
from gitops_tools.lifecycle.tree import Entry, read_folder, read_tree
from gitops_tools.resources import data_root

TREE = {"README.md": Entry(b"# hi\n"), "bin/run.sh": Entry(b"#!/bin/sh\n", executable=True),
        "k8s/base/deployment.yaml": Entry(b"kind: Deployment\n"), "docs/" + "\u00e9" * 60 + "/" + "x" * 120: Entry(b"")}


# --- tree ---

def test_read_tree_is_what_git_tracks_or_would_track(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / ".gitignore").write_text("build/\n*.log\n")
    for name, text in {"a.txt": "a", "build/out.bin": "x", "debug.log": "x", "sub/new.txt": "n", "gone.txt": "g",
                       STATE_FILE: "{}", BASE_FILE: "x"}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "run.sh").write_text("#!/bin/sh\n")
    (tmp_path / "run.sh").chmod(0o755)
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "one")
    (tmp_path / "gone.txt").unlink()  # deleted in the work tree, still in the index: not part of the repo's files
    assert read_tree(tmp_path) == {".gitignore": Entry(b"build/\n*.log\n"), "a.txt": Entry(b"a"),
                                   "run.sh": Entry(b"#!/bin/sh\n", executable=True), "sub/new.txt": Entry(b"n")}


def test_read_tree_refuses_a_symlink_and_a_folder_outside_git(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "link").symlink_to("/etc/passwd")
    with pytest.raises(ConfigError, match="link is a symbolic link"):
        read_tree(tmp_path)
    (tmp_path / "plain").mkdir()
    with pytest.raises(ConfigError, match="not a git work tree"):
        read_tree(Path("/"))  # the root of the file system is never a work tree here


def test_read_tree_leaves_out_a_nested_repository_and_names_an_unreadable_file(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    (tmp_path / "nested").mkdir()
    git(tmp_path / "nested", "init", "-q")
    (tmp_path / "nested" / "inner.txt").write_text("inner")
    assert read_tree(tmp_path) == {"a.txt": Entry(b"a")}
    (tmp_path / "a.txt").chmod(0)
    if os.access(tmp_path / "a.txt", os.R_OK):
        return  # root reads anything: nothing more to check here
    with pytest.raises(ConfigError, match=r"cannot read .*a\.txt: Permission denied"):
        read_tree(tmp_path)


def test_read_folder_skips_git_and_the_state_files(tmp_path: Path) -> None:
    for name in [".git/config", STATE_FILE, BASE_FILE, "a/b.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert read_folder(tmp_path) == {"a/b.txt": Entry(b"x")}


# --- state ---

STATE = State("service", "1.1.0", {"service_name": "orders-api", "port": "8080"}, commit="a" * 40,
              source=Source("git", "file:///srv/gitops-tools.git", "v1.1.0", "b" * 40),
              components=(Layer("postgres", "1.0.0", {"database": "orders"}), Layer("redis", "1.0.0")),
              base=BASE_FILE)


def test_state_round_trips_and_writes_sorted_json(tmp_path: Path) -> None:
    write_state(tmp_path, STATE)
    assert read_state(tmp_path) == STATE
    text = (tmp_path / STATE_FILE).read_text(encoding="utf-8")
    assert text == dumps(STATE) and text.endswith("}\n")
    assert list(json.loads(text)) == sorted(json.loads(text))
    assert [item["name"] for item in json.loads(text)["components"]] == ["postgres", "redis"]  # order kept
    assert (tmp_path / STATE_FILE).stat().st_mode & 0o777 == 0o644
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]  # no temporary file left


def test_a_state_file_from_before_the_lifecycle_still_reads(tmp_path: Path) -> None:
    (tmp_path / STATE_FILE).write_text(json.dumps({"scaffold": "service", "version": "1.0.0", "commit": None,
                                                   "answers": {"owner": "team-a"}}))
    assert read_state(tmp_path) == State("service", "1.0.0", {"owner": "team-a"})


@pytest.mark.parametrize(("text", "message"), [
    ('{"scaffold": "service",\n  "version": 1.0.0}', rf"{STATE_FILE}:2:17: not valid JSON"),
    ('{"scaffold": "service", "answers": {}}', "at \\(root\\): 'version' is a required property"),
    ('{"scaffold": "service", "version": "1", "answers": {"_rules": 1}}', "at answers: '_rules' does not match"),
    ('{"scaffold": "s", "version": "1", "answers": {}, "source": {"kind": "ftp", "location": "x"}}',
     "at source/kind: 'ftp' is not one of"),
    ('{"scaffold": "s", "version": "1", "answers": {}, "components": [{"name": "../x", "version": "1", '
     '"answers": {}}]}', "at components/0/name"),
    ('["service"]', "not a scaffold state file"),
    ("\udcff", "not UTF-8"),
])
def test_a_bad_state_file_is_a_config_error_naming_it(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / STATE_FILE).write_bytes(text.encode("utf-8", errors="surrogateescape"))
    with pytest.raises(ConfigError, match=message) as caught:
        read_state(tmp_path)
    assert STATE_FILE in str(caught.value)


def test_a_missing_or_linked_state_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="gitops-tools link"):
        read_state(tmp_path)
    (tmp_path / "elsewhere.json").write_text(dumps(STATE))
    (tmp_path / STATE_FILE).symlink_to(tmp_path / "elsewhere.json")
    with pytest.raises(ConfigError, match="symbolic link"):
        read_state(tmp_path)
    with pytest.raises(ConfigError, match="symbolic link"):
        write_state(tmp_path, STATE)
    assert (tmp_path / "elsewhere.json").read_text() == dumps(STATE)


def test_a_failed_write_leaves_the_old_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_state(tmp_path, STATE)

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        write_state(tmp_path, State("service", "9.9.9", {}))
    assert read_state(tmp_path) == STATE
    assert [p.name for p in tmp_path.iterdir()] == [STATE_FILE]


# --- base ---

def test_the_base_archive_is_deterministic_and_round_trips(tmp_path: Path) -> None:
    data = archive(TREE)
    assert data == archive(dict(reversed(list(TREE.items()))))
    assert unarchive(data, "x") == TREE
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == sorted(TREE)
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    assert {m.name: m.mode for m in members}["bin/run.sh"] == 0o755
    assert {m.name: m.mode for m in members}["README.md"] == 0o644
    write_base(tmp_path, TREE)
    assert (tmp_path / BASE_FILE).read_bytes() == data
    assert read_base(tmp_path) == TREE


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed, \
            tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for info, data in members:
            info.size = len(data) if info.isreg() else 0
            tar.addfile(info, io.BytesIO(data) if info.isreg() else None)
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(("members", "message"), [
    ([(_member("../escape.txt"), b"x")], "not a plain path inside the repo"),
    ([(_member("/etc/passwd"), b"x")], "not a plain path inside the repo"),
    ([(_member("a/../../b"), b"x")], "not a plain path inside the repo"),
    ([(_member("./a"), b"x")], "not a plain path inside the repo"),
    ([(_member(".git/hooks/post-checkout"), b"x")], "not a plain path inside the repo"),
    ([(_member("a\\..\\b"), b"x")], "not a plain path inside the repo"),
    ([(_member("link", tarfile.SYMTYPE, "/etc/passwd"), b"")], "not a regular file"),
    ([(_member("a"), b"x"), (_member("hard", tarfile.LNKTYPE, "a"), b"")], "not a regular file"),
    ([(_member("dev", tarfile.CHRTYPE), b"")], "not a regular file"),
    ([(_member("fifo", tarfile.FIFOTYPE), b"")], "not a regular file"),
    ([(_member("a"), b"x"), (_member("a"), b"y")], "twice"),
])
def test_a_hostile_base_archive_is_refused(members: list[tuple[tarfile.TarInfo, bytes]], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        unarchive(_tar(*members), BASE_FILE)


def test_base_archive_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    bomb = gzip.compress(b"\0" * (4 << 20), mtime=0)  # 4 MiB of zeros: a few KiB compressed
    monkeypatch.setattr(base_module, "MAX_BYTES", 1 << 20)
    monkeypatch.setattr(base_module, "MAX_MEMBERS", 10)
    with pytest.raises(ConfigError, match="uncompresses to more than"):
        unarchive(bomb, BASE_FILE)
    with pytest.raises(ConfigError, match="more than 1048576 bytes of content"):
        unarchive(_tar((_member("a"), b"x" * (520 << 10)), (_member("b"), b"y" * (520 << 10))), BASE_FILE)
    monkeypatch.setattr(base_module, "MAX_MEMBERS", 3)
    with pytest.raises(ConfigError, match="more than 3 entries"):
        unarchive(_tar(*((_member(f"f{n}"), b"") for n in range(4))), BASE_FILE)
    with pytest.raises(ConfigError, match="truncated"):
        unarchive(archive(TREE)[:-20], BASE_FILE)
    with pytest.raises(ConfigError, match="not a gzip archive"):
        unarchive(b"PK\3\4 a zip file", BASE_FILE)


def test_a_missing_or_linked_base_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="records no merge base"):
        read_base(tmp_path)
    write_base(tmp_path / "..", TREE)
    (tmp_path / BASE_FILE).symlink_to(tmp_path.parent / BASE_FILE)
    for action in (lambda: read_base(tmp_path), lambda: write_base(tmp_path, {})):
        with pytest.raises(ConfigError, match="symbolic link"):
            action()
    assert read_base(tmp_path.parent) == TREE


# --- what a render records ---

def test_the_hook_writes_the_same_base_as_the_package_and_new_records_its_source(tmp_path: Path) -> None:
    """Plain cookiecutter (the hook, standard library only) and the package's base.py write the same bytes for the
    same files; `gitops-tools new` commits the base and records the installed package as the source."""
    from gitops_tools import __version__
    from gitops_tools.cli import main

    plain = tmp_path / "plain"
    done = subprocess.run([str(Path(sys.executable).with_name("cookiecutter")), str(data_root() / "scaffolds" /
                           "gitops-env"), "--no-input", "-o", str(plain)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    (made,) = plain.iterdir()
    assert (made / BASE_FILE).read_bytes() == archive(read_folder(made))
    state = read_state(made)
    assert (state.base, state.components) == (BASE_FILE, ())
    assert state.source == Source("dir", str(data_root() / "scaffolds" / "gitops-env"), None, state.commit)

    out, err = io.StringIO(), io.StringIO()
    assert main(["new", "gitops-env", "--no-input", "-o", str(tmp_path / "new")], out, err) == 0, err.getvalue()
    (repo,) = (tmp_path / "new").iterdir()
    assert read_base(repo) == read_tree(repo) == read_folder(made)
    assert read_state(repo).source == Source("package", "gitops-tools", __version__, state.commit)
    assert git(repo, "status", "--porcelain") == ""
    assert {BASE_FILE, STATE_FILE} <= set(git(repo, "ls-files").split())


def test_the_hook_refuses_scaffold_data_that_points_outside_the_render(tmp_path: Path) -> None:
    template = tmp_path / "evil"
    (template / "hooks").mkdir(parents=True)
    (template / "hooks" / "post_gen_project.py").write_bytes(
        (data_root() / "scaffolds" / "service" / "hooks" / "post_gen_project.py").read_bytes())
    (template / "{{cookiecutter.name}}").mkdir()
    (template / "{{cookiecutter.name}}" / "x.txt").write_text("x\n")
    (template / "cookiecutter.json").write_text(json.dumps({
        "name": "demo", "_drop": {"../victim.txt": {"name": "demo"}}}))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "victim.txt").write_text("still here\n")
    done = subprocess.run([str(Path(sys.executable).with_name("cookiecutter")), str(template), "--no-input", "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert "outside the repo it renders; refused" in done.stderr + done.stdout
    assert (tmp_path / "out" / "victim.txt").read_text() == "still here\n"
