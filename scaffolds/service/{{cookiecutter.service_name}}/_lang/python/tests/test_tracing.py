"""OpenTelemetry tracing: off by default (nothing exported), on with OTLP/HTTP to a loopback receiver."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from {{ cookiecutter.service_name | replace('-', '_') }} import SERVICE_NAME
from {{ cookiecutter.service_name | replace('-', '_') }}.tracing import Tracing

from loopback import OtlpReceiver, RunningService, fetch

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def own_receiver() -> Iterator[OtlpReceiver]:
    """A receiver of the test's own (the session's is shared)."""
    receiver = OtlpReceiver()
    yield receiver
    receiver.close()


def serve_one_traced_request(receiver: OtlpReceiver, environ: dict[str, str]) -> RunningService:
    """Run the service, send it ``GET /`` from inside a caller's trace, stop it (which flushes spans)."""
    service = RunningService({"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint, **environ})
    try:
        assert fetch(f"{service.url}/", headers={"traceparent": TRACEPARENT}).status == 200
        assert service.stop() == 0
    finally:
        service.kill()
    return service


def test_off_by_default_exports_nothing(own_receiver: OtlpReceiver) -> None:
    receiver = own_receiver
    service = serve_one_traced_request(receiver, {})
    assert receiver.requests == []
    assert service.started()["tracing"] is False
    request = next(entry for entry in service.logs if entry["msg"] == "request")
    assert "trace_id" not in request


def test_on_exports_a_server_span_child_of_the_callers(own_receiver: OtlpReceiver) -> None:
    receiver = own_receiver
    environ = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_SERVICE_NAME": "orders-canary",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=dev",
    }
    service = serve_one_traced_request(receiver, environ)
    assert [(path, content_type) for path, content_type, _ in receiver.requests] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    export = ExportTraceServiceRequest.FromString(receiver.requests[0][2])
    (resource_spans,) = export.resource_spans
    resource = {attr.key: attr.value.string_value for attr in resource_spans.resource.attributes}
    assert resource["service.name"] == "orders-canary"
    assert resource["deployment.environment.name"] == "dev"
    assert resource["service.version"] == "1.2.3"
    spans = [span for scope in resource_spans.scope_spans for span in scope.spans]
    (span,) = spans
    assert span.name == "GET /"
    assert span.kind == Span.SPAN_KIND_SERVER
    assert (span.trace_id.hex(), span.parent_span_id.hex()) == (TRACE_ID, PARENT_ID)
    attributes = {attr.key: attr.value for attr in span.attributes}
    assert attributes["http.route"].string_value == "/"
    assert attributes["http.response.status_code"].int_value == 200
    request = next(entry for entry in service.logs if entry["msg"] == "request")
    assert (request["trace_id"], request["span_id"]) == (TRACE_ID, span.span_id.hex())


def test_on_names_the_service_after_itself_unless_told(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "team=orders")
    tracing = Tracing.start(True, "2.0.0")
    try:
        assert tracing.enabled
        resource = tracing.resource_attributes()
        assert (resource["service.name"], resource["service.version"]) == (SERVICE_NAME, "2.0.0")
        assert resource["team"] == "orders"
    finally:
        tracing.shutdown()


def test_off_starts_no_sdk() -> None:
    tracing = Tracing.start(False, "2.0.0")
    assert not tracing.enabled
    assert tracing.resource_attributes() == {}
