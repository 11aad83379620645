"""JSON logs: one object per line on stdout, ``ts``, ``level``, ``msg`` and then the record's fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.config import LOG_LEVELS


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, msg, then the record's ``fields`` extra."""

    def format(self, record: logging.LogRecord) -> str:
        timestamp = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        entry: dict[str, Any] = {
            "ts": timestamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "msg": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str, stream: TextIO | None = None) -> logging.Logger:
    """Return the service logger, writing JSON lines to ``stream`` (stdout by default)."""
    logger = logging.getLogger(SERVICE_NAME)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(JsonFormatter())
    logger.handlers[:] = [handler]
    logger.setLevel(LOG_LEVELS[level])
    logger.propagate = False
    return logger


def server_log_config(level: str) -> dict[str, Any]:
    """gunicorn's own logs (``gunicorn.error``) as the same JSON lines; no access log: the app logs its requests."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {"stdout": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}},
        "loggers": {
            "gunicorn.error": {"level": LOG_LEVELS[level], "handlers": ["stdout"], "propagate": False},
            "gunicorn.access": {"level": logging.CRITICAL, "handlers": [], "propagate": False},
        },
        "root": {"level": logging.WARNING, "handlers": ["stdout"]},
    }
