"""Fixtures for the OpenTelemetry tests: an SDK tracer provider with an in-memory exporter,
and clients on the fake provider that export to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"
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
def make_client(
    fake: FakeProvider, home: Path, traces: Traces
) -> Iterator[Callable[..., helicone_lite.Client]]:
    made: list[helicone_lite.Client] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("tracer_provider", traces.provider)
        kwargs.setdefault("max_retries", 0)
        client = helicone_lite.Client(
            api_key=KEY, base_url=fake.openai_base_url, home=home, **kwargs
        )
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., helicone_lite.Client]) -> helicone_lite.Client:
    return make_client()


@pytest.fixture
async def aclient(
    fake: FakeProvider, home: Path, traces: Traces
) -> AsyncIterator[helicone_lite.AsyncClient]:
    c = helicone_lite.AsyncClient(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        tracer_provider=traces.provider,
        max_retries=0,
    )
    yield c
    await c.close()


def everything(span: ReadableSpan) -> str:
    """All a span would export, as text (to look for secrets)."""
    parts = [span.name, str(span.status.description or "")]
    parts.extend(f"{k}={v}" for k, v in (span.attributes or {}).items())
    for event in span.events:
        parts.extend(f"{k}={v}" for k, v in (event.attributes or {}).items())
    return "\n".join(parts)
