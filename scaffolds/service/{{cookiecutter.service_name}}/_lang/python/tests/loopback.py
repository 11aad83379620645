"""Talking to the service over loopback: a urllib client, the service run as in its image, an OTLP receiver."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import {{ cookiecutter.service_name | replace('-', '_') }} as package

VERSION = "1.2.3"
TESTS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def fetch(url: str, method: str = "GET", headers: Mapping[str, str] | None = None) -> Response:
    """Send one request and return the response, whatever its status."""
    request = urllib.request.Request(url, method=method, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return Response(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as err:
        with err:
            return Response(err.code, dict(err.headers.items()), err.read())


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll ``check`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


class RunningService:
    """The service as its image runs it (``python -m`` the package: gunicorn), on ephemeral loopback ports.

    ``command`` replaces ``-m package`` (a test's own app factory); its JSON log lines are collected as they come.
    """

    def __init__(self, environ: Mapping[str, str], command: tuple[str, ...] = ()) -> None:
        src = str(Path(package.__file__).resolve().parents[1])
        env = {
            **os.environ,
            "PORT": "0",
            "METRICS_PORT": "0",
            "SERVICE_VERSION": VERSION,
            "SHUTDOWN_DELAY_SECONDS": "0",
            **environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [src, str(TESTS), os.environ.get("PYTHONPATH")])),
        }
        args = command or ("-m", package.__name__)
        self.process = subprocess.Popen([sys.executable, *args], env=env, stdout=subprocess.PIPE, text=True)
        self.logs: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.logs.append(json.loads(line))

    def started(self) -> dict[str, Any]:
        """The worker's ``listening`` entry, once it is there (a failed start fails here)."""
        assert eventually(lambda: self.logged("listening") or self.process.poll() is not None, 20), self.logs
        assert self.logged("listening"), self.logs
        return next(entry for entry in self.logs if entry["msg"] == "listening")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.started()['port']}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.started()['metrics_port']}/metrics"

    def logged(self, message: str) -> bool:
        return any(entry["msg"] == message for entry in self.logs)

    def stop(self) -> int:
        """SIGTERM to gunicorn's master, as the kubelet sends it; the exit code."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class OtlpReceiver:
    """A loopback OTLP/HTTP trace receiver: keeps every request's path, content type and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, self.headers["Content-Type"], body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{cast(tuple[str, int], self._server.server_address)[1]}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
