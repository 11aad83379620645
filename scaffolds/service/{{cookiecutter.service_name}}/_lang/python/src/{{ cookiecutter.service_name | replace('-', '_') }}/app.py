"""HTTP service: app listener (/, /healthz, /readyz) and metrics listener (/metrics), standard library only.

On SIGTERM (or SIGINT) the service turns not-ready (``/readyz`` answers 503), waits ``SHUTDOWN_DELAY_SECONDS`` so
load balancers stop routing to it, stops accepting connections, waits up to ``DRAIN_TIMEOUT_SECONDS`` for in-flight
requests and exits: 15 s at most by default, inside the 20 s this service is given. Idle keep-alive connections are
not waited for, like Go's ``http.Server.Shutdown``. A second signal exits at once. Settings: see ``config``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config, ConfigError
from {{ cookiecutter.service_name | replace('-', '_') }}.logs import configure_logging
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics import CONTENT_TYPE, Registry

DRAIN_TIMEOUT_SECONDS = 10.0
KEEPALIVE_TIMEOUT_SECONDS = 5.0
POLL_INTERVAL_SECONDS = 0.1  # how quickly a listener notices shutdown
ROUTES = frozenset({"/", "/healthz", "/readyz"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_of(path: str) -> str:
    """Map a request path to its route template, the bounded ``route`` metric label."""
    return path if path in ROUTES else "other"


class InFlight:
    """Counts requests being handled, so shutdown can wait for them to finish."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = threading.Condition()

    def __enter__(self) -> None:
        with self._idle:
            self._count += 1

    def __exit__(self, *_exc: object) -> None:
        with self._idle:
            self._count -= 1
            if self._count == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no request is in flight; False if ``timeout`` seconds passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._count == 0, timeout)


@dataclass
class AppState:
    """What request handlers share: settings, metrics, readiness, in-flight requests and the logger."""

    config: Config
    registry: Registry
    logger: logging.Logger
    ready: threading.Event = field(default_factory=threading.Event)
    draining: threading.Event = field(default_factory=threading.Event)
    in_flight: InFlight = field(default_factory=InFlight)


