"""The on-disk cache of the built-in policies: used only when valid and trusted, never an error."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest

from gitops_tools import policycache
from gitops_tools.cli import main
from gitops_tools.model import Policy
from gitops_tools.policies import load_policies
from gitops_tools.resources import BuiltinData, read_builtin_data

CLEAN_AND_NOT = """\
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {type: NodePort, ports: [{port: 80}]}
"""


def cache_in(folder: Path) -> policycache.Cache:
    """The cache in `folder` under the current key (a run computes it once, when it starts)."""
    return policycache.Cache(folder, policycache.cache_key())


class Loads:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> dict[str, Policy]:
        self.calls += 1
        return load_policies()


def test_a_second_run_reads_the_cache_and_gets_the_same_policies(tmp_path: Path) -> None:
    load = Loads()
    first = policycache.builtin_policies(load, cache_in(tmp_path))
    second = policycache.builtin_policies(load, cache_in(tmp_path))
    assert load.calls == 1
    assert second == first == load_policies()
    assert list(second) == list(first)
    assert (tmp_path / policycache.CACHE_NAME).stat().st_mode & 0o777 == 0o600


def test_the_data_files_are_kept_beside_the_policies(tmp_path: Path) -> None:
    calls: list[BuiltinData] = []

    def load() -> BuiltinData:
        calls.append(read_builtin_data())
        return calls[-1]

    first = policycache.builtin_data(load, cache_in(tmp_path))
    second = policycache.builtin_data(load, cache_in(tmp_path))
    assert len(calls) == 1
    assert second == first == read_builtin_data()
    assert "kubernetes" in second.domains and "apps/Deployment" in second.workloads
    assert (tmp_path / policycache.DATA_NAME).stat().st_mode & 0o777 == 0o600


def test_each_installation_keeps_its_own_cache_file() -> None:
    assert policycache.CACHE_NAME.startswith("builtin-policies-")
    assert policycache.CACHE_NAME != "builtin-policies-.pickle"


def test_writing_the_cache_removes_other_installations_stale_caches(tmp_path: Path) -> None:
    stale, fresh = tmp_path / "builtin-policies-0000000000000000.pickle", tmp_path / "builtin-policies-1.pickle"
    other = tmp_path / "unrelated.pickle"
    for path in (stale, fresh, other):
        path.write_bytes(b"")
    month_ago = time.time() - policycache.STALE_SECONDS - 60
    for path in (stale, other):
        os.utime(path, (month_ago, month_ago))
    policycache.builtin_policies(Loads(), cache_in(tmp_path))
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [policycache.CACHE_NAME, fresh.name, other.name])


def test_a_changed_schema_file_invalidates_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "policy.yaml").write_text("id: a\n", encoding="utf-8")
    monkeypatch.setattr(policycache, "schema_path", lambda: schemas)
    before = policycache.cache_key()
    (schemas / "policy.yaml").write_text("id: ab\n", encoding="utf-8")
    assert policycache.cache_key() != before
    changed = policycache.cache_key()
    os.utime(schemas / "policy.yaml", ns=(1, 1))
    assert policycache.cache_key() != changed
    load = Loads()
    folder = tmp_path / "cache"
    policycache.builtin_policies(load, cache_in(folder))
    (schemas / "another.yaml").write_text("id: c\n", encoding="utf-8")
    policycache.builtin_policies(load, cache_in(folder))
    assert load.calls == 2


def test_a_file_edited_in_place_deep_in_the_schemas_changes_the_key(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """An edit keeps the folders' modification times: each file's own stamp is what the key holds."""
    nested = tmp_path / "schemas" / "policies" / "kubernetes"
    nested.mkdir(parents=True)
    policy = nested / "a.yaml"
    policy.write_text("id: a\n", encoding="utf-8")
    monkeypatch.setattr(policycache, "schema_path", lambda: tmp_path / "schemas")
    folders = [(folder, folder.stat().st_mtime_ns) for folder in (nested, nested.parent, nested.parent.parent)]
    before = policycache.cache_key()
    with policy.open("r+", encoding="utf-8") as handle:  # in place: same inode, same size
        handle.write("id: b\n")
    os.utime(policy, ns=(policy.stat().st_atime_ns, policy.stat().st_mtime_ns + 1_000_000))
    assert [(folder, folder.stat().st_mtime_ns) for folder, _ in folders] == folders
    assert policycache.cache_key() != before


@pytest.mark.parametrize("damage", ["corrupt", "group-writable", "foreign-key"])
def test_a_damaged_or_untrusted_cache_is_not_used(tmp_path: Path, damage: str) -> None:
    load = Loads()
    policycache.builtin_policies(load, cache_in(tmp_path))
    cache = tmp_path / policycache.CACHE_NAME
    if damage == "corrupt":
        cache.write_bytes(b"not a pickle")
    elif damage == "group-writable":
        cache.chmod(0o620)
    else:
        policycache.write(cache, "another key", {})
    assert policycache.builtin_policies(load, cache_in(tmp_path)) == load_policies()
    assert load.calls == 2


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    load = Loads()
    assert policycache.builtin_policies(load, cache_in(blocker / "cache")) == load_policies()
    assert policycache.builtin_policies(load, None) == load_policies()
    assert load.calls == 2
    assert list(tmp_path.iterdir()) == [blocker]


@pytest.mark.parametrize(("environment", "expected"), [
    ({"HOME": "/home/u"}, Path("/home/u/.cache/gitops-tools")),
    ({"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"}, Path("/xdg/gitops-tools")),
    ({"HOME": "/home/u", "GITOPS_TOOLS_CACHE_DIR": "/c"}, Path("/c")),
    ({"HOME": "/home/u", "GITOPS_TOOLS_NO_CACHE": "1"}, None),
    ({"HOME": "/home/u", "GITOPS_TOOLS_NO_CACHE": "0"}, Path("/home/u/.cache/gitops-tools")),
    ({}, None),
])
def test_cache_folder(environment: dict[str, str], expected: Path | None) -> None:
    assert policycache.cache_dir(environment) == expected


def test_lint_output_is_the_same_with_and_without_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = tmp_path / "service.yaml"
    manifest.write_text(CLEAN_AND_NOT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    outputs = []
    for environment in ({"GITOPS_TOOLS_NO_CACHE": "1"}, {"GITOPS_TOOLS_CACHE_DIR": str(tmp_path / "cache")},
                        {"GITOPS_TOOLS_CACHE_DIR": str(tmp_path / "cache")}):
        for name in ("GITOPS_TOOLS_NO_CACHE", "GITOPS_TOOLS_CACHE_DIR"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        out, err = io.StringIO(), io.StringIO()
        code = main(["lint", "service.yaml", "--format", "json"], out, err)
        outputs.append((code, out.getvalue(), err.getvalue()))
    assert (tmp_path / "cache" / policycache.CACHE_NAME).exists()
    assert outputs[0][0] == 1
    assert outputs[0] == outputs[1] == outputs[2]
