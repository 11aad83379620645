"""The built wheel works outside the checkout: it carries schemas/ (and scaffolds/) inside the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SERVICE_TEMPLATE = Path("scaffolds", "service", "{{cookiecutter.service_name}}")
PLANTED = [  # bytecode as a checkout has it after tests or the template's own code ran in place
    Path("gitops_tools", "__pycache__", "planted.cpython-311.pyc"),
    Path("scaffolds", "service", "hooks", "__pycache__", "pre_gen_project.cpython-311.pyc"),
    SERVICE_TEMPLATE / "_lang" / "python" / "tests" / "__pycache__" / "conftest.cpython-311.pyc",
    SERVICE_TEMPLATE / "k8s" / "stray.pyc",
    Path("schemas", "__pycache__", "planted.cpython-311.pyc"),
]


def _bytecode(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.name == "__pycache__" or p.suffix in (".pyc", ".pyo"))


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the checkout that also holds bytecode where running tests or the template's code would leave it."""
    copy = tmp_path_factory.mktemp("checkout") / "gitops-tools"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", "*_cache", "__pycache__"))
    for planted in PLANTED:
        (copy / planted).parent.mkdir(parents=True, exist_ok=True)
        (copy / planted).write_bytes(b"\xa7\r\r\n not really bytecode")
    return copy


@pytest.fixture(scope="module")
def wheel(checkout: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(checkout)], check=True, timeout=300)
    return next(out.glob("gitops_tools-*.whl"))


@pytest.mark.slow
def test_wheel_carries_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gitops_tools/data/schemas/policy.schema.json" in names
    assert "gitops_tools/data/schemas/resources/config.schema.json" in names
    assert "gitops_tools/data/schemas/pack.schema.json" in names
    assert "gitops_tools/data/schemas/domain.schema.json" in names
    assert "gitops_tools/data/schemas/profile.schema.json" in names
    assert "gitops_tools/data/schemas/migration.schema.json" in names  # update reads the migrations it ships
    assert "gitops_tools/data/scaffolds/service/releases.json" in names
    policies = {Path(n).name for n in names if n.startswith("gitops_tools/data/schemas/policies/")}
    expected = {p.name for p in (ROOT / "schemas" / "policies").rglob("*.yaml")}
    assert policies == expected
    profiles = {Path(n).name for n in names if n.startswith("gitops_tools/data/schemas/profiles/")}
    assert profiles == {p.name for p in (ROOT / "schemas" / "profiles").glob("*.yaml")} != set()
    assert f"gitops_tools/data/{SERVICE_TEMPLATE.as_posix()}/scripts/release.sh" in names
    assert [n for n in names if "__pycache__" in n or n.endswith((".pyc", ".pyo"))] == []


@pytest.mark.slow
def test_repos_made_by_an_installed_wheel_hold_no_bytecode(wheel: Path, tmp_path: Path) -> None:
    """pip byte-compiles the Python files of the scaffolds it installs as package data; none of that may be
    copied into a new repository, whether `gitops-tools new` or plain cookiecutter renders it."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                    str(site), str(wheel)], check=True, timeout=300)
    data = site / "gitops_tools" / "data"
    assert _bytecode(data / "scaffolds" / "service" / SERVICE_TEMPLATE.name)  # pip compiled the template's code
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "new", "service", "--no-input", "-o",
                           str(tmp_path / "new")], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"Created {tmp_path / 'new' / 'orders-api'}" in done.stdout
    plain = subprocess.run([str(Path(sys.executable).with_name("cookiecutter")), str(data / "scaffolds" / "service"),
                            "--no-input", "-o", str(tmp_path / "plain")], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=300)
    assert plain.returncode == 0, plain.stderr
    for repo in (tmp_path / "new" / "orders-api", tmp_path / "plain" / "orders-api"):
        assert (repo / "tests" / "test_app.py").is_file()
        assert _bytecode(repo) == []


@pytest.mark.slow
def test_installed_wheel_lints_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    work = tmp_path / "work"
    work.mkdir()
    (work / "pod.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
                                   "  containers:\n    - {name: app, image: 'app:latest'}\n", encoding="utf-8")
    probe = ("import gitops_tools, gitops_tools.resources as r; print(gitops_tools.__file__); print(r.data_root())")
    env = {"PYTHONPATH": str(unpacked), "PATH": "/usr/bin:/bin"}
    where = subprocess.run([sys.executable, "-c", probe], cwd=work, env=env, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    assert where[0].startswith(str(unpacked))
    assert where[1] == str(unpacked / "gitops_tools" / "data")
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "pod.yaml"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert "pod.yaml:6:19: error [container-image-tag-not-latest]" in done.stdout
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "lint", "--profile", "pss-restricted", "pod.yaml"],
                          cwd=work, env=env, capture_output=True, text=True, timeout=60)  # built-in profiles ship too
    assert done.returncode == 1, done.stderr
    assert "[container-image-tag-not-latest]" not in done.stdout  # no Pod Security Standards control
    assert "pod.yaml:6:7: error [pod-run-as-non-root-required]" in done.stdout


@pytest.mark.slow
def test_repos_made_from_a_checkout_hold_no_bytecode(checkout: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    done = subprocess.run([sys.executable, "-m", "gitops_tools", "new", "service", "--no-input", "--no-git", "-o",
                           str(tmp_path)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"Created {tmp_path / 'orders-api'}" in done.stdout
    assert _bytecode(checkout / SERVICE_TEMPLATE)
    assert (tmp_path / "orders-api" / "k8s" / "base" / "deployment.yaml").is_file()
    assert _bytecode(tmp_path / "orders-api") == []
