"""Where the data files shipped with the package live (schemas/, scaffolds/), installed or in a checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_root() -> Path:
    """The folder holding schemas/ and scaffolds/: inside the installed package, else the checkout root."""
    bundled = _PACKAGE_DIR / "data"
    return bundled if (bundled / "schemas").is_dir() else _PACKAGE_DIR.parent


def schema_path(*parts: str) -> Path:
    return data_root().joinpath("schemas", *parts)
