"""Writing a merge into a repo: all or nothing, never through a symlink, never out of the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.apply import apply
from gitops_tools.lifecycle.tree import Entry


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every file and folder under root with its bytes and mode: equal snapshots mean an untouched tree."""
    return {str(path.relative_to(root)): (None if path.is_dir() or path.is_symlink() else path.read_bytes(),
                                          path.lstat().st_mode)
            for path in sorted(root.rglob("*"))}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "k8s" / "base").mkdir(parents=True)
    (root / "k8s" / "base" / "deployment.yaml").write_text("kind: Deployment\n")
    (root / "old" / "deep").mkdir(parents=True)
    (root / "old" / "deep" / "gone.txt").write_text("bye\n")
    (root / "README.md").write_text("hello\n")
    return root


def test_writes_deletes_modes_and_prunes_emptied_folders(repo: Path) -> None:
    apply(repo, {"k8s/base/deployment.yaml": Entry(b"kind: Deployment\nx: 1\n"),
                 "scripts/new/run.sh": Entry(b"#!/bin/sh\n", executable=True)},
          {"old/deep/gone.txt", "missing.txt"})
    assert (repo / "k8s/base/deployment.yaml").read_bytes() == b"kind: Deployment\nx: 1\n"
    assert os.access(repo / "scripts/new/run.sh", os.X_OK)
    assert (repo / "k8s/base/deployment.yaml").stat().st_mode & 0o777 == 0o644
    assert not (repo / "old").exists()
    assert sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if p.is_file()) == \
        ["README.md", "k8s/base/deployment.yaml", "scripts/new/run.sh"]


@pytest.mark.parametrize("path", ["../escape.txt", "/etc/passwd", "a/../../b", ".git/config", "a//b", "./a",
                                  "a\\..\\b"])
def test_paths_out_of_the_repo_are_refused_before_anything_is_written(repo: Path, path: str) -> None:
    before = snapshot(repo.parent)
    with pytest.raises(ConfigError, match="not a path inside the repository; nothing was written"):
        apply(repo, {"README.md": Entry(b"changed\n"), path: Entry(b"x")})
    assert snapshot(repo.parent) == before


def test_symlinked_folder_or_file_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / "linked").symlink_to(outside, target_is_directory=True)
    (repo / "link.txt").symlink_to(tmp_path / "outside" / "target.txt")
    before = snapshot(tmp_path)
    for path in ["linked/evil.txt", "link.txt"]:
        with pytest.raises(ConfigError, match="is a symlink; refusing to write through it"):
            apply(repo, {"README.md": Entry(b"changed\n"), path: Entry(b"x")})
        with pytest.raises(ConfigError, match="is a symlink"):
            apply(repo, {}, {path})
    assert snapshot(tmp_path) == before
    assert list(outside.iterdir()) == []


def test_a_folder_where_a_file_goes_is_refused(repo: Path) -> None:
    before = snapshot(repo)
    with pytest.raises(ConfigError, match="k8s/base: is a folder"):
        apply(repo, {"README.md": Entry(b"changed\n"), "k8s/base": Entry(b"x")})
    with pytest.raises(ConfigError, match=r"README\.md is a file in the repository"):
        apply(repo, {"README.md/inner.txt": Entry(b"x")})
    assert snapshot(repo) == before


def test_a_failure_midway_restores_the_work_tree(repo: Path) -> None:
    """The last rename fails for real (a file name longer than the filesystem allows): the files renamed before it
    get their old bytes back, the new folders and temp files go, the deletion is not made."""
    before = snapshot(repo)
    too_long = "z" * 300
    with pytest.raises(OSError, match="too long"):
        apply(repo, {"README.md": Entry(b"changed\n"), "k8s/base/deployment.yaml": Entry(b"new\n", True),
                     "brand/new/file.txt": Entry(b"x"), f"k8s/{too_long}": Entry(b"x")},
              {"old/deep/gone.txt"})
    assert snapshot(repo) == before


def test_a_failure_while_staging_restores_the_work_tree(repo: Path) -> None:
    before = snapshot(repo)
    with pytest.raises(OSError, match="too long"):
        apply(repo, {"README.md": Entry(b"changed\n"), "a/new/file.txt": Entry(b"x"),
                     f"{'y' * 300}/file.txt": Entry(b"x")})
    assert snapshot(repo) == before
