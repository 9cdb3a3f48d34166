"""Fixtures for the OpenTelemetry tests: an SDK tracer provider with an in-memory exporter,
and clients on the fake provider that export to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from helicone_lite.testing.pytest_plugin import KEY

__all__ = ["KEY", "MESSAGES", "Traces", "everything"]
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]


@dataclass
class Traces:
    """A real SDK TracerProvider whose spans land in memory, synchronously."""

    provider: TracerProvider = field(default_factory=TracerProvider)
    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)

    def __post_init__(self) -> None:
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))

    def spans(self, *clients: Any) -> list[ReadableSpan]:
        """Every span so far: flush the clients (spans ended), then the provider."""
        for client in clients:
            assert client.flush(timeout=10)
        assert self.provider.force_flush()
        return sorted(self.exporter.get_finished_spans(), key=lambda s: s.start_time or 0)

    def one(self, *clients: Any) -> ReadableSpan:
        spans = self.spans(*clients)
        assert len(spans) == 1, [s.name for s in spans]
        return spans[0]


@pytest.fixture
def traces() -> Iterator[Traces]:
    t = Traces()
    yield t
    t.provider.shutdown()


@pytest.fixture
def client_options(client_options: dict[str, Any], traces: Traces) -> dict[str, Any]:
    """The plugin's, exporting to ``traces``, without retries."""
    return {**client_options, "tracer_provider": traces.provider, "max_retries": 0}


def everything(span: ReadableSpan) -> str:
    """All a span would export, as text (to look for secrets)."""
    parts = [span.name, str(span.status.description or "")]
    parts.extend(f"{k}={v}" for k, v in (span.attributes or {}).items())
    for event in span.events:
        parts.extend(f"{k}={v}" for k, v in (event.attributes or {}).items())
    return "\n".join(parts)
