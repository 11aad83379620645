"""The WSGI app: /, /healthz and /readyz, with request metrics, JSON request logs and a server span per request.

gunicorn serves it (see ``server``); this module only turns a request into a response. ``/readyz`` answers 503
until the worker is up and again from the moment shutdown begins.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics import Registry
from {{ cookiecutter.service_name | replace('-', '_') }}.tracing import Tracing

ROUTES = frozenset({"/", "/healthz", "/readyz"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
TEXT = "text/plain; charset=utf-8"
StartResponse = Callable[..., Any]


def route_of(path: str) -> str:
    """Map a request path to its route template, the bounded ``route`` metric label."""
    return path if path in ROUTES else "other"


@dataclass(frozen=True)
class Response:
    status: HTTPStatus
    body: bytes
    content_type: str = TEXT
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def text(cls, status: HTTPStatus, text: str, *headers: tuple[str, str]) -> Response:
        return cls(status, text.encode(), TEXT, headers)


@dataclass
class App:
    """The WSGI callable, with what its requests share: settings, metrics, tracing, readiness and the logger."""

    config: Config
    registry: Registry
    logger: logging.Logger
    tracing: Tracing = field(default_factory=Tracing)
    ready: threading.Event = field(default_factory=threading.Event)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        method, path = str(environ["REQUEST_METHOD"]), str(environ.get("PATH_INFO") or "/")
        route = route_of(path)
        with self.tracing.server_span(environ, method, route) as span:
            try:
                response = self.dispatch(method, path)
            except Exception:
                self.logger.exception("request failed", extra={"fields": {"path": path, **span.log_fields()}})
                response = Response.text(HTTPStatus.INTERNAL_SERVER_ERROR, "internal server error\n")
            span.record_status(response.status)
        elapsed = time.perf_counter() - started
        self.registry.observe_request(method if method in METHODS else "other", route, response.status, elapsed)
        fields = {
            "method": method,
            "path": path,
            "route": route,
            "code": int(response.status),
            "duration_ms": round(elapsed * 1000, 3),
            "remote": environ.get("REMOTE_ADDR", ""),
            **span.log_fields(),
        }
        level = logging.DEBUG if route in {"/healthz", "/readyz"} else logging.INFO
        self.logger.log(level, "request", extra={"fields": fields})
        headers = [
            ("Content-Type", response.content_type),
            ("Content-Length", str(len(response.body))),
            ("X-Content-Type-Options", "nosniff"),
            *response.headers,
        ]
        start_response(f"{response.status.value} {response.status.phrase}", headers)
        return [b"" if method == "HEAD" else response.body]

    def dispatch(self, method: str, path: str) -> Response:
        if path not in ROUTES:
            return Response.text(HTTPStatus.NOT_FOUND, "not found\n")
        if method not in {"GET", "HEAD"}:
            return Response.text(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed\n", ("Allow", "GET, HEAD"))
        if path == "/healthz":
            return Response.text(HTTPStatus.OK, "ok\n")
        if path == "/readyz":
            if self.ready.is_set():
                return Response.text(HTTPStatus.OK, "ok\n")
            return Response.text(HTTPStatus.SERVICE_UNAVAILABLE, "not ready\n")
        hello = {"service": SERVICE_NAME, "version": self.config.version, "message": f"Hello from {SERVICE_NAME}"}
        return Response(HTTPStatus.OK, json.dumps(hello).encode() + b"\n", "application/json")
