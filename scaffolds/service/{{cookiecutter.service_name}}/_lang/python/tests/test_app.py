"""The app under gunicorn, as its image runs it: routes, logs, configuration, start and shutdown over real HTTP."""

from __future__ import annotations

import io
import json
import logging
import threading
from contextlib import redirect_stdout

import pytest

import {{ cookiecutter.service_name | replace('-', '_') }} as package
from {{ cookiecutter.service_name | replace('-', '_') }} import app, server
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config, ConfigError
from {{ cookiecutter.service_name | replace('-', '_') }}.metrics import Registry

from loopback import TESTS, VERSION, Response, RunningService, eventually, fetch


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
    assert response.headers["X-Content-Type-Options"] == "nosniff"
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


def test_metrics_listener_serves_only_metrics(service: RunningService) -> None:
    port = service.started()["metrics_port"]
    assert fetch(f"http://127.0.0.1:{port}/").status == 404
    assert fetch(f"http://127.0.0.1:{port}/metrics").status == 200


def test_requests_are_logged_as_json(base_url: str, service: RunningService) -> None:
    fetch(f"{base_url}/nope?x=1")
    assert eventually(lambda: any(entry.get("path") == "/nope" for entry in service.logs))
    request = next(entry for entry in service.logs if entry.get("path") == "/nope")
    assert request["msg"] == "request"
    assert request["level"] == "info"
    assert request["route"] == "other"
    assert request["code"] == 404
    assert request["ts"].endswith("Z")
    assert {"method", "duration_ms", "remote"} <= request.keys()
    assert "trace_id" not in request  # tracing is off by default


def test_server_logs_are_json_too(service: RunningService) -> None:
    messages = [entry["msg"] for entry in service.logs]
    assert "Using worker: gthread" in messages
    started = service.started()
    assert (started["threads"], started["tracing"], started["version"]) == (8, False, VERSION)


def test_shutdown_turns_not_ready_keeps_serving_then_exits_zero() -> None:
    service = RunningService({"SHUTDOWN_DELAY_SECONDS": "0.5"})
    try:
        base_url = service.url
        assert fetch(f"{base_url}/readyz").status == 200
        service.process.terminate()
        assert eventually(lambda: fetch(f"{base_url}/readyz").status == 503)
        draining = fetch(f"{base_url}/readyz")
        assert (draining.status, draining.text) == (503, "not ready\n")
        assert draining.headers["Connection"] == "close"  # clients reconnect, to a pod that is staying
        assert fetch(f"{base_url}/healthz").status == 200
        assert service.process.wait(timeout=20) == 0
        messages = [entry["msg"] for entry in service.logs]
        assert messages.index("signal received") < messages.index("shutdown complete")
        with pytest.raises(OSError):
            fetch(f"{base_url}/healthz")
    finally:
        service.kill()


def test_shutdown_waits_for_in_flight_requests() -> None:
    service = RunningService({}, command=(str(TESTS / "slow_app.py"),))
    try:
        base_url = service.url
        responses: list[Response] = []
        client = threading.Thread(target=lambda: responses.append(fetch(f"{base_url}/")))
        client.start()
        assert eventually(lambda: service.logged("slow request started"))
        assert service.stop() == 0
        client.join(timeout=10)
        assert [response.status for response in responses] == [200]
    finally:
        service.kill()


def test_start_fails_when_the_metrics_port_is_taken(service: RunningService) -> None:
    clash = RunningService({"METRICS_PORT": str(service.started()["metrics_port"])})
    try:
        assert clash.process.wait(timeout=20) != 0
        assert not clash.logged("listening")
    finally:
        clash.kill()


def test_gunicorn_options() -> None:
    options = server.options(Config(shutdown_delay=5.0, threads=4))
    assert (options["workers"], options["worker_class"], options["threads"]) == (1, "gthread", 4)
    assert options["graceful_timeout"] == 15  # delay + drain, inside the 20 s after the preStop hook
    assert options["control_socket_disable"] is True  # no socket under $HOME on a read-only root filesystem
    assert options["worker_tmp_dir"] in {server.WORKER_TMP_DIR, None}
    assert options["accesslog"] is None


def test_main_refuses_a_bad_setting_before_starting() -> None:
    stdout = io.StringIO()
    with redirect_stdout(stdout):
        assert server.main({"PORT": "http"}) == 2
    entry = json.loads(stdout.getvalue().splitlines()[-1])
    assert (entry["level"], entry["msg"]) == ("error", "invalid configuration")
    assert "PORT" in entry["error"]


def test_config_defaults() -> None:
    config = Config.from_env({})
    assert (config.port, config.metrics_port) == ({{ cookiecutter.port }}, {{ cookiecutter.metrics_port }})
    assert (config.log_level, config.threads, config.tracing) == ("info", 8, False)
    assert config.version == package.__version__


def test_config_reads_the_environment() -> None:
    environ = {
        "PORT": "18081",
        "METRICS_PORT": "19091",
        "LOG_LEVEL": "DEBUG",
        "SERVICE_VERSION": "2.0.0",
        "SHUTDOWN_DELAY_SECONDS": "1.5",
        "THREADS": "16",
        "OTEL_TRACES_EXPORTER": "otlp",
    }
    config = Config.from_env(environ)
    assert (config.port, config.metrics_port, config.log_level) == (18081, 19091, "debug")
    assert (config.version, config.shutdown_delay, config.threads, config.tracing) == ("2.0.0", 1.5, 16, True)


@pytest.mark.parametrize(
    ("environ", "tracing"),
    [
        ({}, False),
        ({"OTEL_TRACES_EXPORTER": "none"}, False),
        ({"OTEL_TRACES_EXPORTER": "otlp"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_TRACES_EXPORTER": "OTLP", "OTEL_SDK_DISABLED": "false"}, True),
        ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, True),
    ],
)
def test_tracing_is_on_only_when_asked_for(environ: dict[str, str], tracing: bool) -> None:
    assert Config.from_env(environ).tracing is tracing


@pytest.mark.parametrize(
    "environ",
    [
        {"PORT": "http"},
        {"PORT": "70000"},
        {"METRICS_PORT": "-1"},
        {"LOG_LEVEL": "loud"},
        {"SHUTDOWN_DELAY_SECONDS": "soon"},
        {"SHUTDOWN_DELAY_SECONDS": "90"},
        {"THREADS": "0"},
        {"THREADS": "65"},
        {"OTEL_TRACES_EXPORTER": "jaeger"},
        {"OTEL_SDK_DISABLED": "yes"},
        {"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
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


def test_a_failing_request_answers_500_and_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(app.App):
        def dispatch(self, method: str, path: str) -> app.Response:
            raise RuntimeError("boom")

    logger = logging.getLogger("test-broken")
    broken = Broken(Config(), Registry(service="svc", version="1", start_time=0.0), logger)
    statuses: list[str] = []
    with caplog.at_level(logging.INFO, logger="test-broken"):
        body = broken({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, lambda status, _headers: statuses.append(status))
    assert statuses == ["500 Internal Server Error"]
    assert list(body) == [b"internal server error\n"]
    assert [record.getMessage() for record in caplog.records] == ["request failed", "request"]
