"""What OpenTelemetry export adds to a call, against the same client without it and the raw SDK.

One process, the built-in fake provider on loopback, calls interleaved so every client sees the
same machine state. The export pipeline is the production one (SDK TracerProvider with a
BatchSpanProcessor) with an exporter that only counts, so the network is not measured. Also
times the recorder hook alone, and how fast the background thread turns calls into spans.

    python benchmarks/bench_otel.py [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence

from _blocks import blocks

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
HEADERS = {
    "Helicone-Session-Id": "bench",
    "Helicone-Session-Path": "/agent/step",
    "Helicone-Property-App": "bench",
}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    calls = parser.parse_args().calls

    import openai
    from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        SpanExporter,
        SpanExportResult,
    )

    import helicone_lite
    from helicone_lite.testing import FakeProvider

    class Counting(SpanExporter):
        def __init__(self) -> None:
            self.spans = 0

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            self.spans += len(spans)
            return SpanExportResult.SUCCESS

    counter = Counting()
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(counter))
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        url = fake.openai_base_url
        raw = openai.OpenAI(api_key="sk-bench", base_url=url, max_retries=0)
        plain = helicone_lite.Client(api_key="sk-bench", base_url=url, home=home)
        traced = helicone_lite.Client(
            api_key="sk-bench", base_url=url, home=home, tracer_provider=provider
        )

        def call(client: openai.OpenAI, headers: dict[str, str] | None = None) -> object:
            return client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )

        for _ in range(50):  # warm every path (connections, imports, the price table)
            call(raw), call(plain, HEADERS), call(traced, HEADERS)
        traced.flush()
        raw_t, plain_t, traced_t = [], [], []
        samples = blocks(
            {
                "raw": lambda: call(raw),
                "plain": lambda: call(plain, HEADERS),
                "traced": lambda: call(traced, HEADERS),
            },
            calls,
        )
        raw_t.extend(samples["raw"])
        plain_t.extend(samples["plain"])
        traced_t.extend(samples["traced"])
        start = time.perf_counter()
        traced.flush()
        provider.force_flush()
        drain = time.perf_counter() - start

        exporter = traced._helicone_runtime.otel
        assert exporter is not None
        response = call(traced, HEADERS)
        exporter.flush()
        hook_t = []
        params = {"model": "gpt-4o-mini", "messages": MESSAGES}
        runtime_call = traced._helicone_build("chat.completions", params, None, {})
        result = helicone_lite.Result(response=response)
        row = {"id": runtime_call.id, "model": "gpt-4o-mini", "latency_ms": 1.0, "status": 200}
        for _ in range(calls):
            hook_t.append(timed(lambda: exporter.record(runtime_call, result, row)) * 1000)
        start = time.perf_counter()
        exporter.flush()
        build_rate = calls / (time.perf_counter() - start)
        provider.shutdown()
        plain.close()
        traced.close()

    def med(values: list[float]) -> float:
        return statistics.median(values)

    print(f"per call (n={calls}, fake provider on loopback, session + property headers)")
    print(f"  raw openai                 median {med(raw_t):.3f} ms")
    print(f"  helicone_lite              median {med(plain_t):.3f} ms")
    print(f"  helicone_lite + otel       median {med(traced_t):.3f} ms")
    print(
        f"  otel added                 median {(med(traced_t) - med(plain_t)) * 1000:.0f} µs"
        f"   ratio to helicone_lite {med(traced_t) / med(plain_t):.3f}"
        f"   ratio to raw {med(traced_t) / med(raw_t):.3f}"
    )
    print(f"  recorder hook alone        median {med(hook_t):.1f} µs")
    print(f"  spans built off the path   {build_rate:,.0f} spans/s (background thread)")
    print(f"  spans exported             {counter.spans} of {calls + 51 + calls} expected")
    print(f"  final drain                {drain * 1000:.0f} ms")


if __name__ == "__main__":
    main()
