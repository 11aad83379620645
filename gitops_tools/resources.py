"""Where the data files shipped with the package live (schemas/, scaffolds/), installed or in a checkout, and the
ones every lint reads besides the policies."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding schemas/ and scaffolds/: inside the installed package, else the checkout root."""
    bundled = _PACKAGE_DIR / "data"
    return bundled if (bundled / "schemas").is_dir() else _PACKAGE_DIR.parent


def schema_path(*parts: str) -> Path:
    return data_root().joinpath("schemas", *parts)


class BuiltinData(NamedTuple):
    """The data files every lint reads besides the policies, parsed: small, but parsing them is ~2 ms of a one-file
    lint, so gitops_tools/policycache.py keeps them between runs."""

    domains: dict[str, Any]  # domain name -> its domain.yaml (gitops_tools/domainfiles.py)
    workloads: dict[str, Any]  # resources/workloads.yaml (gitops_tools/targets.py)


def read_builtin_data() -> BuiltinData:
    from gitops_tools.domainfiles import read_domain_files
    from gitops_tools.targets import read_workloads

    return BuiltinData(read_domain_files(), read_workloads())
