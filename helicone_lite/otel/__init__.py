"""OpenTelemetry export of the request log: one span per call, to any OTLP backend.

Turn it on per client; spans follow OpenTelemetry's GenAI semantic conventions plus
``helicone.*`` attributes, and every call of a Helicone session lands in one trace whose id
depends on the session id only (see docs/opentelemetry.md)::

    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))  # OTEL_EXPORTER_OTLP_*
    trace.set_tracer_provider(provider)
    client = helicone_lite.Client(otel=True)         # or Client(tracer_provider=provider)

Importing this package does not import OpenTelemetry; building an exporter does (the
``otel`` extra: ``pip install 'helicone-lite[otel]'``).
"""

from ._exporter import INSTALL_HINT, OTelExporter
from ._tree import session_span_id, session_trace_id

__all__ = ["INSTALL_HINT", "OTelExporter", "session_span_id", "session_trace_id"]
