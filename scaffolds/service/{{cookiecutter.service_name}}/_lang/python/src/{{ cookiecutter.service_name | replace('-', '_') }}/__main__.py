"""Entry point: ``python -m {{ cookiecutter.service_name | replace('-', '_') }}``."""

from __future__ import annotations

from {{ cookiecutter.service_name | replace('-', '_') }}.app import main

if __name__ == "__main__":
    raise SystemExit(main())
