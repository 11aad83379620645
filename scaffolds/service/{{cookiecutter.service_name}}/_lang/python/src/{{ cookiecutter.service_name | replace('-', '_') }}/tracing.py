"""OpenTelemetry tracing, off unless ``OTEL_TRACES_EXPORTER=otlp`` (see ``config``).

Off, nothing of OpenTelemetry is imported and no request leaves the process. On, the official SDK exports one
server span per request through its OTLP/HTTP exporter in batches, continuing the caller's trace from a W3C
``traceparent`` header, and the request log carries the span's ``trace_id`` and ``span_id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span


class SpanRecorder:
    """The request's view of its span: its status, and the ids the request log carries."""

    def __init__(self, span: Span | None = None) -> None:
        self._span = span

    def record_status(self, code: int) -> None:
        if self._span is None:
            return
        from opentelemetry.trace import Status, StatusCode

        self._span.set_attribute("http.response.status_code", code)
        if code >= 500:
            self._span.set_status(Status(StatusCode.ERROR))

    def log_fields(self) -> dict[str, str]:
        if self._span is None:
            return {}
        context = self._span.get_span_context()
        return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


class _HeaderGetter:
    """Reads request headers from a WSGI environ for the propagators (``traceparent`` -> ``HTTP_TRACEPARENT``)."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get("HTTP_" + key.upper().replace("-", "_"))
        return [value] if isinstance(value, str) else None

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return [key[5:].lower().replace("_", "-") for key in carrier if key.startswith("HTTP_")]


class Tracing:
    """Starts a server span per request when on; ``Tracing()`` is off."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self._provider = provider

    @classmethod
    def start(cls, enabled: bool, version: str) -> Tracing:
        """The SDK with a batching OTLP/HTTP exporter when ``enabled``; the exporter reads its endpoint itself."""
        if not enabled:
            return cls()
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import OTELResourceDetector, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        # Our name and version unless OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES say otherwise.
        defaults = Resource.create({"service.name": SERVICE_NAME, "service.version": version})
        provider = TracerProvider(resource=defaults.merge(OTELResourceDetector().detect()))
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        return cls(provider)

    @property
    def enabled(self) -> bool:
        return self._provider is not None

    def resource_attributes(self) -> dict[str, str]:
        """What every exported span says about its origin (service.name, ...); empty when off."""
        if self._provider is None:
            return {}
        return {key: str(value) for key, value in self._provider.resource.attributes.items()}

    @contextmanager
    def server_span(self, environ: Mapping[str, Any], method: str, route: str) -> Iterator[SpanRecorder]:
        """A SERVER span named ``METHOD route`` around the request, child of the caller's ``traceparent``."""
        if self._provider is None:
            yield SpanRecorder()
            return
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind

        parent = propagate.extract(environ, getter=_HeaderGetter())
        attributes = {"http.request.method": method, "http.route": route, "url.path": environ.get("PATH_INFO", "/")}
        tracer = self._provider.get_tracer(SERVICE_NAME)
        with tracer.start_as_current_span(
            f"{method} {route}", context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            yield SpanRecorder(span)

    def shutdown(self) -> None:
        """Export the spans still queued (the SDK bounds the wait) and stop the exporter."""
        if self._provider is not None:
            self._provider.shutdown()
