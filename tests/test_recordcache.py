"""The context files' record cache: a one-file run reports exactly what an uncached run reports, reads only the
neighbours that changed, and shrugs off a damaged or unwritable cache. Real files in a real git repository, the
CLI run in-process (and as a process where file modes must bind for root)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from test_workspace import SELECTOR, deployment, git, manifest, service

from gitops_tools import policycache, recordcache
from gitops_tools.cli import main
from gitops_tools.config import Config
from gitops_tools.discovery import SourceFile
from gitops_tools.engine import Engine
from gitops_tools.model import ObjectRecord
from gitops_tools.pipeline import parallel

NEIGHBOURS = 8
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with a folder (one deployable unit): a Service, the Deployment it selects, and ConfigMaps;
    every file older than the racy window, as in a checkout."""
    root = tmp_path / "repo"
    apps = root / "apps"
    apps.mkdir(parents=True)
    (apps / "svc.yaml").write_text(service("web", "shop", {"app": "web"}), encoding="utf-8")
    (apps / "deploy.yaml").write_text(deployment("web", "shop", {"app": "web"}), encoding="utf-8")
    for index in range(NEIGHBOURS):
        (apps / f"settings-{index}.yaml").write_text(manifest("ConfigMap", f"settings-{index}", "shop"),
                                                     encoding="utf-8")
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "apps")
    time.sleep(recordcache.RACY_SECONDS + 0.2)
    return root


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The display paths of the context files this test's runs read (parsed), in order."""
    found: list[str] = []
    collect = parallel.collect_file

    def counted(engine: Engine, source: SourceFile, config: Config) -> tuple[ObjectRecord, ...]:
        found.append(source.display)
        return collect(engine, source, config)

    monkeypatch.setattr(parallel, "collect_file", counted)
    return found


