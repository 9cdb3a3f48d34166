"""Claude through helicone_lite: the anthropic SDK on the wire, OpenAI's schema back.

Every test runs with the sync and the async client (the ``chat`` fixture), against the fake
provider over real HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

from .conftest import Chat, text_of, tool_calls_of

MODEL = "claude-sonnet-4-6"
PNG = "data:image/png;base64,iVBORw0KGgo="
WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def wire(chat: Chat) -> Any:
    [request] = [r for r in chat.fake.requests if r.inference]
    assert request.protocol == "anthropic" and request.path == "/v1/messages"
    return request.json


async def test_request_translation_golden(chat: Chat) -> None:
    await chat.create(
        model="claude-sonnet-4",  # an alias
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        ],
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=300,
        stop="END",
        user="patient-7",
        tools=[WEATHER_TOOL],
        tool_choice="required",
        parallel_tool_calls=False,
    )
    assert wire(chat) == {
        "model": "claude-sonnet-4-20250514",
        "max_tokens": 300,
        "system": [
            {"type": "text", "text": "Be brief."},
            {"type": "text", "text": "Answer in French."},
        ],
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": "Weather?"},
        ],
        "temperature": 0.2,
        "top_p": 0.9,
        "stop_sequences": ["END"],
        "metadata": {"user_id": "patient-7"},
        "tools": [
            {
                "name": "get_weather",
                "description": "Weather in a city",
                "input_schema": WEATHER_TOOL["function"]["parameters"],  # type: ignore[index]
            }
        ],
        "tool_choice": {"type": "any", "disable_parallel_tool_use": True},
    }


async def test_default_max_tokens_and_headers_reach_the_wire(chat: Chat) -> None:
    await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        extra_headers={"X-Trace": "t-1", "Helicone-User-Id": "u-1"},
    )
    request = chat.fake.last_request
    assert request.json["max_tokens"] == 4096  # the documented default
    assert request.headers["x-trace"] == "t-1"
    assert not any(h.startswith("helicone-") for h in request.headers)
    assert "sk-ant-test" in request.headers.get("x-api-key", "") + request.headers.get(
        "authorization", ""
    )


async def test_response_translation(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Paris.", prompt_tokens=20, completion_tokens=2))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Capital?"}])
    assert isinstance(r, ChatCompletion) and isinstance(r, helicone_lite.ChatCompletion)
    assert r.object == "chat.completion" and r.model == MODEL and r.id.startswith("msg_")
    choice = r.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == "Paris."
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert r.usage is not None
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (20, 2, 22)
    assert r.headers["request-id"].startswith("req_fake")  # the provider's reply headers
    assert "headers" not in r.model_dump()


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("length", "length"), ("content_filter", "content_filter"), ("stop", "stop")],
)
async def test_finish_reasons(chat: Chat, reason: str, expected: str) -> None:
    chat.fake.script(MODEL, Reply(text="x", finish_reason=reason))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert r.choices[0].finish_reason == expected


async def test_cached_tokens_counted_in_prompt_and_priced(chat: Chat) -> None:
    reply = Reply(text="ok", prompt_tokens=1000, cached_tokens=600, cache_creation_tokens=300)
    chat.fake.script(MODEL, reply)
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert r.usage.prompt_tokens == 1000  # 100 uncached + 600 read + 300 written
    assert r.usage.prompt_tokens_details.cached_tokens == 600
    assert r.usage.prompt_tokens_details.cache_write_tokens == 300
    [row] = chat.rows()
    assert (row["prompt_tokens"], row["cached_tokens"], row["cache_write_tokens"]) == (
        1000,
        600,
        300,
    )
    from genai_prices import Usage, calc_price

    expected = calc_price(
        Usage(input_tokens=1000, cache_read_tokens=600, cache_write_tokens=300, output_tokens=1),
        MODEL,
        provider_id="anthropic",
    ).total_price
    assert row["cost_usd"] == pytest.approx(float(expected))


async def test_streaming_text(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Hello there, friend", chunk_size=5))
    chunks = await chat.create(
        model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True
    )
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert text_of(chunks) == "Hello there, friend"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) == 4
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)  # usage not asked for: hidden


async def test_streaming_usage_chunk_when_asked(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Hi", prompt_tokens=7, completion_tokens=1))
    chunks = await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (7, 1)
    [row] = chat.rows()
    assert row["stream"] == 1 and row["prompt_tokens"] == 7 and row["completion_tokens"] == 1


async def test_streaming_tool_calls(chat: Chat) -> None:
    calls = [ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_weather", {"city": "Rome"})]
    chat.fake.script(MODEL, Reply(tool_calls=calls, chunk_size=4))
    chunks = await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    assembled = tool_calls_of(chunks)
    assert sorted(assembled) == [0, 1]
    assert [json.loads(assembled[i]["arguments"]) for i in (0, 1)] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    assert all(assembled[i]["name"] == "get_weather" and assembled[i]["id"] for i in (0, 1))
    argument_deltas = [
        d for c in chunks if c.choices for d in c.choices[0].delta.tool_calls or () if d.id is None
    ]
    assert len(argument_deltas) > 2  # the arguments arrived in pieces
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_tool_round_trip(chat: Chat) -> None:
    chat.fake.enqueue(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"}, id="toolu_1")]),
        Reply(text="Sunny in Paris."),
    )
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = await chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = first.choices[0].message.tool_calls
    assert call.id == "toolu_1" and json.loads(call.function.arguments) == {"city": "Paris"}
    messages.append(first.choices[0].message)  # the SDK object itself, as users do
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"sky": "sunny"}'})
    final = await chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert final.choices[0].message.content == "Sunny in Paris."
    sent = chat.fake.last_request.json["messages"]
    assert sent[1] == {
        "role": "assistant",
        "content": [
            {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
        ],
    }
    assert sent[2] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": '{"sky": "sunny"}'}
        ],
    }


async def test_images_by_url_and_base64(chat: Chat) -> None:
    content = [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "image_url", "image_url": {"url": PNG}},
    ]
    await chat.create(model=MODEL, messages=[{"role": "user", "content": content}])
    assert chat.fake.last_request.json["messages"][0]["content"] == [
        {"type": "text", "text": "Compare"},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
        {
            "type": "image",
            "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="},
        },
    ]


async def test_json_schema_mode(chat: Chat) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}
    chat.fake.script(MODEL, Reply(text='{"a": 1}'))
    r = await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "JSON please"}],
        response_format={"type": "json_schema", "json_schema": {"name": "A", "schema": schema}},
    )
    assert json.loads(r.choices[0].message.content) == {"a": 1}
    assert chat.fake.last_request.json["output_config"] == {
        "format": {"type": "json_schema", "schema": schema}
    }


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"seed": 7}, "seed"),
        ({"n": 2}, "n"),
        ({"logprobs": True}, "logprobs"),
        ({"presence_penalty": 0.5}, "presence_penalty"),
        ({"response_format": {"type": "json_object"}}, "response_format"),
        ({"temperature": 1.5}, "temperature"),
        ({"audio": {"voice": "alloy"}}, "audio"),
    ],
)
async def test_unsupported_parameters_fail_before_any_call(
    chat: Chat, params: dict[str, Any], option: str
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], **params)
    assert info.value.option == option and option in str(info.value)
    assert chat.fake.calls() == 0


async def test_unsupported_content_part_names_its_place(chat: Chat) -> None:
    part = {"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}
    with pytest.raises(helicone_lite.OptionsError, match=r"messages\[0\]\.content\[0\]\.type"):
        await chat.create(model=MODEL, messages=[{"role": "user", "content": [part]}])
    assert chat.fake.calls() == 0


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (529, openai.InternalServerError),
    ],
)
async def test_errors_become_openai_classes(
    chat: Chat, status: int, error: type[openai.APIStatusError]
) -> None:
    chat.fake.script(MODEL, Fault(status=status, message="nope", retry_after=2))
    with pytest.raises(error) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert info.value.status_code == status
    assert info.value.response.headers["retry-after"] == "2"
    assert "nope" in str(info.value)
    assert isinstance(info.value.__cause__, Exception)  # the anthropic error, kept as cause
    [row] = chat.rows()
    assert row["status"] == status and row["provider"] == "anthropic"


async def test_rate_limit_keeps_retry_after_ms(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(status=429, retry_after_ms=1500))
    with pytest.raises(openai.RateLimitError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert info.value.response.headers["retry-after-ms"] == "1500"


async def test_connection_error(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(reset=True))
    with pytest.raises(openai.APIConnectionError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert not isinstance(info.value, openai.APITimeoutError)
    assert chat.fake.calls() == 1  # the SDK's own retries are off


async def test_timeout(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(hang=30))
    with pytest.raises(openai.APITimeoutError):
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], timeout=0.05)


async def test_mid_stream_cut_raises_openai_error(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(cut_after=3, reply=Reply(text="a long answer " * 5)))
    with pytest.raises(openai.APIConnectionError):
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True)


async def test_logged_with_provider_model_tokens_and_cost(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Hi", prompt_tokens=100, completion_tokens=10))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    [row] = chat.rows()
    assert row["provider"] == "anthropic"
    assert row["model"] == MODEL and row["response_model"] == r.model
    assert (row["prompt_tokens"], row["completion_tokens"]) == (100, 10)
    assert row["cost_usd"] == pytest.approx(100 * 3e-6 + 10 * 15e-6)
    assert "sk-ant-test" not in json.dumps(row)


async def test_cache_control_on_parts_reaches_anthropic(chat: Chat) -> None:
    cached = {"type": "text", "text": "A long document.", "cache_control": {"type": "ephemeral"}}
    await chat.create(
        model=MODEL,
        messages=[{"role": "system", "content": [cached]}, {"role": "user", "content": "Sum up"}],
    )
    assert chat.fake.last_request.json["system"] == [cached]


async def test_embeddings_are_refused_for_claude(chat: Chat) -> None:
    with pytest.raises(helicone_lite.OptionsError, match="embeddings"):
        if chat.mode == "sync":
            chat.client.embeddings.create(model=MODEL, input="hi")
        else:
            await chat.client.embeddings.create(model=MODEL, input="hi")
    assert chat.fake.requests == []


async def test_retries_are_numbered_on_the_wire(
    mode: str, fake_provider: FakeProvider, home: Path
) -> None:
    """Retry k of a translated call carries ``x-stainless-retry-count: k``, as anthropic's
    SDK numbers its own retries (the SDK's own loop is off: the retry layer makes them)."""

    async def no_wait(_: float) -> None:
        return None

    chat = Chat(mode, fake_provider, home, max_retries=2, sleep=lambda _: None, async_sleep=no_wait)
    fake_provider.enqueue(Fault(status=500), Fault(status=529))
    await chat.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    await chat.close()
    sent = [r.headers.get("x-stainless-retry-count") for r in fake_provider.requests]
    assert sent == ["0", "1", "2"]
