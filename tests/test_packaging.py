"""The built wheel works outside the checkout: it carries schemas/ (and scaffolds/) inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(out), str(ROOT)], check=True, timeout=300)
    return next(out.glob("gitops_tools-*.whl"))


@pytest.mark.slow
def test_wheel_carries_the_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "gitops_tools/data/schemas/policy.schema.json" in names
    assert "gitops_tools/data/schemas/resources/config.schema.json" in names
    policies = {Path(n).name for n in names if n.startswith("gitops_tools/data/schemas/policies/")}
    expected = {p.name for p in (ROOT / "schemas" / "policies").rglob("*.yaml")}
    assert policies == expected


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
