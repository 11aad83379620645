"""Template sources (the installed package, a folder, a git URL at a ref) and rendering them to Trees."""

from __future__ import annotations

import io
import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import git

from gitops_tools import __version__
from gitops_tools.cli import main
from gitops_tools.errors import ConfigError, GitopsToolsError
from gitops_tools.lifecycle import source as source_module
from gitops_tools.lifecycle.base import read_base
from gitops_tools.lifecycle.render import compose, render_tree
from gitops_tools.lifecycle.source import open_source, split_ref
from gitops_tools.lifecycle.state import Layer, Source, read_state
from gitops_tools.resources import data_root

SCAFFOLDS = data_root() / "scaffolds"
ENV_ANSWERS = {"repo_name": "platform-envs", "teams": "team-a"}


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """A git repository holding a copy of the gitops-env scaffold: tag v1 as shipped, then a commit changing it."""
    repo = tmp_path / "templates"
    shutil.copytree(SCAFFOLDS / "gitops-env", repo / "scaffolds" / "gitops-env",
                    ignore=shutil.ignore_patterns("__pycache__"))
    git(tmp_path, "init", "-q", "-b", "main", str(repo))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "v1")
    git(repo, "tag", "v1")
    readme = next((repo / "scaffolds" / "gitops-env").glob("{{*}}")) / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nVersion two.\n", encoding="utf-8")
    git(repo, "commit", "-qam", "v2")
    return repo


def test_the_installed_package_is_the_default_source() -> None:
    with open_source(None) as found:
        assert found.source == Source("package", "gitops-tools", __version__)
        assert found.scaffolds == SCAFFOLDS and found.trusted


def test_a_checkout_or_one_scaffold_folder_is_a_dir_source(tmp_path: Path) -> None:
    with open_source(str(data_root())) as found:
        assert (found.source.kind, found.source.location, found.scaffolds) == ("dir", str(data_root()), SCAFFOLDS)
        assert found.trusted
    with open_source(str(SCAFFOLDS / "gitops-env")) as found:
        assert found.source.location == str(SCAFFOLDS / "gitops-env")
        assert [path.name for path in found.scaffolds.iterdir()] == ["gitops-env"]
        scratch = found.scaffolds
    assert not scratch.exists()  # the copy goes with the block
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match="neither a checkout holding scaffolds/ nor a scaffold folder"):
        open_source(str(tmp_path / "empty")).__enter__()


@pytest.mark.slow
def test_a_git_url_at_a_tag_or_commit_renders_that_version(template_repo: Path) -> None:
    v1 = git(template_repo, "rev-parse", "v1")
    for spec, ref in [(f"file://{template_repo}@v1", "v1"), (f"{template_repo}@{v1}", v1)]:
        with open_source(spec) as found:
            assert found.source == Source("git", spec.rpartition("@")[0], ref, v1)
            assert found.trusted
            tree = render_tree(found.scaffolds / "gitops-env", ENV_ANSWERS, trust=found.trusted)
        assert "Version two." not in tree["README.md"].data.decode()
    with open_source(f"file://{template_repo}") as found:
        assert found.source.commit == git(template_repo, "rev-parse", "HEAD") and found.source.ref is None
        assert "Version two." in render_tree(found.scaffolds / "gitops-env", ENV_ANSWERS, trust=True)[
            "README.md"].data.decode()


@pytest.mark.parametrize(("spec", "expected"), [
    ("https://github.com/acme/gitops-tools@v1.2.0", ("https://github.com/acme/gitops-tools", "v1.2.0")),
    ("https://github.com/acme/gitops-tools", ("https://github.com/acme/gitops-tools", None)),
    ("https://token@github.com/acme/gitops-tools", ("https://token@github.com/acme/gitops-tools", None)),
    ("git@github.com:acme/gitops-tools.git", ("git@github.com:acme/gitops-tools.git", None)),
    ("git@github.com:acme/gitops-tools.git@release/2.0", ("git@github.com:acme/gitops-tools.git", "release/2.0")),
    ("file:///srv/templates@" + "a" * 40, ("file:///srv/templates", "a" * 40)),
    ("file:///srv/templates@../x", ("file:///srv/templates@../x", None)),
])
def test_a_ref_is_split_from_the_url_only_after_a_whole_url(spec: str, expected: tuple[str, str | None]) -> None:
    assert split_ref(spec) == expected


