"""Prompt and completion content: off by default, on with ``otel_capture_content=True``, in the
GenAI conventions' message format, and never for a side Helicone-Omit-* leaves out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Reply, ToolCall

from .conftest import KEY, Traces, everything

CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "You are a triage assistant."},
    {"role": "user", "content": [{"type": "text", "text": "Chest pain, what now?"}]},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "lookup", "arguments": '{"code": "R07"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "R07: chest pain"},
]


@pytest.fixture
def capturing(make_client: Callable[..., helicone_lite.Client]) -> helicone_lite.Client:
    return make_client(otel_capture_content=True)


def _attrs(traces: Traces, client: helicone_lite.Client) -> dict[str, Any]:
    return dict(traces.one(client).attributes or {})


def test_messages_in_the_conventions_format(
    capturing: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Reply(text="Go to the emergency room."))
    capturing.chat.completions.create(model="gpt-4o-mini", messages=CONVERSATION)
    attrs = _attrs(traces, capturing)
    assert json.loads(attrs["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "You are a triage assistant."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Chest pain, what now?"}]},
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "lookup",
                    "arguments": {"code": "R07"},
                }
            ],
        },
        {
            "role": "tool",
            "parts": [
                {"type": "tool_call_response", "id": "call_1", "response": "R07: chest pain"}
            ],
        },
    ]
    assert json.loads(attrs["gen_ai.output.messages"]) == [
        {
            "role": "assistant",
            "finish_reason": "stop",
            "parts": [{"type": "text", "content": "Go to the emergency room."}],
        }
    ]


def test_streamed_tool_calls_are_captured(
    capturing: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Reply(tool_calls=[ToolCall("lookup", {"code": "E11"}, id="c9")]))
    for _ in capturing.chat.completions.create(
        model="gpt-4o-mini", messages=CONVERSATION[:2], stream=True
    ):
        pass
    output = json.loads(_attrs(traces, capturing)["gen_ai.output.messages"])
    assert output == [
        {
            "role": "assistant",
            "finish_reason": "tool_calls",
            "parts": [
                {"type": "tool_call", "id": "c9", "name": "lookup", "arguments": {"code": "E11"}}
            ],
        }
    ]


async def test_async_capture(fake: FakeProvider, home: Any, traces: Traces) -> None:
    client = helicone_lite.AsyncClient(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        tracer_provider=traces.provider,
        otel_capture_content=True,
    )
    try:
        await client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}]
        )
    finally:
        await client.close()
    attrs = dict(traces.one(client).attributes or {})
    assert json.loads(attrs["gen_ai.input.messages"])[0]["parts"][0]["content"] == "hello"
    assert "echo: hello" in attrs["gen_ai.output.messages"]


def test_omit_request_keeps_the_prompt_out(capturing: helicone_lite.Client, traces: Traces) -> None:
    capturing.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "private symptoms"}],
        extra_headers={"Helicone-Omit-Request": "true"},
    )
    attrs = _attrs(traces, capturing)
    assert "gen_ai.input.messages" not in attrs
    assert "private symptoms" in attrs["gen_ai.output.messages"]  # the echo: response is kept
    assert attrs["gen_ai.usage.input_tokens"] == 2  # tokens and cost are still exported
    assert "helicone.cost_usd" in attrs


def test_omit_response_keeps_the_completion_out(
    capturing: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Reply(text="confidential diagnosis"))
    capturing.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello"}],
        extra_headers={"Helicone-Omit-Response": "true"},
    )
    span = traces.one(capturing)
    attrs = dict(span.attributes or {})
    assert "gen_ai.output.messages" not in attrs
    assert "confidential" not in everything(span)
    assert "hello" in attrs["gen_ai.input.messages"]
    assert tuple(attrs["gen_ai.response.finish_reasons"]) == ("stop",)  # metadata, not content


def test_omit_response_on_a_stream(
    capturing: helicone_lite.Client, fake: FakeProvider, traces: Traces
) -> None:
    fake.script("gpt-4o-mini", Reply(text="confidential diagnosis"))
    for _ in capturing.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "hello"}],
        stream=True,
        helicone={"omit_response": True},
    ):
        pass
    span = traces.one(capturing)
    assert "confidential" not in everything(span)
    assert "gen_ai.output.messages" not in (span.attributes or {})


def test_secrets_in_content_are_blanked(capturing: helicone_lite.Client, traces: Traces) -> None:
    capturing.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": f"my key is {KEY}"}]
    )
    text = everything(traces.one(capturing))
    assert "SECRET" not in text
    assert "[REDACTED]" in text


def test_environment_variable_turns_capture_on(
    make_client: Callable[..., helicone_lite.Client],
    traces: Traces,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    client = make_client()
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    assert "gen_ai.input.messages" in (traces.one(client).attributes or {})
