"""One span per logged call, built on the exporter's thread from what the recorder gathered.

The only module of helicone_lite that imports OpenTelemetry (``opentelemetry-api``; the SDK
and its exporters are the application's choice). Placement (docs/opentelemetry.md):

* a call in a Helicone session goes into the session's trace (:func:`session_trace_id`),
  under the latest earlier span on the nearest ancestor session path, else under the
  session's virtual root; an active span of the application becomes a *link*;
* any other call is a child of the span that was active when it was made, or a new trace.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from pydantic import BaseModel

from .._redact import redact
from ..pipeline._call import Call, Result
from ._attributes import (
    error_type,
    helicone_attributes,
    request_attributes,
    response_attributes,
    sent_call,
)
from ._content import content_attributes
from ._tree import SessionTree, normal_path, session_span_id, session_trace_id

__all__ = ["Item", "SpanBuilder", "current_span_context"]

#: what the recorder's hook queues: (call, result, row, the span active at the call or None)
Item = tuple[Call, Result, Mapping[str, Any], trace.SpanContext | None]

_MAX_DESCRIPTION = 1000
_SAMPLED = trace.TraceFlags(trace.TraceFlags.SAMPLED)


def current_span_context() -> trace.SpanContext | None:
    """The application's active span (cheap: one context-variable read), if any."""
    context = trace.get_current_span().get_span_context()
    return context if context.is_valid else None


class SpanBuilder:
    """Turns queued items into ended spans on ``tracer``."""

    def __init__(self, tracer: trace.Tracer, *, capture_content: bool = False) -> None:
        self._tracer = tracer
        self._capture = capture_content
        self._tree: SessionTree[trace.SpanContext] = SessionTree()

    def emit(self, item: Item) -> None:
        call, result, row, ambient = item
        sent = sent_call(call, result)
        start = _nanos(call.started_wall)
        latency = row.get("latency_ms")
        end = start + round(float(latency) * 1e6) if isinstance(latency, (int, float)) else start
        parent, links = self._placement(row, ambient, call.started_wall)
        asked = request_attributes(sent, row)  # given at creation: samplers may look at them
        span = self._tracer.start_span(
            f"{asked['gen_ai.operation.name']} {asked['gen_ai.request.model']}",
            context=parent,
            kind=trace.SpanKind.CLIENT,
            attributes=asked,
            links=links,
            start_time=start,
            record_exception=False,
            set_status_on_exception=False,
        )
        if span.is_recording():  # not sampled out: the rest (pricing, content) is worth doing
            self._complete(span, sent, result, row)
        span.end(end_time=max(end, start))
        session = row.get("session_id")
        made = span.get_span_context()
        if isinstance(session, str) and session and made.is_valid:
            self._tree.remember(
                session, normal_path(row.get("session_path")), made, call.started_wall
            )

    def _complete(
        self, span: trace.Span, call: Call, result: Result, row: Mapping[str, Any]
    ) -> None:
        error = result.error
        response = _response_of(call, result, row, content=self._capture)
        attributes = response_attributes(call, row, response, error is not None)
        attributes.update(helicone_attributes(row, _cost_of(row)))
        if error is not None:
            attributes["error.type"] = error_type(error)
        if self._capture:
            attributes.update(content_attributes(call, response, redact))
        span.set_attributes(attributes)
        if error is not None:
            text = str(row.get("error") or redact(f"{type(error).__name__}: {error}"))
            span.set_status(trace.Status(trace.StatusCode.ERROR, text[:_MAX_DESCRIPTION]))

    def _placement(
        self, row: Mapping[str, Any], ambient: trace.SpanContext | None, started: float
    ) -> tuple[otel_context.Context, list[trace.Link]]:
        empty = otel_context.Context()
        session = row.get("session_id")
        if not isinstance(session, str) or not session:
            if ambient is None:
                return empty, []  # a new trace
            return trace.set_span_in_context(trace.NonRecordingSpan(ambient), empty), []
        path = normal_path(row.get("session_path"))
        parent = self._tree.parent(session, path, started)
        if parent is None:
            parent = trace.SpanContext(
                session_trace_id(session),
                session_span_id(session),
                is_remote=True,
                trace_flags=_SAMPLED,
            )
        links = [] if ambient is None else [trace.Link(ambient)]
        return trace.set_span_in_context(trace.NonRecordingSpan(parent), empty), links


def _nanos(epoch: float) -> int:
    """Epoch seconds as integer nanoseconds, without float rounding of the whole seconds."""
    whole = math.floor(epoch)
    return whole * 1_000_000_000 + round((epoch - whole) * 1e9)


def _response_of(
    call: Call, result: Result, row: Mapping[str, Any], *, content: bool
) -> Mapping[str, Any] | None:
    """The chat response as a dict (a stream's assembled chunks): its id and finish reasons,
    and its messages when ``content`` is wanted."""
    if call.kind != "chat.completions":
        return None  # embeddings: nothing needed beyond the row (and vectors are large)
    if call.stream:
        body = row.get("response_body")
        text = body() if callable(body) else body
        parsed = json.loads(text) if isinstance(text, str) else None
        return parsed if isinstance(parsed, dict) and "choices" in parsed else None
    response = result.response
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list):
        return None
    if content and isinstance(response, BaseModel):
        data = response.model_dump(exclude_none=True)
        return data if isinstance(data, dict) else None
    reasons = [{"finish_reason": getattr(c, "finish_reason", None)} for c in choices]
    return {"id": getattr(response, "id", None), "choices": reasons}


def _cost_of(row: Mapping[str, Any]) -> float | None:
    cost = row.get("cost_usd")
    compute = row.get("_cost")
    if cost is None and callable(compute):
        try:
            cost = compute()
        except Exception:  # a price-table failure leaves the cost unknown, as in the store
            cost = None
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not math.isfinite(cost):
        return None
    return float(cost)


def tracer_for(provider: trace.TracerProvider | None) -> trace.Tracer:
    """helicone_lite's tracer from ``provider``, or from the global provider (followed even
    if it is set after the client is built)."""
    from .. import __version__

    if provider is None:
        return trace.get_tracer("helicone_lite", __version__)
    return provider.get_tracer("helicone_lite", __version__)