@pytest.mark.parametrize("spec", ["file:///nowhere/at/all@v1", "/nowhere/at/all", "--upload-pack=touch /tmp/x"])
def test_a_bad_source_is_a_usage_error(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ConfigError, match=r"git clone failed|not a git URL"):
        open_source(spec).__enter__()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections and never answers: a git server that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_clone_that_hangs_is_stopped_at_the_bound(silent_server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(source_module, "CLONE_SECONDS", 2)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="git clone took longer than 2 s; stopped"):
        open_source(f"http://127.0.0.1:{silent_server}/templates.git@v1").__enter__()
    assert time.monotonic() - started < 15


def _copy_of_env(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout" / "scaffolds" / "gitops-env"
    shutil.copytree(SCAFFOLDS / "gitops-env", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


@pytest.mark.parametrize("change", ["hook", "extra-module", "extension", "shell-hook"])
def test_a_source_running_its_own_code_is_untrusted_and_its_code_does_not_run(tmp_path: Path, change: str) -> None:
    copy = _copy_of_env(tmp_path)
    marker = tmp_path / "ran"
    payload = f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
    if change == "hook":
        (copy / "hooks" / "pre_gen_project.py").write_text(payload, encoding="utf-8")
    elif change == "extra-module":
        (copy / "evil.py").write_text(payload, encoding="utf-8")
    elif change == "shell-hook":
        (copy / "hooks" / "post_gen_project.sh").write_text(f"#!/bin/sh\ntouch {marker}\n", encoding="utf-8")
    else:
        settings = json.loads((copy / "cookiecutter.json").read_text(encoding="utf-8"))
        (copy / "evil.py").write_text(payload + "from jinja2.ext import Extension\nclass E(Extension):\n    pass\n")
        (copy / "cookiecutter.json").write_text(json.dumps({**settings, "_extensions": ["evil.E"]}))
    with open_source(str(tmp_path / "checkout")) as found:
        assert not found.trusted
        tree = render_tree(copy, ENV_ANSWERS, trust=found.trusted)
    assert "README.md" in tree and ".scaffold.json" not in tree
    assert not marker.exists()


@pytest.mark.parametrize("trusted", [True, False])
def test_a_template_s_jinja_cannot_reach_python(tmp_path: Path, trusted: bool) -> None:
    """A source's templates render in the Jinja sandbox of the scaffold extension (its own, byte-identical to the
    package's, or the package's for an untrusted source): an expression walking to Python's internals is refused,
    and what it would run never runs."""
    copy = _copy_of_env(tmp_path)
    marker = tmp_path / "ran"
    (next(copy.glob("{{*}}")) / "evil.txt").write_text(
        f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}}\n", encoding="utf-8")
    if not trusted:
        (copy / "helper.py").write_text("VALUE = 1\n", encoding="utf-8")  # a module of its own: untrusted
    with open_source(str(tmp_path / "checkout")) as found:
        assert found.trusted is trusted
        with pytest.raises(GitopsToolsError, match="unsafe"):
            render_tree(copy, ENV_ANSWERS, trust=found.trusted)
    assert not marker.exists()


def test_a_template_with_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    copy = _copy_of_env(tmp_path)
    secret = tmp_path / "id_rsa"
    secret.write_text("PRIVATE KEY\n")
    (next(copy.glob("{{*}}")) / "leak.txt").symlink_to(secret)
    with pytest.raises(ConfigError, match=r"leak\.txt is a symbolic link"):
        render_tree(copy, ENV_ANSWERS, trust=True)


@pytest.mark.slow
def test_compose_is_the_recorded_base_of_a_new_repo_and_adds_components_in_order(tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["new", "service", "--no-input", "--no-git", "-o", str(tmp_path)], out, err) == 0, err.getvalue()
    (repo,) = tmp_path.iterdir()
    state = read_state(repo)
    with open_source(None) as found:
        scaffold = compose(state, found)
        assert scaffold == read_base(repo)
        both = compose(replace(state, components=(Layer("postgres", "1.0.0"), Layer("redis", "1.0.0"))), found)
        assert {"k8s/base/postgres.yaml", "k8s/base/redis.yaml"} <= set(both) - set(scaffold)
        kustomization = both["k8s/base/kustomization.yaml"].data.decode()
        assert kustomization.index("postgres.yaml") < kustomization.index("redis.yaml")
        with pytest.raises(ConfigError, match="has no component 'nope'"):
            compose(replace(state, components=(Layer("nope", "1.0.0"),)), found)
        with pytest.raises(ConfigError, match="has no scaffold 'gone'"):
            compose(replace(state, scaffold="gone"), found)
