"""The metrics listener: GET /metrics on its own port, served from a thread of the worker that records them.

One worker process serves the app (see ``server``), so its in-memory registry holds every request: no
multiprocess aggregation is needed, and a scrape never sees a partial sum.
"""

from __future__ import annotations

import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast
from urllib.parse import urlsplit

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics import CONTENT_TYPE, Registry

KEEPALIVE_TIMEOUT_SECONDS = 5.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a scrape in progress does not hold the worker's exit

    def __init__(self, address: tuple[str, int], registry: Registry, logger: logging.Logger) -> None:
        self.registry = registry
        self.logger = logger
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Serves GET and HEAD /metrics; not instrumented itself."""

    protocol_version = "HTTP/1.1"
    server_version = SERVICE_NAME
    sys_version = ""
    timeout = KEEPALIVE_TIMEOUT_SECONDS

    def do_GET(self) -> None:
        server = cast(_Server, self.server)
        if urlsplit(self.path).path != "/metrics":
            status, body, content_type = HTTPStatus.NOT_FOUND, b"not found\n", "text/plain; charset=utf-8"
        else:
            status, body, content_type = HTTPStatus.OK, server.registry.render().encode(), CONTENT_TYPE
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_HEAD = do_GET  # noqa: N815

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Scrapes are not logged: one every 15-30 s per Prometheus would drown the request log."""

    def log_message(self, format: str, *args: Any) -> None:
        """Route stdlib messages (timeouts, malformed requests) to the JSON log."""
        cast(_Server, self.server).logger.debug(format % args, extra={"fields": {"remote": self.client_address[0]}})


class MetricsListener:
    """Binds on construction (a taken port fails the worker's boot), serves from a daemon thread after ``start``."""

    def __init__(self, host: str, port: int, registry: Registry, logger: logging.Logger) -> None:
        self._server = _Server((host, port), registry, logger)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name="metrics", daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()
