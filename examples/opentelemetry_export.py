"""Send the request log to OpenTelemetry: one span per call, one trace per Helicone session.

    python examples/opentelemetry_export.py
    OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 python examples/opentelemetry_export.py

Offline (no OPENAI_API_KEY) it talks to the built-in fake provider. It always prints the spans
it exported as the session tree; with OTEL_EXPORTER_OTLP_ENDPOINT set (Jaeger, Tempo, an
OpenTelemetry Collector, Langfuse…) it also sends them there. Needs the extra:
pip install 'helicone-lite[otel]'.
"""

import os
import uuid

import _offline  # noqa: F401  (fake provider when no OPENAI_API_KEY is set)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import helicone_lite

provider = TracerProvider(resource=Resource.create({"service.name": "triage-example"}))
memory = InMemorySpanExporter()  # only so that this script can print what it exported
provider.add_span_processor(SimpleSpanProcessor(memory))
if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))

client = helicone_lite.Client(tracer_provider=provider)  # or otel=True with a global provider
session = str(uuid.uuid4())  # a UUID session id is the trace id


def ask(path: str, question: str, stream: bool = False) -> str:
    headers = {
        "Helicone-Session-Id": session,
        "Helicone-Session-Path": path,
        "Helicone-Session-Name": "Patient triage",
        "Helicone-User-Id": "patient-7829",
        "Helicone-Property-Department": "cardiology",
    }
    messages = [{"role": "user", "content": question}]
    if stream:
        chunks = client.chat.completions.create(
            model="gpt-4o-mini", messages=messages, stream=True, extra_headers=headers
        )
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    response = client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, max_tokens=200, extra_headers=headers
    )
    return response.choices[0].message.content or ""


ask("/triage", "Severe chest pain and shortness of breath: how urgent?")
ask("/triage/analysis", "Which conditions match these symptoms?")
ask("/triage/analysis/lab-review", "Which lab tests confirm a myocardial infarction?")
ask("/triage/summary", "Summarise the triage for the attending physician.", stream=True)

client.flush()  # every span handed to the provider
provider.force_flush()  # and exported


def show(span: ReadableSpan, children: dict[int, list[ReadableSpan]], depth: int) -> None:
    attrs = span.attributes or {}
    cost = attrs.get("helicone.cost_usd")
    tokens = (
        f"in={attrs.get('gen_ai.usage.input_tokens')} out={attrs.get('gen_ai.usage.output_tokens')}"
    )
    label = f"{'  ' * depth}{attrs.get('helicone.session.path', '')}"
    price = "n/a" if cost is None else f"${cost:.6f}"
    print(f"{label:<34} {span.name:<18} {tokens:<14} cost={price}")
    for child in children.get(span.context.span_id, []):
        show(child, children, depth + 1)


spans = sorted(memory.get_finished_spans(), key=lambda s: s.start_time or 0)
ids = {s.context.span_id for s in spans}
children: dict[int, list[ReadableSpan]] = {}
for span in spans:
    if span.parent is not None and span.parent.span_id in ids:
        children.setdefault(span.parent.span_id, []).append(span)
print(f"\ntrace {spans[0].context.trace_id:032x} (session {session}):")
for span in spans:
    if span.parent is None or span.parent.span_id not in ids:
        show(span, children, 1)
provider.shutdown()
