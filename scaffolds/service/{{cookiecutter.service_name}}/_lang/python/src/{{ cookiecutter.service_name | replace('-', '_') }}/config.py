"""Runtime settings, read from environment variables and checked before the server starts.

| variable | default | meaning |
|---|---|---|
| ``PORT`` | {{ cookiecutter.port }} | app listener port |
| ``METRICS_PORT`` | {{ cookiecutter.metrics_port }} | metrics listener port |
| ``LOG_LEVEL`` | info | debug, info, warning or error |
| ``SERVICE_VERSION`` | package version | reported by ``/``, ``app_info`` and trace resources |
| ``SHUTDOWN_DELAY_SECONDS`` | 5 | time between turning not-ready and closing the listener |
| ``THREADS`` | 8 | request threads of the one gunicorn worker (1-64) |
| ``OTEL_TRACES_EXPORTER`` | none | ``otlp`` turns tracing on (OTLP over HTTP/protobuf); ``none`` keeps it off |
| ``OTEL_SDK_DISABLED`` | false | ``true`` turns tracing off whatever the exporter says |
| ``OTEL_EXPORTER_OTLP_PROTOCOL`` | http/protobuf | the only protocol this app ships an exporter for |

The OpenTelemetry SDK reads the other standard variables itself when tracing is on: ``OTEL_EXPORTER_OTLP_ENDPOINT``
(or ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``), ``OTEL_SERVICE_NAME``, ``OTEL_RESOURCE_ATTRIBUTES``,
``OTEL_TRACES_SAMPLER`` and ``OTEL_PROPAGATORS``.
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
TRACES_EXPORTERS = ("none", "otlp")
OTLP_PROTOCOL = "http/protobuf"
BOOLEANS = {"true": True, "false": False, "": False}


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
    threads: int = 8
    tracing: bool = False
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
            threads=_count(environ, "THREADS", cls.threads, 64),
            tracing=_tracing(environ),
        )


def _port(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"{name} must be a port number (0-65535), got {raw!r}")
    return int(raw)


def _count(environ: Mapping[str, str], name: str, default: int, most: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise ConfigError(f"{name} must be a whole number from 1 to {most}, got {raw!r}")
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


def _tracing(environ: Mapping[str, str]) -> bool:
    """Tracing is on only when asked for: ``OTEL_TRACES_EXPORTER=otlp`` and the SDK not disabled."""
    disabled = environ.get("OTEL_SDK_DISABLED", "").strip().lower()
    if disabled not in BOOLEANS:
        raise ConfigError(f"OTEL_SDK_DISABLED must be true or false, got {disabled!r}")
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "none"
    if exporter not in TRACES_EXPORTERS:
        raise ConfigError(f"OTEL_TRACES_EXPORTER must be one of {', '.join(TRACES_EXPORTERS)}, got {exporter!r}")
    protocol = environ.get("OTEL_EXPORTER_OTLP_PROTOCOL", "").strip() or OTLP_PROTOCOL
    if protocol != OTLP_PROTOCOL:
        raise ConfigError(f"OTEL_EXPORTER_OTLP_PROTOCOL must be {OTLP_PROTOCOL}, got {protocol!r}")
    return exporter == "otlp" and not BOOLEANS[disabled]
