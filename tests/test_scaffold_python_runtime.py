"""The Python service's runtime dependencies: a hash-checked lock the image installs, and the same versions here.

The suite runs the generated app's own tests with this project's venv (tests/test_scaffolds.py), so the test extra
pins the app's direct dependencies to the versions its requirements.txt locks; these tests keep the three in step.
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "scaffolds/service/{{cookiecutter.service_name}}/_lang/python"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+) \\$")
HASH = re.compile(r"^ {4}--hash=sha256:[0-9a-f]{64}( \\)?$")


def locked() -> dict[str, tuple[str, int]]:
    """The lock's pins: name -> (version, number of hashes); fails on any line that is neither pin, hash nor comment."""
    pins: dict[str, tuple[str, int]] = {}
    current = ""
    for number, line in enumerate((APP / "requirements.txt").read_text(encoding="utf-8").splitlines(), 1):
        if match := PIN.match(line):
            current = canonicalize_name(match[1])
            pins[current] = (match[2], 0)
        elif HASH.match(line) and current:
            pins[current] = (pins[current][0], pins[current][1] + 1)
        else:
            assert not line.strip() or line.lstrip().startswith("#"), f"requirements.txt:{number}: {line}"
    return pins


def direct() -> list[Requirement]:
    """The app's direct runtime dependencies: its pyproject's [project] dependencies (the file is a template)."""
    text = (APP / "pyproject.toml").read_text(encoding="utf-8")
    block = re.search(r"^dependencies = \[.*?^\]$", text, re.MULTILINE | re.DOTALL)
    assert block
    return [Requirement(spec) for spec in tomllib.loads(block[0])["dependencies"]]


def test_every_locked_package_is_pinned_with_hashes() -> None:
    pins = locked()
    assert len(pins) >= 10
    assert all(hashes >= 1 for _, hashes in pins.values()), pins


def test_the_lock_satisfies_the_apps_direct_dependencies() -> None:
    pins = locked()
    for requirement in direct():
        name = canonicalize_name(requirement.name)
        assert name in pins, name
        assert requirement.specifier.contains(pins[name][0]), (requirement, pins[name])


def test_our_test_extra_pins_the_locked_versions_and_they_are_installed() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    ours = {canonicalize_name(req.name): req for req in map(Requirement, extra["test"])}
    pins = locked()
    for requirement in direct():
        name = canonicalize_name(requirement.name)
        assert str(ours[name].specifier) == f"=={pins[name][0]}", ours[name]
        assert version(name) == pins[name][0]


@pytest.mark.parametrize(
    ("path", "needed"),
    [
        ("Dockerfile", "pip install --require-hashes --only-binary=:all: -r requirements.txt"),
        (".dockerignore", "!requirements.txt"),
        ("Makefile", "--require-hashes --only-binary=:all: -r requirements.txt"),
        ("Makefile", "pip-compile --quiet --generate-hashes"),
    ],
)
def test_the_image_and_the_venv_install_from_the_lock(path: str, needed: str) -> None:
    assert needed in (APP / path).read_text(encoding="utf-8")
