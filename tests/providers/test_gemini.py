"""Gemini through helicone_lite: google-genai on the wire, OpenAI's schema back.

Every test runs with the sync and the async client (the ``chat`` fixture), against the fake
provider over real HTTP.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

import helicone_lite
from helicone_lite.testing import Fault, Reply, ToolCall

from .conftest import Chat, text_of, tool_calls_of

MODEL = "gemini-2.5-flash"
PNG_B64 = "iVBORw0KGgo="
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
    assert request.protocol == "gemini"
    assert request.path.endswith(f"/models/{MODEL}:generateContent")
    return request.json


async def test_request_translation_golden(chat: Chat) -> None:
    await chat.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Answer in French."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Bonjour"},
            {"role": "user", "content": [{"type": "text", "text": "Weather?"}]},
        ],
        temperature=0.2,
        top_p=0.9,
        max_tokens=300,
        stop=["END", "STOP"],
        seed=11,
        presence_penalty=0.1,
        frequency_penalty=0.2,
        user="patient-7",  # no Gemini field: kept in the log only
        tools=[WEATHER_TOOL],
        tool_choice={"type": "function", "function": {"name": "get_weather"}},
    )
    assert wire(chat) == {
        "contents": [
            {"role": "user", "parts": [{"text": "Hi"}]},
            {"role": "model", "parts": [{"text": "Bonjour"}]},
            {"role": "user", "parts": [{"text": "Weather?"}]},
        ],
        "systemInstruction": {"parts": [{"text": "Be brief."}, {"text": "Answer in French."}]},
        "tools": [
            {
                "functionDeclarations": [
                    {
                        "name": "get_weather",
                        "description": "Weather in a city",
                        "parameters_json_schema": WEATHER_TOOL["function"]["parameters"],  # type: ignore[index]
                    }
                ]
            }
        ],
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": ["get_weather"]}
        },
        "generationConfig": {
            "temperature": 0.2,
            "topP": 0.9,
            "maxOutputTokens": 300,
            "stopSequences": ["END", "STOP"],
            "seed": 11,
            "presencePenalty": 0.1,
            "frequencyPenalty": 0.2,
        },
    }
    [row] = chat.rows()
    assert row["user_id"] == "patient-7"


async def test_headers_and_key_reach_the_wire(chat: Chat) -> None:
    await chat.create(
        model=MODEL, messages=[{"role": "user", "content": "Hi"}], extra_headers={"X-Trace": "t-1"}
    )
    request = chat.fake.last_request
    assert request.headers["x-trace"] == "t-1"
    assert request.headers["x-goog-api-key"] == "gemini-test-key"


async def test_response_translation(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Paris.", prompt_tokens=20, completion_tokens=2))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Capital?"}])
    assert isinstance(r, ChatCompletion) and isinstance(r, helicone_lite.ChatCompletion)
    assert r.object == "chat.completion" and r.model == MODEL and r.id
    choice = r.choices[0]
    assert choice.message.role == "assistant" and choice.message.content == "Paris."
    assert choice.finish_reason == "stop" and choice.message.tool_calls is None
    assert r.usage is not None
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (20, 2, 22)
    assert r.headers["x-goog-request-id"].startswith("fake")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [("length", "length"), ("content_filter", "content_filter"), ("RECITATION", "content_filter")],
)
async def test_finish_reasons(chat: Chat, reason: str, expected: str) -> None:
    chat.fake.script(MODEL, Reply(text="x", finish_reason=reason))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert r.choices[0].finish_reason == expected


async def test_cached_content_tokens(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="ok", prompt_tokens=1000, cached_tokens=600))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert r.usage.prompt_tokens == 1000 and r.usage.prompt_tokens_details.cached_tokens == 600
    [row] = chat.rows()
    assert (row["prompt_tokens"], row["cached_tokens"]) == (1000, 600)
    from genai_prices import Usage, calc_price

    expected = calc_price(
        Usage(input_tokens=1000, cache_read_tokens=600, output_tokens=1),
        MODEL,
        provider_id="google",
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
    assert all(c.usage is None for c in chunks)


async def test_streaming_usage_chunk_when_asked(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Hi", prompt_tokens=7, completion_tokens=1))
    chunks = await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Hi"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    last = chunks[-1]
    assert last.choices == [] and (last.usage.prompt_tokens, last.usage.completion_tokens) == (7, 1)
    [row] = chat.rows()
    assert row["stream"] == 1 and (row["prompt_tokens"], row["completion_tokens"]) == (7, 1)
    assert row["cost_usd"] is not None


async def test_streaming_tool_calls(chat: Chat) -> None:
    calls = [ToolCall("get_weather", {"city": "Paris"}), ToolCall("get_weather", {"city": "Rome"})]
    chat.fake.script(MODEL, Reply(tool_calls=calls))
    chunks = await chat.create(
        model=MODEL,
        messages=[{"role": "user", "content": "Weather?"}],
        tools=[WEATHER_TOOL],
        stream=True,
    )
    assembled = tool_calls_of(chunks)
    assert [json.loads(assembled[i]["arguments"]) for i in (0, 1)] == [
        {"city": "Paris"},
        {"city": "Rome"},
    ]
    assert assembled[0]["id"] != assembled[1]["id"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_tool_round_trip(chat: Chat) -> None:
    chat.fake.enqueue(
        Reply(tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
        Reply(text="Sunny in Paris."),
    )
    messages: list[Any] = [{"role": "user", "content": "Weather in Paris?"}]
    first = await chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = first.choices[0].message.tool_calls
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    messages.append(first.choices[0].message)
    messages.append({"role": "tool", "tool_call_id": call.id, "content": '{"sky": "sunny"}'})
    final = await chat.create(model=MODEL, messages=messages, tools=[WEATHER_TOOL])
    assert final.choices[0].message.content == "Sunny in Paris."
    contents = chat.fake.last_request.json["contents"]
    assert contents[1]["role"] == "model"
    assert contents[1]["parts"][0]["functionCall"] == {
        "name": "get_weather",
        "args": {"city": "Paris"},
    }
    assert contents[2] == {
        "role": "user",
        "parts": [{"functionResponse": {"name": "get_weather", "response": {"sky": "sunny"}}}],
    }


async def test_thought_signature_survives_the_round_trip(chat: Chat) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'},
        "extra_content": {"google": {"thought_signature": base64.b64encode(b"sig").decode()}},
    }
    await chat.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": "Weather?"},
            {"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "call_1", "content": "snow"},
        ],
    )
    contents = chat.fake.last_request.json["contents"]
    assert contents[1]["parts"][0]["thoughtSignature"] == base64.b64encode(b"sig").decode()
    assert contents[1]["parts"][0]["functionCall"]["id"] == "call_1"
    assert contents[2]["parts"][0]["functionResponse"] == {
        "name": "get_weather",
        "id": "call_1",
        "response": {"output": "snow"},
    }


async def test_images_by_url_and_base64(chat: Chat) -> None:
    content = [
        {"type": "text", "text": "Compare"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
    ]
    await chat.create(model=MODEL, messages=[{"role": "user", "content": content}])
    parts = chat.fake.last_request.json["contents"][0]["parts"]
    assert parts[0] == {"text": "Compare"}
    assert parts[1]["fileData"] == {
        "file_uri": "https://example.com/a.png",
        "mime_type": "image/png",
    }
    assert parts[2]["inlineData"] == {"data": PNG_B64, "mime_type": "image/png"}


@pytest.mark.parametrize(
    ("response_format", "expected"),
    [
        ({"type": "json_object"}, {"responseMimeType": "application/json"}),
        (
            {"type": "json_schema", "json_schema": {"name": "A", "schema": {"type": "object"}}},
            {"responseMimeType": "application/json", "responseJsonSchema": {"type": "object"}},
        ),
    ],
)
async def test_json_modes(
    chat: Chat, response_format: dict[str, Any], expected: dict[str, Any]
) -> None:
    chat.fake.script(MODEL, Reply(text='{"a": 1}'))
    r = await chat.create(
        model=MODEL, messages=[{"role": "user", "content": "JSON"}], response_format=response_format
    )
    assert json.loads(r.choices[0].message.content) == {"a": 1}
    assert chat.fake.last_request.json["generationConfig"] == expected


async def test_n_is_sent_as_candidate_count(chat: Chat) -> None:
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], n=2)
    assert r.choices[0].message.content == "echo: Hi"
    assert chat.fake.last_request.json["generationConfig"] == {"candidateCount": 2}


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"logprobs": True}, "logprobs"),
        ({"parallel_tool_calls": False}, "parallel_tool_calls"),
        ({"reasoning_effort": "low"}, "reasoning_effort"),
        ({"logit_bias": {"1": 2}}, "logit_bias"),
        ({"audio": {"voice": "alloy"}}, "audio"),
    ],
)
async def test_unsupported_parameters_fail_before_any_call(
    chat: Chat, params: dict[str, Any], option: str
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], **params)
    assert info.value.option == option
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
        (503, openai.InternalServerError),
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
    assert chat.fake.calls() == 1  # the SDK's own retries are off
    [row] = chat.rows()
    assert row["status"] == status and row["provider"] == "gemini"


async def test_stream_error_surfaces_before_the_stream(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(status=429, retry_after_ms=1500))
    with pytest.raises(openai.RateLimitError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], stream=True)
    assert info.value.response.headers["retry-after-ms"] == "1500"


async def test_connection_error(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(reset=True))
    with pytest.raises(openai.APIConnectionError) as info:
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert not isinstance(info.value, openai.APITimeoutError)
    assert chat.fake.calls() == 1


async def test_timeout(chat: Chat) -> None:
    chat.fake.script(MODEL, Fault(hang=30))
    with pytest.raises(openai.APITimeoutError):
        await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}], timeout=0.05)


async def test_logged_with_provider_model_tokens_and_cost(chat: Chat) -> None:
    chat.fake.script(MODEL, Reply(text="Hi", prompt_tokens=1000, completion_tokens=100))
    r = await chat.create(model=MODEL, messages=[{"role": "user", "content": "Hi"}])
    [row] = chat.rows()
    assert row["provider"] == "gemini"
    assert row["model"] == MODEL and row["response_model"] == r.model
    assert (row["prompt_tokens"], row["completion_tokens"]) == (1000, 100)
    assert row["cost_usd"] == pytest.approx(1000 * 0.3e-6 + 100 * 2.5e-6)
    assert "gemini-test-key" not in json.dumps(row)


@pytest.mark.parametrize(
    ("messages", "extra", "option"),
    [
        (
            [
                {
                    "role": "system",
                    "content": [
                        {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
                    ],
                },
                {"role": "user", "content": "Hi"},
            ],
            {},
            "messages[0].content[0].cache_control",
        ),
        ([{"role": "user", "content": "Hi", "name": "ann"}], {}, "messages[0].name"),
        (
            [{"role": "tool", "tool_call_id": "nope", "content": "x"}],
            {},
            "messages[0].tool_call_id",
        ),
        (HI := [{"role": "user", "content": "Hi"}], {"extra_query": {"a": "1"}}, "extra_query"),
    ],
)
async def test_nothing_is_dropped_silently(
    chat: Chat, messages: list[Any], extra: dict[str, Any], option: str
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        await chat.create(model=MODEL, messages=messages, **extra)
    assert info.value.option == option
    assert chat.fake.requests == []
