"""Entry point: ``python -m {{ cookiecutter.service_name | replace('-', '_') }}`` runs the service under gunicorn."""

from __future__ import annotations

from {{ cookiecutter.service_name | replace('-', '_') }}.server import main

if __name__ == "__main__":
    raise SystemExit(main())
