"""Fixtures: the service run as its image runs it, on ephemeral loopback ports, and a loopback OTLP receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from loopback import OtlpReceiver, RunningService


@pytest.fixture(scope="session")
def receiver() -> Iterator[OtlpReceiver]:
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def service(receiver: OtlpReceiver) -> Iterator[RunningService]:
    """One service for the tests that only send requests, with tracing off (the default) but an endpoint set."""
    service = RunningService({"LOG_LEVEL": "debug", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    try:
        service.started()
        yield service
    finally:
        service.kill()


@pytest.fixture
def base_url(service: RunningService) -> str:
    return service.url


@pytest.fixture
def metrics_url(service: RunningService) -> str:
    return service.metrics_url
