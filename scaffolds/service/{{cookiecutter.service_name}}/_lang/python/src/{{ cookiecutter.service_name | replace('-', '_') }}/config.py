"""Runtime settings, read from environment variables.

| variable | default | meaning |
|---|---|---|
| ``PORT`` | {{ cookiecutter.port }} | app listener port |
| ``METRICS_PORT`` | {{ cookiecutter.metrics_port }} | metrics listener port |
| ``LOG_LEVEL`` | info | debug, info, warning or error |
| ``SERVICE_VERSION`` | package version | reported by ``/`` and ``app_info`` |
| ``SHUTDOWN_DELAY_SECONDS`` | 5 | time between turning not-ready and closing listeners |
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from {{ cookiecutter.service_name | replace('-', '_') }} import __version__

LOG_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warn": logging.WARNING,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class ConfigError(ValueError):
    """An environment variable holds an unusable value."""


@dataclass(frozen=True)
class Config:
    """Runtime settings; ``from_env`` reads them from environment variables."""

    port: int = {{ cookiecutter.port }}
    metrics_port: int = {{ cookiecutter.metrics_port }}
    log_level: str = "info"
    version: str = __version__
    shutdown_delay: float = 5.0
    host: str = "0.0.0.0"  # noqa: S104 - in a container the service must listen on all interfaces

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Config:
        log_level = environ.get("LOG_LEVEL", "info").strip().lower() or "info"
        if log_level not in LOG_LEVELS:
            raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
        return cls(
            port=_port(environ, "PORT", cls.port),
            metrics_port=_port(environ, "METRICS_PORT", cls.metrics_port),
            log_level=log_level,
            version=environ.get("SERVICE_VERSION", "").strip() or __version__,
            shutdown_delay=_seconds(environ, "SHUTDOWN_DELAY_SECONDS", cls.shutdown_delay),
        )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name} must be a port number (0-65535), got {raw!r}")
    return int(raw)


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 60, got {raw!r}")
    return value