@pytest.fixture
def run(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """`run(cache=True)`: lint apps/svc.yaml as JSON from the repository root; with the cache in tmp_path/cache, or
    with GITOPS_TOOLS_NO_CACHE=1 (`cache=False`), or in the folder `cache_dir`."""
    monkeypatch.chdir(repo)

    def lint(cache: bool = True, cache_dir: Path | None = None) -> tuple[int, str]:
        monkeypatch.delenv("GITOPS_TOOLS_NO_CACHE", raising=False)
        monkeypatch.setenv("GITOPS_TOOLS_CACHE_DIR", str(cache_dir or tmp_path / "cache"))
        if not cache:
            monkeypatch.setenv("GITOPS_TOOLS_NO_CACHE", "1")
        out, err = io.StringIO(), io.StringIO()
        code = main(["lint", "apps/svc.yaml", "--format", "json"], out, err)
        assert err.getvalue() == ""
        return code, out.getvalue()

    return lint


def cached_files(folder: Path) -> Iterator[str]:
    """The files the record cache in `folder` holds, as paths relative to their folder's parent."""
    (path,) = folder.glob("records-*.pickle")
    stored = policycache.read(path, next(iter(_keys(path))))
    assert isinstance(stored, dict)
    return (str(Path(name).relative_to(Path(name).parent.parent)) for name in stored)


def _keys(path: Path) -> Iterator[str]:
    import pickle

    with path.open("rb") as stream:
        key, _ = pickle.load(stream)
    yield key


def test_cached_runs_report_what_uncached_runs_report_and_read_only_changed_neighbours(
        repo: Path, tmp_path: Path, run: Run, reads: list[str]) -> None:
    uncached = run(cache=False)
    assert len(reads) == NEIGHBOURS + 1 and SELECTOR not in uncached[1]
    reads.clear()
    assert run() == uncached  # the cache is written
    assert len(reads) == NEIGHBOURS + 1
    assert sorted(cached_files(tmp_path / "cache")) == sorted(reads)
    reads.clear()
    assert run() == uncached  # every neighbour from the cache
    assert reads == []

    deploy = repo / "apps" / "deploy.yaml"
    before = deploy.read_text(encoding="utf-8")
    deploy.write_text(before.replace("app: web", "app: wex"), encoding="utf-8")  # same size: no pod selected
    changed = run(cache=False)
    assert changed[0] == 1 and SELECTOR in changed[1]
    reads.clear()
    assert run() == changed
    assert reads == ["apps/deploy.yaml"]  # only the edited neighbour is parsed again

    deploy.write_text(before, encoding="utf-8")
    reads.clear()
    assert run() == uncached
    assert reads == ["apps/deploy.yaml"]


def test_a_file_changed_within_the_racy_window_is_not_cached(repo: Path, tmp_path: Path, run: Run,
                                                             reads: list[str]) -> None:
    deploy = repo / "apps" / "deploy.yaml"
    text = deploy.read_text(encoding="utf-8")
    deploy.write_text(text, encoding="utf-8")  # just now
    stamp = deploy.stat()
    assert run() == run(cache=False)
    assert "apps/deploy.yaml" not in set(cached_files(tmp_path / "cache"))
    assert len(set(cached_files(tmp_path / "cache"))) == NEIGHBOURS
    # A same-size edit that keeps the modification time: the Service now selects nothing.
    deploy.write_text(text.replace("app: web", "app: wex"), encoding="utf-8")
    os.utime(deploy, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert deploy.stat().st_size == stamp.st_size and deploy.stat().st_mtime_ns == stamp.st_mtime_ns
    reads.clear()
    cached = run()
    assert reads == ["apps/deploy.yaml"]
    assert cached == run(cache=False)
    assert cached[0] == 1 and SELECTOR in cached[1]


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign-key", "not-records"])
def test_a_damaged_cache_is_ignored_and_rewritten(tmp_path: Path, run: Run, reads: list[str], damage: str) -> None:
    expected = run(cache=False)
    assert run() == expected
    (path,) = (tmp_path / "cache").glob("records-*.pickle")
    key = next(_keys(path))
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x80\x05garbage, not a pickle" * 10)
    elif damage == "foreign-key":
        assert policycache.write(path, "another key", {})
    else:
        assert policycache.write(path, key, {"/apps/svc.yaml": ("not", "an", "entry")})
    reads.clear()
    assert run() == expected
    assert len(reads) == NEIGHBOURS + 1  # read again from the files
    assert len(list(cached_files(tmp_path / "cache"))) == NEIGHBOURS + 1  # and the cache written anew
    reads.clear()
    assert run() == expected
    assert reads == []


def test_a_cache_folder_that_cannot_be_written_is_no_error(tmp_path: Path, run: Run, reads: list[str]) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("", encoding="utf-8")
    expected = run(cache=False)
    reads.clear()
    assert run(cache_dir=blocker / "cache") == expected
    assert run(cache_dir=blocker / "cache") == expected
    assert len(reads) == 2 * (NEIGHBOURS + 1)
    assert [path.name for path in tmp_path.iterdir() if path.name != "repo"] == ["blocker"]


def test_a_read_only_cache_folder_is_skipped(repo: Path, tmp_path: Path,
                                             without_file_permissions: list[str]) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o700)
    folder.chmod(0o500)
    env = {**os.environ, "GITOPS_TOOLS_CACHE_DIR": str(folder)}
    command = [*without_file_permissions, sys.executable, "-m", "gitops_tools", "lint", "apps/svc.yaml", "--format",
               "json"]
    done = subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True, timeout=60, check=False)
    plain = subprocess.run(command, cwd=repo, env={**env, "GITOPS_TOOLS_NO_CACHE": "1"}, capture_output=True,
                           text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (plain.returncode, plain.stdout, "")
    assert list(folder.iterdir()) == []


def test_a_file_alone_reads_no_record_cache(tmp_path: Path) -> None:
    """No context, no cache: the module is not even imported, and nothing is written."""
    (tmp_path / "lone").mkdir()
    (tmp_path / "lone" / "svc.yaml").write_text(service("web", "shop", {"app": "web"}), encoding="utf-8")
    script = ("import io, sys; from gitops_tools.cli import main; "
              "code = main(['lint', 'lone/svc.yaml'], io.StringIO(), io.StringIO()); "
              "print(code, 'gitops_tools.recordcache' in sys.modules)")
    env = {**os.environ, "GITOPS_TOOLS_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.split() == ["1", "False"]  # a Service without the recommended labels
    assert [path.name for path in (tmp_path / "cache").glob("records-*")] == []


def test_a_run_computes_the_cache_key_once_and_a_second_reads_the_data_files_from_the_cache(
        run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The key looks at every file of the package: the policies, the built-in data files and the records share the
    one a run computes when it starts. The data files (domains, workloads) are parsed by the first run only."""
    from gitops_tools import lint

    keys: list[tuple[Path, ...]] = []
    key = policycache.cache_key

    def counted(packs: tuple[Path, ...] = ()) -> str:
        keys.append(packs)
        return key(packs)

    monkeypatch.setattr(policycache, "cache_key", counted)
    first = run()
    assert keys == [()]
    real_read = lint.read_builtin_data

    def unavailable() -> object:
        raise AssertionError("parsed the data files although the cache holds them")

    monkeypatch.setattr(lint, "read_builtin_data", unavailable)
    assert run() == first
    assert keys == [(), ()]
    monkeypatch.setattr(lint, "read_builtin_data", real_read)
    assert run(cache=False) == first
