"""Sessions are traces: a deterministic trace id per session id, the session path as the
parent/child structure, the application's own spans as parents or links."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import helicone_lite
from helicone_lite.otel import session_span_id, session_trace_id

from .conftest import MESSAGES, Traces


def _ask(client: helicone_lite.Client, session: str | None, path: str | None = None) -> str:
    headers = {}
    if session is not None:
        headers["Helicone-Session-Id"] = session
    if path is not None:
        headers["Helicone-Session-Path"] = path
    response = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
    )
    return response.headers["Helicone-Id"]


def test_session_ids_map_to_stable_trace_ids() -> None:
    sid = "3e2a3c1e-8a0c-4c8b-9f3c-6b1f0e2d7a55"
    assert session_trace_id(sid) == uuid.UUID(sid).int  # a UUID session id is the trace id
    assert session_trace_id(uuid.UUID(sid).hex) == uuid.UUID(sid).int
    assert session_trace_id(sid.upper()) != uuid.UUID(sid).int  # not canonical: hashed
    assert session_trace_id("triage-42") == session_trace_id("triage-42")
    assert session_trace_id("triage-42") != session_trace_id("triage-43")
    assert 0 < session_trace_id("triage-42") < 2**128
    assert 0 < session_span_id("triage-42") < 2**64
    assert session_trace_id("") != 0


def test_session_calls_share_one_trace(client: helicone_lite.Client, traces: Traces) -> None:
    a1 = _ask(client, "session-a", "/triage")
    b1 = _ask(client, "session-b", "/triage")
    a2 = _ask(client, "session-a", "/triage")
    loose = _ask(client, None)
    by_id = {(s.attributes or {})["helicone.request_id"]: s for s in traces.spans(client)}
    trace_a = session_trace_id("session-a")
    assert by_id[a1].context.trace_id == by_id[a2].context.trace_id == trace_a
    assert by_id[b1].context.trace_id == session_trace_id("session-b") != trace_a
    assert by_id[loose].context.trace_id not in (trace_a, session_trace_id("session-b"))
    assert by_id[loose].parent is None  # no session, no active span: a trace of its own


def test_session_path_is_the_span_tree(client: helicone_lite.Client, traces: Traces) -> None:
    session = "patient-7829-visit"
    triage = _ask(client, session, "/triage")
    analysis = _ask(client, session, "/triage/analysis")
    analysis_2 = _ask(client, session, "/triage/analysis")
    lab = _ask(client, session, "/triage/analysis/lab-review")
    other = _ask(client, session, "/billing")
    spans = {(s.attributes or {})["helicone.request_id"]: s for s in traces.spans(client)}
    root = session_span_id(session)

    def parent_of(request_id: str) -> int:
        parent = spans[request_id].parent
        assert parent is not None
        return parent.span_id

    assert parent_of(triage) == root  # the session's virtual root
    assert spans[triage].parent is not None and spans[triage].parent.is_remote
    assert parent_of(analysis) == spans[triage].context.span_id
    assert parent_of(analysis_2) == spans[triage].context.span_id  # siblings on one path
    assert parent_of(lab) == spans[analysis_2].context.span_id  # the latest on the parent path
    assert parent_of(other) == root  # no request on "/" was seen
    assert {s.context.trace_id for s in spans.values()} == {session_trace_id(session)}


def test_every_process_puts_a_session_in_the_same_trace(
    make_client: Callable[..., helicone_lite.Client], traces: Traces
) -> None:
    # two clients share nothing (separate runtimes, exporters, trees): like two processes
    first, second = make_client(), make_client()
    _ask(first, "shared-session", "/a")
    _ask(second, "shared-session", "/a/b")
    spans = traces.spans(first, second)
    assert {s.context.trace_id for s in spans} == {session_trace_id("shared-session")}
    # the second client never saw "/a": its span hangs under the session root, not dangling
    assert spans[1].parent is not None
    assert spans[1].parent.span_id == session_span_id("shared-session")


def test_active_span_is_the_parent_of_a_call_without_session(
    client: helicone_lite.Client, traces: Traces
) -> None:
    tracer = traces.provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as handler:
        _ask(client, None)
    spans = {s.name: s for s in traces.spans(client)}
    llm = spans["chat gpt-4o-mini"]
    assert llm.context.trace_id == handler.get_span_context().trace_id
    assert llm.parent is not None
    assert llm.parent.span_id == handler.get_span_context().span_id


async def test_active_span_is_the_parent_in_async_code(
    aclient: helicone_lite.AsyncClient, traces: Traces
) -> None:
    tracer = traces.provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as handler:
        await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    llm = next(s for s in traces.spans(aclient) if s.name.startswith("chat"))
    assert llm.parent is not None
    assert llm.parent.span_id == handler.get_span_context().span_id


def test_active_span_is_linked_from_a_session_span(
    client: helicone_lite.Client, traces: Traces
) -> None:
    tracer = traces.provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as handler:
        _ask(client, "linked-session", "/")
    llm = next(s for s in traces.spans(client) if s.name.startswith("chat"))
    assert llm.context.trace_id == session_trace_id("linked-session")
    assert [link.context.span_id for link in llm.links] == [handler.get_span_context().span_id]


def test_a_trace_id_sampler_keeps_or_drops_whole_sessions(
    make_client: Callable[..., helicone_lite.Client],
) -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.sdk.trace.sampling import TraceIdRatioBased

    sampler = TraceIdRatioBased(0.5)
    memory = InMemorySpanExporter()
    provider = TracerProvider(sampler=sampler)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    client = make_client(tracer_provider=provider)
    sessions = [f"visit-{n}" for n in range(12)]
    for session in sessions:
        _ask(client, session, "/triage")
        _ask(client, session, "/triage/analysis")
    assert client.flush(timeout=10)
    kept: dict[str, int] = {}
    for span in memory.get_finished_spans():
        session = str((span.attributes or {})["helicone.session.id"])
        kept[session] = kept.get(session, 0) + 1
    expected = {s for s in sessions if session_trace_id(s) & (2**64 - 1) < sampler.bound}
    assert set(kept) == expected and 0 < len(expected) < len(sessions)
    assert set(kept.values()) == {2}  # a session is kept whole, never in part
    assert client._helicone_runtime.otel.stats()["handled"] == 2 * len(sessions)
    provider.shutdown()
