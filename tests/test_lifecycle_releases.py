"""The version-bump guard (gitops_tools/lifecycle/releases.py): every scaffold and component of this checkout is the
content recorded for its version, each earlier release names a commit holding it; and recording works on a real
git repository: a change without a bump is caught, a bump is recorded and fills in the commit of the release before
it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import git

from gitops_tools.errors import ConfigError
from gitops_tools.lifecycle.releases import (
    RELEASES,
    check,
    content_digest,
    digest_at,
    in_history,
    main,
    previous_release,
    read_releases,
    record,
    units,
)
from gitops_tools.resources import data_root
from tests.conftest import unavailable

CHECKOUT = data_root()
UNITS = units(CHECKOUT)


def test_every_scaffold_is_a_release_unit() -> None:
    names = {unit.relative_to(CHECKOUT / "scaffolds").as_posix() for unit in UNITS}
    assert {"service", "gitops-env"} <= names


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_content_changes_only_with_a_version_bump(unit: Path) -> None:
    """Fails when a scaffold's (or component's) files changed but its version did not; the message says what to do:
    bump `_scaffold_version` (`_component_version`), add a migration if repos need steps, `make scaffold-release`."""
    problem = check(unit)
    assert problem is None, problem


def _shallow() -> bool:
    done = subprocess.run(["git", "rev-parse", "--is-shallow-repository"], cwd=CHECKOUT, capture_output=True,
                          text=True, check=False)
    return done.returncode != 0 or done.stdout.strip() != "false"


@pytest.mark.parametrize("unit", UNITS, ids=[unit.name for unit in UNITS])
def test_every_earlier_release_names_a_commit_holding_it(unit: Path) -> None:
    """`scaffold test` upgrades from the previous release, taken from its commit: that commit must hold exactly the
    content recorded for it."""
    if _shallow():
        unavailable("needs the project's git history (a full clone)")
    releases = read_releases(unit)
    relative = unit.relative_to(CHECKOUT).as_posix()
    for release in releases[:-1]:
        assert release.commit, f"{relative} {release.version} names no commit; run `make scaffold-release`"
    for release in releases:
        if release.commit:
            assert in_history(CHECKOUT, release.commit), (
                f"{relative} {release.version} names {release.commit[:12]}, which is not in main's history (a branch "
                f"rebased since?); a fresh clone lacks it: run `make scaffold-release`")
            assert digest_at(CHECKOUT, release.commit, relative) == release.digest, (relative, release.version)


def project(tmp_path: Path, key: str = "_scaffold_version", folder: str = "scaffolds/demo") -> Path:
    """A small project repository with one unit at version 1.0.0, committed."""
    unit = tmp_path / folder
    (unit / "{{cookiecutter.name}}").mkdir(parents=True)
    (unit / "cookiecutter.json").write_text(json.dumps({"name": "x", key: "1.0.0"}), encoding="utf-8")
    (unit / "{{cookiecutter.name}}" / "README.md").write_text("one\n", encoding="utf-8")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "1.0.0")
    return unit


def bump(unit: Path, version: str, key: str = "_scaffold_version") -> None:
    data = json.loads((unit / "cookiecutter.json").read_text(encoding="utf-8"))
    (unit / "cookiecutter.json").write_text(json.dumps({**data, key: version}), encoding="utf-8")


def test_a_change_needs_a_bump_and_a_record(tmp_path: Path) -> None:
    unit = project(tmp_path)
    first = git(tmp_path, "rev-parse", "HEAD")
    assert "1.0.0 is not recorded in releases.json; run `make scaffold-release`" in str(check(unit))
    assert record(unit, tmp_path) == "scaffolds/demo: recorded 1.0.0"
    assert read_releases(unit)[0].commit == first  # the content is committed already
    assert check(unit) is None
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "record 1.0.0")

    (unit / "{{cookiecutter.name}}" / "README.md").write_text("two\n", encoding="utf-8")
    assert "its files changed since 1.0.0 was recorded, but _scaffold_version did not: bump _scaffold_version" \
        in str(check(unit))
    with pytest.raises(ConfigError, match=r"1\.0\.0 is recorded with other content; bump _scaffold_version"):
        record(unit, tmp_path)

    bump(unit, "1.1.0")
    assert "1.1.0 is not recorded" in str(check(unit))
    assert record(unit, tmp_path) == "scaffolds/demo: recorded 1.1.0"
    assert check(unit) is None
    releases = read_releases(unit)
    assert [(r.version, r.commit) for r in releases] == [("1.0.0", first), ("1.1.0", None)]
    assert previous_release(unit) == releases[0]
    assert digest_at(tmp_path, first, "scaffolds/demo") == releases[0].digest
    assert record(unit, tmp_path) == "scaffolds/demo: 1.1.0 is recorded"

    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "1.1.0")
    bump(unit, "1.0.1")
    assert "1.0.1 is older than the recorded release 1.1.0" in str(check(unit))
    with pytest.raises(ConfigError, match=r"1\.0\.1 is older than the recorded release 1\.1\.0"):
        record(unit, tmp_path)


def test_recording_fills_in_the_commit_of_a_release_recorded_before_it_was_committed(tmp_path: Path) -> None:
    unit = project(tmp_path)
    (unit / "{{cookiecutter.name}}" / "README.md").write_text("two\n", encoding="utf-8")
    bump(unit, "1.1.0")
    record(unit, tmp_path)
    assert read_releases(unit)[0].commit is None  # 1.1.0 is in the work tree only
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "1.1.0")
    holding = git(tmp_path, "rev-parse", "HEAD")
    (unit / "{{cookiecutter.name}}" / "README.md").write_text("three\n", encoding="utf-8")
    bump(unit, "1.2.0")
    assert record(unit, tmp_path) == "scaffolds/demo: recorded 1.2.0"
    assert [(r.version, r.commit) for r in read_releases(unit)] == [("1.1.0", holding), ("1.2.0", None)]


def test_a_commit_made_on_a_branch_since_rebased_is_found_again_in_main(tmp_path: Path) -> None:
    """A release recorded on a helper branch names that branch's commit; after a rebase onto main the commit is in no
    clone of main, so recording finds the content's commit in main's history instead."""
    unit = project(tmp_path)
    git(tmp_path, "checkout", "-q", "-b", "feature")
    (unit / "{{cookiecutter.name}}" / "README.md").write_text("two\n", encoding="utf-8")
    bump(unit, "1.1.0")
    git(tmp_path, "commit", "-q", "-am", "1.1.0 on the branch")
    on_branch = git(tmp_path, "rev-parse", "HEAD")
    git(tmp_path, "checkout", "-q", "main")
    (tmp_path / "NEWS").write_text("main moved on\n", encoding="utf-8")
    git(tmp_path, "add", "NEWS")
    git(tmp_path, "commit", "-q", "-m", "main moved on")
    git(tmp_path, "cherry-pick", "feature")  # the same change, a different commit: as a rebase leaves it
    rebased = git(tmp_path, "rev-parse", "HEAD")
    (unit / RELEASES).write_text(json.dumps({"releases": [
        {"version": "1.1.0", "digest": content_digest(unit), "commit": on_branch}]}), encoding="utf-8")
    assert not in_history(tmp_path, on_branch) and in_history(tmp_path, rebased)
    assert not in_history(tmp_path, "0" * 40) and not in_history(tmp_path, None)
    assert record(unit, tmp_path) == "scaffolds/demo: filled in the commits of 1.1.0"
    assert [release.commit for release in read_releases(unit)] == [rebased]


def test_components_are_guarded_by_their_own_version(tmp_path: Path) -> None:
    unit = project(tmp_path, "_component_version", "scaffolds/components/cache")
    assert units(tmp_path) == [unit]
    record(unit, tmp_path)
    (unit / "{{cookiecutter.name}}" / "README.md").write_text("two\n", encoding="utf-8")
    assert "bump _component_version in cookiecutter.json" in str(check(unit))
    bump(unit, "1.0.1", "_component_version")
    record(unit, tmp_path)
    assert check(unit) is None


def test_the_digest_covers_names_modes_and_bytes_but_not_bytecode_or_the_record(tmp_path: Path) -> None:
    unit = project(tmp_path)
    digest = content_digest(unit)
    (unit / "hooks" / "__pycache__").mkdir(parents=True)
    (unit / "hooks" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    (unit / RELEASES).write_text('{"releases": []}\n', encoding="utf-8")
    (tmp_path / ".gitignore").write_text("*.swp\n", encoding="utf-8")
    (unit / ".cookiecutter.json.swp").write_bytes(b"an editor's")  # ignored by git: not content
    assert content_digest(unit) == digest
    (unit / "notes.txt").write_text("untracked, not ignored: content\n", encoding="utf-8")
    assert content_digest(unit) != digest
    (unit / "notes.txt").unlink()
    readme = unit / "{{cookiecutter.name}}" / "README.md"
    readme.chmod(0o755)
    assert content_digest(unit) != digest
    readme.chmod(0o644)
    readme.rename(readme.with_name("README.txt"))
    assert content_digest(unit) != digest


def test_a_link_in_a_scaffold_is_refused(tmp_path: Path) -> None:
    unit = project(tmp_path)
    (unit / "link").symlink_to("/etc/passwd")
    with pytest.raises(ConfigError, match="a scaffold holds regular files only"):
        content_digest(unit)


@pytest.mark.parametrize(("text", "message"), [
    ("[]", "not a releases file"),
    ('{"releases": [{"version": "one", "digest": "x"}]}', "not a releases file"),
    ('{"releases": [{"version": "1.1.0", "digest": "x"}, {"version": "1.0.0", "digest": "y"}]}', "oldest first"),
])
def test_a_bad_releases_file_is_a_usage_error(tmp_path: Path, text: str, message: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    unit = project(tmp_path)
    (unit / RELEASES).write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        read_releases(unit)
    assert main([str(tmp_path)]) == 2
    assert message in capsys.readouterr().err


def test_make_scaffold_release_records_every_unit(tmp_path: Path) -> None:
    project(tmp_path)
    done = subprocess.run(["make", "-s", "-C", str(CHECKOUT), "-n", "scaffold-release"], capture_output=True,
                          text=True, check=True)
    assert "-m gitops_tools.lifecycle.releases ." in done.stdout
    assert main([str(tmp_path)]) == 0
    assert [release.version for release in read_releases(tmp_path / "scaffolds" / "demo")] == ["1.0.0"]
