"""The metrics registry and the /metrics endpoint: names, labels, buckets and text format 0.0.4."""

from __future__ import annotations

import re
import threading
import time

import pytest

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME, metrics

from loopback import VERSION, RunningService, eventually, fetch

START_TIME = 1700000000.25
BUCKET_BOUNDS = ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf"]
SAMPLE_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*",?)*\})? \S+$')


def sample(name: str, labels: str, value: int) -> str:
    """One exposition line, e.g. ``name{a="b"} 1``."""
    return name + "{" + labels + "} " + str(value) + "\n"


def registry() -> metrics.Registry:
    return metrics.Registry(service="svc", version="9.9.9", start_time=START_TIME)


def series(text: str, name: str) -> dict[str, str]:
    """Map each sample line's name+labels to its value, for samples of metric ``name``."""
    samples = (line.rsplit(" ", 1) for line in text.splitlines() if line.startswith(name))
    return {key: value for key, value in samples}


def test_empty_registry_declares_every_family() -> None:
    text = registry().render()
    for name, kind in [
        ("http_requests_total", "counter"),
        ("http_request_duration_seconds", "histogram"),
        ("app_info", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ]:
        assert f"# TYPE {name} {kind}\n" in text
        assert f"# HELP {name} " in text
    assert 'app_info{version="9.9.9",service="svc"} 1\n' in text
    assert "process_start_time_seconds 1700000000.25\n" in text
    assert text.endswith("\n")


def test_counter_and_histogram_series() -> None:
    reg = registry()
    for seconds in (0.001, 0.005, 0.3, 20.0):
        reg.observe_request("GET", "/", 200, seconds)
    reg.observe_request("GET", "/nope", 404, 0.02)
    text = reg.render()
    assert series(text, "http_requests_total") == {
        'http_requests_total{method="GET",route="/",code="200"}': "4",
        'http_requests_total{method="GET",route="/nope",code="404"}': "1",
    }
    buckets = series(text, 'http_request_duration_seconds_bucket{method="GET",route="/",')
    assert [key.split('le="')[1].rstrip('"}') for key in buckets] == BUCKET_BOUNDS
    assert list(buckets.values()) == ["2", "2", "2", "2", "2", "2", "3", "3", "3", "3", "3", "4"]
    assert series(text, 'http_request_duration_seconds_count{method="GET",route="/"}') == {
        'http_request_duration_seconds_count{method="GET",route="/"}': "4"
    }
    total = series(text, 'http_request_duration_seconds_sum{method="GET",route="/"}')
    assert float(next(iter(total.values()))) == pytest.approx(20.306)


def test_every_line_is_valid_exposition_format() -> None:
    reg = registry()
    reg.observe_request("GET", 'we"ird\\route\n', 500, 0.1)
    for line in reg.render().splitlines():
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or SAMPLE_LINE.match(line), line
    assert 'route="we\\"ird\\\\route\\n"' in reg.render()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.005, "0.005"),
        (1.0, "1"),
        (10.0, "10"),
        (2.5, "2.5"),
        (0.0, "0"),
        (1e-05, "1e-05"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_format_value(value: float, text: str) -> None:
    assert metrics.format_value(value) == text


def test_registry_is_thread_safe() -> None:
    reg = registry()

    def hammer() -> None:
        for _ in range(1000):
            reg.observe_request("GET", "/", 200, 0.01)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    text = reg.render()
    assert 'http_requests_total{method="GET",route="/",code="200"} 8000\n' in text
    assert 'http_request_duration_seconds_count{method="GET",route="/"} 8000\n' in text


def test_metrics_endpoint_reports_served_requests() -> None:
    service = RunningService({})
    try:
        check_served_requests(service.url, service.metrics_url)
    finally:
        service.kill()


def check_served_requests(base_url: str, metrics_url: str) -> None:
    served = [("/", "GET", 200), ("/healthz", "GET", 200), ("/readyz", "GET", 200), ("/nope", "GET", 404)]
    served.append(("/", "POST", 405))
    for path, method, _code in served:
        fetch(f"{base_url}{path}", method=method)
    expected = [sample("app_info", f'version="{VERSION}",service="{SERVICE_NAME}"', 1)]
    for path, method, code in served:
        labels = f'method="{method}",route="{path if path != "/nope" else "other"}"'
        expected.append(sample("http_requests_total", f'{labels},code="{code}"', 1))
        expected.append(sample("http_request_duration_seconds_bucket", f'{labels},le="+Inf"', 1))
    # Requests are recorded just after their response is sent, so the last ones may take a moment to show up.
    assert eventually(lambda: all(line in fetch(metrics_url).text for line in expected))
    response = fetch(metrics_url)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    started = float(series(response.text, "process_start_time_seconds")["process_start_time_seconds"])
    assert 0 < time.time() - started < 60
    assert "/metrics" not in response.text  # the metrics listener does not instrument itself


def test_metrics_endpoint_supports_head(metrics_url: str) -> None:
    response = fetch(metrics_url, method="HEAD")
    assert (response.status, response.body) == (200, b"")
