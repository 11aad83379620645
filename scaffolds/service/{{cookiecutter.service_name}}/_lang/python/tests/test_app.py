"""The app listener, configuration, logging and shutdown, over real loopback HTTP."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from http import HTTPStatus
from pathlib import Path

import pytest

import {{ cookiecutter.service_name | replace('-', '_') }} as package
from {{ cookiecutter.service_name | replace('-', '_') }} import app
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config, ConfigError

from loopback import VERSION, Response, eventually, fetch


def test_healthz_answers_ok(base_url: str) -> None:
    response = fetch(f"{base_url}/healthz")
    assert response.status == 200
    assert response.text == "ok\n"
    assert response.headers["Content-Type"].startswith("text/plain")


def test_readyz_answers_ok_once_started(base_url: str) -> None:
    response = fetch(f"{base_url}/readyz")
    assert (response.status, response.text) == (200, "ok\n")


def test_root_says_hello_with_service_and_version(base_url: str) -> None:
    response = fetch(f"{base_url}/")
    assert response.status == 200
    assert response.headers["Content-Type"] == "application/json"
    body = json.loads(response.body)
    assert body["service"] == "{{ cookiecutter.service_name }}" == package.SERVICE_NAME
    assert body["version"] == VERSION
    assert isinstance(body["message"], str)


def test_query_string_does_not_change_the_route(base_url: str) -> None:
    assert fetch(f"{base_url}/healthz?verbose=1").status == 200


def test_head_sends_headers_without_body(base_url: str) -> None:
    response = fetch(f"{base_url}/", method="HEAD")
    assert response.status == 200
    assert response.body == b""
    assert int(response.headers["Content-Length"]) > 0


@pytest.mark.parametrize("path", ["/nope", "/metrics", "/healthz/extra"])
def test_unknown_paths_are_not_found(base_url: str, path: str) -> None:
    assert fetch(f"{base_url}{path}").status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_other_methods_are_not_allowed(base_url: str, method: str) -> None:
    response = fetch(f"{base_url}/", method=method)
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD"


def test_metrics_listener_serves_only_metrics(service: app.Service) -> None:
    assert fetch(f"http://127.0.0.1:{service.metrics_port}/").status == 404
    assert fetch(f"http://127.0.0.1:{service.metrics_port}/metrics").status == 200


def test_requests_are_logged_as_json(base_url: str, log_stream: io.StringIO) -> None:
    fetch(f"{base_url}/nope")
    assert eventually(lambda: '"msg": "request"' in log_stream.getvalue())
    entries = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    request = next(entry for entry in entries if entry["msg"] == "request")
    assert request["level"] == "info"
    assert request["route"] == "other"
    assert request["code"] == 404
    assert request["ts"].endswith("Z")
    assert {"method", "path", "duration_ms", "remote"} <= request.keys()


def test_shutdown_turns_not_ready_then_stops_listening(config: Config, logger: logging.Logger) -> None:
    service = app.Service(dataclasses.replace(config, shutdown_delay=1.0), logger=logger)
    service.start()
    base_url = f"http://127.0.0.1:{service.port}"
    assert fetch(f"{base_url}/readyz").status == 200
    stopper = threading.Thread(target=service.shutdown)
    stopper.start()
    assert eventually(lambda: fetch(f"{base_url}/readyz").status == 503)
    draining = fetch(f"{base_url}/readyz")
    assert (draining.status, draining.text) == (503, "not ready\n")
    assert draining.headers["Connection"] == "close"
    assert fetch(f"{base_url}/healthz").status == 200
    stopper.join(timeout=5)
    assert not stopper.is_alive()
    with pytest.raises(urllib.error.URLError):
        fetch(f"{base_url}/healthz")
    service.shutdown()  # idempotent


def test_shutdown_waits_for_in_flight_requests(
    service: app.Service, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    dispatch = app.AppHandler.dispatch
    entered = threading.Event()

    def slow_dispatch(handler: app.AppHandler, path: str) -> HTTPStatus:
        entered.set()
        time.sleep(0.5)
        return dispatch(handler, path)

    monkeypatch.setattr(app.AppHandler, "dispatch", slow_dispatch)
    responses: list[Response] = []
    client = threading.Thread(target=lambda: responses.append(fetch(f"{base_url}/")))
    client.start()
    assert entered.wait(timeout=5)
    service.shutdown()
    client.join(timeout=5)
    assert [response.status for response in responses] == [200]


def test_in_flight_wait_times_out_while_busy() -> None:
    in_flight = app.InFlight()
    assert in_flight.wait_idle(0)
    with in_flight:
        assert not in_flight.wait_idle(0.01)
    assert in_flight.wait_idle(0)


def test_start_fails_cleanly_when_a_port_is_taken(service: app.Service, config: Config, logger: logging.Logger) -> None:
    clash = app.Service(dataclasses.replace(config, metrics_port=service.metrics_port), logger=logger)
    with pytest.raises(OSError):
        clash.start()


def test_config_defaults() -> None:
    config = Config.from_env({})
    assert (config.port, config.metrics_port) == ({{ cookiecutter.port }}, {{ cookiecutter.metrics_port }})
    assert config.log_level == "info"
    assert config.version == package.__version__


def test_config_reads_the_environment() -> None:
    environ = {
        "PORT": "18081",
        "METRICS_PORT": "19091",
        "LOG_LEVEL": "DEBUG",
        "SERVICE_VERSION": "2.0.0",
        "SHUTDOWN_DELAY_SECONDS": "1.5",
    }
    config = Config.from_env(environ)
    assert (config.port, config.metrics_port, config.log_level) == (18081, 19091, "debug")
    assert (config.version, config.shutdown_delay) == ("2.0.0", 1.5)


@pytest.mark.parametrize(
    "environ",
    [
        {"PORT": "http"},
        {"PORT": "70000"},
        {"METRICS_PORT": "-1"},
        {"LOG_LEVEL": "loud"},
        {"SHUTDOWN_DELAY_SECONDS": "soon"},
        {"SHUTDOWN_DELAY_SECONDS": "90"},
    ],
)
def test_config_rejects_bad_values(environ: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Config.from_env(environ)


@pytest.mark.parametrize(
    ("path", "route"),
    [("/", "/"), ("/healthz", "/healthz"), ("/readyz", "/readyz"), ("/x", "other"), ("/metrics", "other")],
)
def test_route_of_is_bounded(path: str, route: str) -> None:
    assert app.route_of(path) == route


def test_main_exits_zero_on_sigterm() -> None:
    src = str(Path(package.__file__).resolve().parents[1])
    env = {
        **os.environ,
        "PORT": "0",
        "METRICS_PORT": "0",
        "SHUTDOWN_DELAY_SECONDS": "0.2",
        "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")])),
    }
    process = subprocess.Popen([sys.executable, "-m", package.__name__], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        listening = json.loads(process.stdout.readline())
        assert listening["msg"] == "listening"
        assert fetch(f"http://127.0.0.1:{listening['port']}/healthz").status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        messages = [json.loads(line)["msg"] for line in process.stdout]
        assert messages[-1] == "shutdown complete"
        assert "signal received" in messages
    finally:
        process.kill()
        process.wait()
