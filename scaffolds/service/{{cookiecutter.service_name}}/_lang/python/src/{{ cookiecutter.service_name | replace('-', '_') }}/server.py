"""The production server: gunicorn, one worker process with ``THREADS`` request threads (gthread).

Why one process: the pod is the unit of scaling (the HorizontalPodAutoscaler adds pods) and its CPU limit is one
core at most, so more processes would share the same CPU, multiply memory, and need multiprocess metric
aggregation. gunicorn's master still earns its place: it restarts a crashed or hung worker (``timeout``), parses
HTTP robustly, and stops gracefully.

Shutdown on SIGTERM: the master closes its copy of the listener and sends SIGTERM to the worker, which turns
not-ready (``/readyz`` answers 503, every response closes its connection), keeps serving for
``SHUTDOWN_DELAY_SECONDS`` while load balancers stop routing to it, then stops accepting and drains in-flight
requests; the master kills what is left after ``SHUTDOWN_DELAY_SECONDS`` + ``DRAIN_TIMEOUT_SECONDS`` (15 s by
default, inside the 20 s this service is given). SIGINT or SIGQUIT to the master is gunicorn's quick shutdown.
"""

from __future__ import annotations

import math
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from gunicorn.app.base import BaseApplication

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.app import App
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config, ConfigError
from {{ cookiecutter.service_name | replace('-', '_') }}.logs import configure_logging, server_log_config
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics import Registry
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics_listener import MetricsListener
from {{ cookiecutter.service_name | replace('-', '_') }}.tracing import Tracing

DRAIN_TIMEOUT_SECONDS = 10.0
KEEPALIVE_SECONDS = 5  # longer than a load balancer's idle pooling would need, shorter than the drain
WORKER_TMP_DIR = "/dev/shm"  # noqa: S108 - the heartbeat file belongs in memory (the root filesystem is read-only)
AppFactory = Callable[[Config, float], App]


def build_app(config: Config, start_time: float) -> App:
    """The app as a worker runs it; tracing starts here, after the fork, as the SDK's export thread must."""
    registry = Registry(service=SERVICE_NAME, version=config.version, start_time=start_time)
    tracing = Tracing.start(config.tracing, config.version)
    return App(config, registry, configure_logging(config.log_level), tracing)


def options(config: Config) -> dict[str, Any]:
    """gunicorn settings; nothing is read from a gunicorn.conf.py or GUNICORN_CMD_ARGS."""
    return {
        "bind": [f"{config.host}:{config.port}"],
        "workers": 1,
        "worker_class": "gthread",
        "threads": config.threads,
        "keepalive": KEEPALIVE_SECONDS,
        "graceful_timeout": math.ceil(config.shutdown_delay + DRAIN_TIMEOUT_SECONDS),
        "timeout": 30,  # a worker silent this long is killed and replaced
        "worker_tmp_dir": WORKER_TMP_DIR if Path(WORKER_TMP_DIR).is_dir() else None,
        "control_socket_disable": True,  # it would write a socket under $HOME; the root filesystem is read-only
        "logconfig_dict": server_log_config(config.log_level),
        "accesslog": None,
        "post_worker_init": on_worker_ready,
        "worker_exit": on_worker_exit,
    }


class Server(BaseApplication):
    """gunicorn run from code with ``options``; each worker loads the app from ``factory``."""

    def __init__(self, config: Config, factory: AppFactory = build_app, start_time: float | None = None) -> None:
        self.config = config
        self.factory = factory
        self.start_time = start_time or time.time()
        super().__init__()

    def load_config(self) -> None:
        for name, value in options(self.config).items():
            self.cfg.set(name, value)

    def load(self) -> App:
        return self.factory(self.config, self.start_time)


def on_worker_ready(worker: Any) -> None:
    """Bind the metrics listener, take over SIGTERM for the drain, then turn ready."""
    app: App = worker.wsgi
    listener = MetricsListener(app.config.host, app.config.metrics_port, app.registry, app.logger)
    listener.start()
    worker.metrics_listener = listener
    signal.signal(signal.SIGTERM, _drain_on_signal(worker, app))
    app.ready.set()
    fields = {
        "port": worker.sockets[0].getsockname()[1],
        "metrics_port": listener.port,
        "version": app.config.version,
        "threads": app.config.threads,
        "tracing": app.tracing.enabled,
    }
    app.logger.info("listening", extra={"fields": fields})


def _drain_on_signal(worker: Any, app: App) -> Callable[[int, FrameType | None], None]:
    draining = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if draining.is_set():  # the master's SIGTERM after a signal sent to the whole process group
            return
        draining.set()
        app.ready.clear()
        worker.cfg.set("keepalive", 0)  # every response from now on closes its connection
        delay = app.config.shutdown_delay
        app.logger.info("signal received", extra={"fields": {"signal": name, "delay_seconds": delay}})
        threading.Timer(delay, _stop_accepting, args=(worker,)).start()

    return on_signal


def _stop_accepting(worker: Any) -> None:
    """End gthread's accept loop; it then drains in-flight requests within graceful_timeout.

    Through its method queue, gthread's way to run a call on its main thread and wake its poller at once.
    """
    worker.method_queue.defer(setattr, worker, "alive", False)


def on_worker_exit(_arbiter: Any, worker: Any) -> None:
    """In the worker: stop the metrics listener and flush queued spans. The master calls this hook too; skip it."""
    if worker.pid != os.getpid() or not isinstance(getattr(worker, "wsgi", None), App):
        return
    app: App = worker.wsgi
    listener = getattr(worker, "metrics_listener", None)
    if listener is not None:
        listener.close()
    app.tracing.shutdown()
    app.logger.info("shutdown complete")


def main(environ: Mapping[str, str] | None = None) -> int:
    """Check the settings, then run gunicorn until it stops; return the process exit code."""
    start_time = time.time()
    try:
        config = Config.from_env(os.environ if environ is None else environ)
    except ConfigError as err:
        configure_logging("info").error("invalid configuration", extra={"fields": {"error": str(err)}})
        return 2
    Server(config, start_time=start_time).run()
    return 0
