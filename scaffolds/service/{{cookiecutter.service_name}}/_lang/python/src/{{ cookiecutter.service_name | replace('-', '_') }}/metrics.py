"""Prometheus metrics, hand-written with the standard library only.

Exposes, in text exposition format 0.0.4:

- ``http_requests_total{method,route,code}`` (counter)
- ``http_request_duration_seconds{method,route}`` (histogram, ``DURATION_BUCKETS`` plus ``+Inf``)
- ``app_info{version,service}`` (gauge, always 1)
- ``process_start_time_seconds`` (gauge)

The Go variant of this scaffold renders byte-for-byte the same names, help texts, label order and bucket bounds.
"""

from __future__ import annotations

import bisect
import math
import threading
from dataclasses import dataclass, field

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS_HELP = "Total number of HTTP requests handled, by method, route and status code."
DURATION_HELP = "Latency of HTTP requests in seconds, by method and route."
INFO_HELP = "Build information about the service; the value is always 1."
START_TIME_HELP = "Start time of the process since unix epoch in seconds."


def format_value(value: float) -> str:
    """Format a sample value (or ``le`` bound) the way Prometheus parsers expect."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == math.trunc(value) and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def escape_label_value(value: str) -> str:
    """Escape a label value: backslash, double quote and line feed."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{name}="{escape_label_value(value)}"' for name, value in pairs) + "}"


def _header(name: str, help_text: str, kind: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


@dataclass
class _Histogram:
    """Per-bucket (non-cumulative) counts; cumulated only when rendered."""

    bucket_counts: list[int] = field(default_factory=lambda: [0] * len(DURATION_BUCKETS))
    count: int = 0
    total: float = 0.0


class Registry:
    """Thread-safe store for the service's metrics."""

    def __init__(self, *, service: str, version: str, start_time: float) -> None:
        self._service = service
        self._version = version
        self._start_time = start_time
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = {}
        self._durations: dict[tuple[str, str], _Histogram] = {}

    def observe_request(self, method: str, route: str, code: int, seconds: float) -> None:
        """Count one handled request and record its duration."""
        index = bisect.bisect_left(DURATION_BUCKETS, seconds)
        with self._lock:
            key = (method, route, str(code))
            self._requests[key] = self._requests.get(key, 0) + 1
            histogram = self._durations.setdefault((method, route), _Histogram())
            if index < len(DURATION_BUCKETS):
                histogram.bucket_counts[index] += 1
            histogram.count += 1
            histogram.total += seconds

    def render(self) -> str:
        """Return every metric in Prometheus text format 0.0.4, series sorted by labels."""
        with self._lock:
            requests = sorted(self._requests.items())
            durations = sorted((key, list(h.bucket_counts), h.count, h.total) for key, h in self._durations.items())
        lines = _header("http_requests_total", REQUESTS_HELP, "counter")
        for (method, route, code), count in requests:
            labels = _labels([("method", method), ("route", route), ("code", code)])
            lines.append(f"http_requests_total{labels} {count}")
        lines += _header("http_request_duration_seconds", DURATION_HELP, "histogram")
        for (method, route), bucket_counts, count, total in durations:
            lines += _histogram_lines(
                "http_request_duration_seconds", [("method", method), ("route", route)], bucket_counts, count, total
            )
        lines += _header("app_info", INFO_HELP, "gauge")
        lines.append(f"app_info{_labels([('version', self._version), ('service', self._service)])} 1")
        lines += _header("process_start_time_seconds", START_TIME_HELP, "gauge")
        lines.append(f"process_start_time_seconds {format_value(self._start_time)}")
        return "\n".join(lines) + "\n"


def _histogram_lines(
    name: str, labels: list[tuple[str, str]], bucket_counts: list[int], count: int, total: float
) -> list[str]:
    lines = []
    cumulative = 0
    for bound, bucket_count in zip(DURATION_BUCKETS, bucket_counts, strict=True):
        cumulative += bucket_count
        lines.append(f"{name}_bucket{_labels([*labels, ('le', format_value(bound))])} {cumulative}")
    lines.append(f"{name}_bucket{_labels([*labels, ('le', '+Inf')])} {count}")
    lines.append(f"{name}_sum{_labels(labels)} {format_value(total)}")
    lines.append(f"{name}_count{_labels(labels)} {count}")
    return lines
