"""One span per call, through the real client and SDK against the fake provider: names, kind,
times, GenAI attributes, helicone.* attributes, errors, sync and async, stream and not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import helicone_lite
from helicone_lite import Call, Forward, Result
from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

from .conftest import KEY, MESSAGES, Traces, everything

SESSION = {
    "Helicone-Session-Id": "triage-42",
    "Helicone-Session-Path": "/triage",
    "Helicone-Session-Name": "Patient triage",
    "Helicone-User-Id": "patient-7829",
    "Helicone-Property-Department": "cardiology",
    "Helicone-Property-App": "triage-assistant",
}


def _assert_chat_span(span: ReadableSpan, *, stream: bool) -> None:
    attrs = span.attributes or {}
    assert span.name == "chat gpt-4o-mini"
    assert span.kind is SpanKind.CLIENT
    assert span.status.status_code is StatusCode.UNSET
    assert attrs["gen_ai.operation.name"] == "chat"
    assert attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.request.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.response.model"] == "gpt-4o-mini"
    assert attrs["gen_ai.usage.input_tokens"] == 12
    assert attrs["gen_ai.usage.output_tokens"] == 5
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 4
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("stop",)
    assert str(attrs["gen_ai.response.id"]).startswith("chatcmpl-")
    assert attrs["server.address"] == "127.0.0.1"
    assert isinstance(attrs["server.port"], int)
    assert attrs["helicone.status"] == 200
    cost = attrs["helicone.cost_usd"]
    assert isinstance(cost, float) and cost > 0  # gpt-4o-mini is priced by genai-prices
    assert attrs["helicone.session.id"] == attrs["gen_ai.conversation.id"] == "triage-42"
    assert attrs["session.id"] == "triage-42"
    assert attrs["helicone.session.path"] == "/triage"
    assert attrs["helicone.session.name"] == "Patient triage"
    assert attrs["helicone.user_id"] == attrs["user.id"] == "patient-7829"
    assert attrs["helicone.property.department"] == "cardiology"
    assert attrs["helicone.property.app"] == "triage-assistant"
    if stream:
        assert attrs["gen_ai.request.stream"] is True
        ttft = attrs["gen_ai.response.time_to_first_chunk"]
        assert isinstance(ttft, float) and ttft >= 0
    else:
        assert "gen_ai.request.stream" not in attrs
        assert attrs["gen_ai.request.max_tokens"] == 200
        assert attrs["gen_ai.request.temperature"] == 0.1
    assert "gen_ai.input.messages" not in attrs  # content capture is off by default
    assert "gen_ai.output.messages" not in attrs
    assert "SECRET" not in everything(span)


@pytest.fixture(autouse=True)
def _scripted(fake: FakeProvider) -> None:
    fake.script(
        "gpt-4o-mini",
        Reply(
            text="Diabetes is a chronic condition.",
            prompt_tokens=12,
            completion_tokens=5,
            cached_tokens=4,
        ),
    )


def test_sync_chat_span(make_client: Callable[..., helicone_lite.Client], traces: Traces) -> None:
    client = make_client(clock=lambda: 1_800_000_000.25)
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_tokens=200,
        temperature=0.1,
        extra_headers=SESSION,
    )
    span = traces.one(client)
    _assert_chat_span(span, stream=False)
    attrs = span.attributes or {}
    assert attrs["helicone.request_id"] == response.headers["Helicone-Id"]
    assert attrs["gen_ai.response.id"] == response.id
    # the call's own wall-clock start (the injected clock) and its measured latency
    assert span.start_time == 1_800_000_000_250_000_000
    assert span.end_time is not None and span.end_time > span.start_time


async def test_async_chat_span(aclient: helicone_lite.AsyncClient, traces: Traces) -> None:
    response = await aclient.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_tokens=200,
        temperature=0.1,
        extra_headers=SESSION,
    )
    span = traces.one(aclient)
    _assert_chat_span(span, stream=False)
    assert (span.attributes or {})["helicone.request_id"] == response.headers["Helicone-Id"]


def test_sync_stream_span(client: helicone_lite.Client, traces: Traces) -> None:
    stream = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=SESSION
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == "Diabetes is a chronic condition."
    _assert_chat_span(traces.one(client), stream=True)


async def test_async_stream_span(aclient: helicone_lite.AsyncClient, traces: Traces) -> None:
    stream = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=SESSION
    )
    pieces = [chunk.choices[0].delta.content or "" async for chunk in stream if chunk.choices]
    assert "".join(pieces) == "Diabetes is a chronic condition."
    _assert_chat_span(traces.one(aclient), stream=True)


def test_no_span_before_the_stream_ends(client: helicone_lite.Client, traces: Traces) -> None:
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert traces.spans(client) == []
    for _ in stream:
        pass
    assert len(traces.spans(client)) == 1


def test_embeddings_span(client: helicone_lite.Client, traces: Traces) -> None:
    client.embeddings.create(
        model="text-embedding-3-small",
        input="chest pain",
        dimensions=8,
        extra_headers={"Helicone-User-Id": "u-1"},
    )
    span = traces.one(client)
    attrs = span.attributes or {}
    assert span.name == "embeddings text-embedding-3-small"
    assert span.kind is SpanKind.CLIENT
    assert attrs["gen_ai.operation.name"] == "embeddings"
    assert attrs["gen_ai.embeddings.dimension.count"] == 8
    assert attrs["gen_ai.usage.input_tokens"] == 2
    assert "gen_ai.usage.output_tokens" not in attrs
    assert "gen_ai.response.finish_reasons" not in attrs
    assert attrs["user.id"] == "u-1"


def _assert_error_span(span: ReadableSpan) -> None:
    attrs = span.attributes or {}
    assert span.name == "chat gpt-4o-mini"
    assert span.status.status_code is StatusCode.ERROR
    assert "BadRequestError" in str(span.status.description)
    assert attrs["error.type"] == "BadRequestError"
    assert attrs["helicone.status"] == 400
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("error",)
    assert "gen_ai.usage.input_tokens" not in attrs
    assert "helicone.cost_usd" not in attrs  # unknown, not zero
    assert "SECRET" not in everything(span)


def test_sync_error_span(client: helicone_lite.Client, fake: FakeProvider, traces: Traces) -> None:
    fake.script("gpt-4o-mini", Fault(status=400, message=f"bad request from key {KEY}"))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    _assert_error_span(traces.one(client))


async def test_async_error_span(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Fault(status=400, message=f"bad request from key {KEY}"))
    with pytest.raises(openai.BadRequestError):
        await aclient.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    _assert_error_span(traces.one(aclient))


def test_stream_cut_midway_is_an_error(
    client: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Fault(cut_after=2, reply=Reply(text="a long answer " * 5)))
    with pytest.raises(openai.APIError):
        for _ in client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True
        ):
            pass
    span = traces.one(client)
    assert span.status.status_code is StatusCode.ERROR
    assert (span.attributes or {})["error.type"]
    assert tuple((span.attributes or {})["gen_ai.response.finish_reasons"]) == ("error",)


class _LogColumns:
    """A user interceptor standing in for inner layers: sets the log columns they set."""

    def handle(self, call: Call) -> Any:
        result: Result = yield Forward(call)
        result.log.update(cache_status="MISS", cache_bucket_idx=0, attempts=3, fallback_index=0)
        return result


def test_layer_columns_become_attributes(
    make_client: Callable[..., helicone_lite.Client], traces: Traces
) -> None:
    client = make_client(interceptors=[_LogColumns()])
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = traces.one(client).attributes or {}
    assert attrs["helicone.cache.status"] == "MISS"
    assert attrs["helicone.cache.bucket_idx"] == 0
    assert attrs["helicone.attempts"] == 3
    assert attrs["helicone.fallback_index"] == 0


def test_cache_layer_status(client: helicone_lite.Client, traces: Traces) -> None:
    from helicone_lite.pipeline._layers import LAYERS

    if "cache" not in {name for name, _ in LAYERS}:
        pytest.skip("the cache layer has not been merged into this branch")
    headers = {"Helicone-Cache-Enabled": "true"}
    for _ in range(2):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
        )
    miss, hit = (s.attributes or {} for s in traces.spans(client))
    assert miss["helicone.cache.status"] == "MISS"
    assert hit["helicone.cache.status"] == "HIT"
    assert hit["helicone.cost_usd"] == 0.0
    assert hit["helicone.cache.reference_id"] == miss["helicone.request_id"]


def test_prompt_attributes(client: helicone_lite.Client, traces: Traces) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={"Helicone-Prompt-Id": "triage-classifier-v1"},
    )
    attrs = next(s.attributes or {} for s in traces.spans(client))
    assert attrs["helicone.prompt.id"] == attrs["gen_ai.prompt.name"] == "triage-classifier-v1"


def test_request_parameters(client: helicone_lite.Client, traces: Traces) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_completion_tokens=64,
        top_p=0.5,
        frequency_penalty=0.25,
        presence_penalty=0.5,
        seed=7,
        stop=["END"],
        n=1,
        response_format={"type": "json_object"},
    )
    attrs = traces.one(client).attributes or {}
    assert attrs["gen_ai.request.max_tokens"] == 64
    assert attrs["gen_ai.request.top_p"] == 0.5
    assert attrs["gen_ai.request.frequency_penalty"] == 0.25
    assert attrs["gen_ai.request.presence_penalty"] == 0.5
    assert attrs["gen_ai.request.seed"] == 7
    assert tuple(attrs["gen_ai.request.stop_sequences"]) == ("END",)
    assert attrs["gen_ai.output.type"] == "json"
    assert "gen_ai.request.choice.count" not in attrs  # only when != 1


def test_tool_calls_finish_reason(
    client: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Reply(tool_calls=[ToolCall("lookup", {"code": "E11"})]))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    attrs = traces.one(client).attributes or {}
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("tool_calls",)
    assert "gen_ai.output.messages" not in attrs


def test_content_is_never_captured_by_default(client: helicone_lite.Client, traces: Traces) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "diabetes" not in everything(traces.one(client)).lower()


def test_one_span_per_call(client: helicone_lite.Client, traces: Traces) -> None:
    for _ in range(5):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    spans = traces.spans(client)
    assert len(spans) == 5
    assert len({(s.attributes or {})["helicone.request_id"] for s in spans}) == 5
    assert json.dumps(client._helicone_runtime.otel.stats()) == json.dumps(
        {"queued": 0, "handled": 5, "dropped": 0, "failed": 0}
    )
