"""End to end: spans leave the process as OTLP/HTTP protobuf, configured only by the standard
OTEL_EXPORTER_OTLP_ENDPOINT variable, and arrive at a (loopback) collector intact."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

import helicone_lite
from helicone_lite.otel import session_trace_id
from helicone_lite.testing import FakeProvider, Reply

from .conftest import KEY


class _Collector(ThreadingHTTPServer):
    """A tiny OTLP/HTTP trace receiver: records the body of every POST to /v1/traces."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[str, str, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: _Collector

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts.append((self.path, self.headers.get("Content-Type", ""), body))
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def collector() -> Iterator[_Collector]:
    server = _Collector()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(10)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in any_value.array_value.values]
    return getattr(any_value, kind)


def test_spans_reach_an_otlp_http_collector(
    collector: _Collector,
    fake: FakeProvider,
    home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake.script("gpt-4o-mini", Reply(text="Hi", prompt_tokens=12, completion_tokens=1))
    provider = TracerProvider(resource=Resource.create({"service.name": "triage-api"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    client = helicone_lite.Client(
        api_key=KEY, base_url=fake.openai_base_url, home=home, tracer_provider=provider
    )
    try:
        response = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "hello"}],
            extra_headers={
                "Helicone-Session-Id": "visit-1",
                "Helicone-Session-Path": "/triage",
                "Helicone-Property-Department": "cardiology",
            },
        )
        assert client.flush(timeout=10)
        assert provider.force_flush(timeout_millis=10_000)
    finally:
        client.close()
        provider.shutdown()

    assert [(path, kind) for path, kind, _ in collector.posts] == [
        ("/v1/traces", "application/x-protobuf")
    ]
    request = ExportTraceServiceRequest.FromString(collector.posts[0][2])
    (resource_spans,) = request.resource_spans
    resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
    assert resource["service.name"] == "triage-api"
    (scope_spans,) = resource_spans.scope_spans
    assert scope_spans.scope.name == "helicone_lite"
    (span,) = scope_spans.spans
    attrs = {kv.key: _value(kv.value) for kv in span.attributes}
    assert span.name == "chat gpt-4o-mini"
    assert span.kind == span.SPAN_KIND_CLIENT
    assert int.from_bytes(span.trace_id, "big") == session_trace_id("visit-1")
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 1
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert attrs["helicone.request_id"] == response.headers["Helicone-Id"]
    assert attrs["helicone.property.department"] == "cardiology"
    assert attrs["helicone.cost_usd"] > 0
    assert span.end_time_unix_nano > span.start_time_unix_nano
    assert b"SECRET" not in collector.posts[0][2]