class _Server(ThreadingHTTPServer):
    """Threaded server whose handlers can reach the shared ``AppState``."""

    daemon_threads = True  # shutdown waits for in-flight requests itself, with a deadline; idle connections are dropped

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], state: AppState) -> None:
        self.state = state
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    """Common response plumbing: JSON/text bodies, HEAD, keep-alive, quiet stdlib logging."""

    protocol_version = "HTTP/1.1"
    server_version = SERVICE_NAME
    sys_version = ""
    timeout = KEEPALIVE_TIMEOUT_SECONDS  # idle keep-alive connections must not block draining
    headers_sent = False

    @property
    def state(self) -> AppState:
        return cast(_Server, self.server).state

    def respond(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None) -> None:
        self.headers_sent = True
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.state.draining.is_set() or self.command not in {"GET", "HEAD"}:
            self.close_connection = True  # unread request bodies would corrupt the next request
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def respond_text(self, status: int, text: str, headers: Mapping[str, str] | None = None) -> None:
        self.respond(status, text.encode(), "text/plain; charset=utf-8", headers)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Silence the stdlib access log; handlers log their own requests as JSON."""

    def log_message(self, format: str, *args: Any) -> None:
        """Route stdlib messages (timeouts, malformed requests) to the JSON log."""
        self.state.logger.debug(format % args, extra={"fields": {"remote": self.client_address[0]}})


class AppHandler(_Handler):
    """Serves /, /healthz and /readyz and records request metrics."""

    allowed: ClassVar[dict[str, str]] = {"Allow": "GET, HEAD"}

    def handle_request(self) -> None:
        with self.state.in_flight:
            self.handle_counted_request()

    def handle_counted_request(self) -> None:
        self.headers_sent = False
        started = time.perf_counter()
        path = urlsplit(self.path).path
        route = route_of(path)
        status = HTTPStatus.INTERNAL_SERVER_ERROR
        try:
            status = self.dispatch(path)
        except Exception:
            self.state.logger.exception("request failed", extra={"fields": {"path": path}})
            self.close_connection = True
            if not self.headers_sent:
                self.respond_text(status, "internal server error\n")
        finally:
            elapsed = time.perf_counter() - started
            method = self.command if self.command in METHODS else "other"
            self.state.registry.observe_request(method, route, int(status), elapsed)
            level = logging.DEBUG if route in {"/healthz", "/readyz"} else logging.INFO
            fields = {
                "method": self.command,
                "path": path,
                "route": route,
                "code": int(status),
                "duration_ms": round(elapsed * 1000, 3),
                "remote": self.client_address[0],
            }
            self.state.logger.log(level, "request", extra={"fields": fields})

    def dispatch(self, path: str) -> HTTPStatus:
        if path not in ROUTES:
            return self.send_status(HTTPStatus.NOT_FOUND, "not found\n")
        if self.command not in {"GET", "HEAD"}:
            return self.send_status(HTTPStatus.METHOD_NOT_ALLOWED, "method not allowed\n", self.allowed)
        if path == "/healthz":
            return self.send_status(HTTPStatus.OK, "ok\n")
        if path == "/readyz":
            if self.state.ready.is_set():
                return self.send_status(HTTPStatus.OK, "ok\n")
            return self.send_status(HTTPStatus.SERVICE_UNAVAILABLE, "not ready\n")
        hello = {"service": SERVICE_NAME, "version": self.state.config.version, "message": f"Hello from {SERVICE_NAME}"}
        self.respond(HTTPStatus.OK, json.dumps(hello).encode() + b"\n", "application/json")
        return HTTPStatus.OK

    def send_status(self, status: HTTPStatus, text: str, headers: Mapping[str, str] | None = None) -> HTTPStatus:
        self.respond_text(status, text, headers)
        return status

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = handle_request  # noqa: N815


class MetricsHandler(_Handler):
    """Serves GET /metrics; not instrumented itself."""

    def do_GET(self) -> None:
        with self.state.in_flight:
            if urlsplit(self.path).path != "/metrics":
                self.respond_text(HTTPStatus.NOT_FOUND, "not found\n")
                return
            self.respond(HTTPStatus.OK, self.state.registry.render().encode(), CONTENT_TYPE)

    do_HEAD = do_GET  # noqa: N815


class Service:
    """Both listeners plus the readiness state; ``start`` then ``shutdown``."""

    def __init__(self, config: Config, *, logger: logging.Logger, start_time: float | None = None) -> None:
        registry = Registry(service=SERVICE_NAME, version=config.version, start_time=start_time or time.time())
        self.state = AppState(config, registry, logger)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()

    @property
    def port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def metrics_port(self) -> int:
        return int(self._servers[1].server_address[1])

    def start(self) -> None:
        """Bind both listeners, serve them from background threads, then turn ready."""
        config = self.state.config
        app_server = _Server((config.host, config.port), AppHandler, self.state)
        try:
            metrics_server = _Server((config.host, config.metrics_port), MetricsHandler, self.state)
        except OSError:
            app_server.server_close()
            raise
        self._servers = [app_server, metrics_server]
        for server, name in zip(self._servers, ("app", "metrics"), strict=True):
            thread = threading.Thread(
                target=server.serve_forever, args=(POLL_INTERVAL_SECONDS,), name=f"{name}-listener", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        self.state.ready.set()
        fields = {"port": self.port, "metrics_port": self.metrics_port, "version": config.version}
        self.state.logger.info("listening", extra={"fields": fields})

    def mark_not_ready(self) -> None:
        """Make /readyz answer 503 and close keep-alive connections after their next response."""
        self.state.ready.clear()
        self.state.draining.set()

    def shutdown(self) -> None:
        """Turn not-ready, wait the shutdown delay, stop listening and drain in-flight requests. Idempotent."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self.mark_not_ready()
        delay = self.state.config.shutdown_delay
        self.state.logger.info("shutting down", extra={"fields": {"delay_seconds": delay}})
        time.sleep(delay)
        for server in self._servers:
            server.shutdown()  # stops the accept loop; connections still queued are refused on close
        if not self.state.in_flight.wait_idle(DRAIN_TIMEOUT_SECONDS):
            self.state.logger.warning("drain timed out, abandoning in-flight requests")
        for server in self._servers:
            server.server_close()
        for thread in self._threads:
            thread.join()
        self.state.logger.info("shutdown complete")


def main(environ: Mapping[str, str] | None = None) -> int:
    """Run the service until SIGTERM or SIGINT; return the process exit code."""
    start_time = time.time()
    try:
        config = Config.from_env(os.environ if environ is None else environ)
    except ConfigError as err:
        configure_logging("info").error("invalid configuration", extra={"fields": {"error": str(err)}})
        return 2
    logger = configure_logging(config.log_level)
    service = Service(config, logger=logger, start_time=start_time)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            logger.warning("second signal, exiting without draining", extra={"fields": {"signal": name}})
            os._exit(1)
        logger.info("signal received", extra={"fields": {"signal": name}})
        service.mark_not_ready()
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        service.start()
    except OSError as err:
        logger.error("cannot listen", extra={"fields": {"error": str(err)}})
        return 1
    stop.wait()
    service.shutdown()
    return 0
