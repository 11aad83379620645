"""The {{ cookiecutter.service_name }} service."""

from __future__ import annotations

SERVICE_NAME = "{{ cookiecutter.service_name }}"
__version__ = "0.1.0"
