"""Fixtures: a real service on ephemeral loopback ports."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from {{ cookiecutter.service_name | replace('-', '_') }} import app
from {{ cookiecutter.service_name | replace('-', '_') }}.config import Config
from {{ cookiecutter.service_name | replace('-', '_') }}.logs import configure_logging

from loopback import START_TIME, VERSION


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def logger(log_stream: io.StringIO) -> logging.Logger:
    return configure_logging("debug", log_stream)


@pytest.fixture
def config() -> Config:
    return Config(port=0, metrics_port=0, log_level="debug", version=VERSION, shutdown_delay=0.0, host="127.0.0.1")


@pytest.fixture
def service(config: Config, logger: logging.Logger) -> Iterator[app.Service]:
    service = app.Service(config, logger=logger, start_time=START_TIME)
    service.start()
    yield service
    service.shutdown()


@pytest.fixture
def base_url(service: app.Service) -> str:
    return f"http://127.0.0.1:{service.port}"


@pytest.fixture
def metrics_url(service: app.Service) -> str:
    return f"http://127.0.0.1:{service.metrics_port}/metrics"
