"""The OpenAI protocol through the real openai SDK (sync and async), over real HTTP."""

from __future__ import annotations

import json

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from helicone_lite.testing import FakeProvider, Reply, ToolCall, estimate_tokens

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is diabetes?"}]
WEATHER = ToolCall(name="get_weather", arguments={"city": "Paris", "unit": "celsius"})


def test_default_reply_echoes_the_last_user_message(oai: openai.OpenAI) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "You are a nurse."},
        {"role": "user", "content": "Hello"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": [{"type": "text", "text": "What is diabetes?"}]},
    ]
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=messages)
    assert r.choices[0].message.content == "echo: What is diabetes?"
    assert r.choices[0].finish_reason == "stop"
    assert r.model == "gpt-4o-mini"
    assert r.object == "chat.completion"
    assert r.usage is not None
    assert r.usage.prompt_tokens == 4 + 1 + 1 + 3  # every message's words
    assert r.usage.completion_tokens == estimate_tokens("echo: What is diabetes?") == 4
    assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens


def test_scripted_reply_and_usage(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script(
        "gpt-4o-mini",
        Reply(text="Diabetes is ...", prompt_tokens=12, completion_tokens=30, cached_tokens=5),
    )
    r = oai.chat.completions.create(model="gpt-4o-mini", messages=USER)
    assert r.choices[0].message.content == "Diabetes is ..."
    assert r.usage is not None
    assert (r.usage.prompt_tokens, r.usage.completion_tokens, r.usage.total_tokens) == (12, 30, 42)
    assert r.usage.prompt_tokens_details is not None
    assert r.usage.prompt_tokens_details.cached_tokens == 5


def test_response_headers(oai: openai.OpenAI) -> None:
    raw = oai.chat.completions.with_raw_response.create(model="gpt-4o", messages=USER)
    assert raw.headers["x-request-id"].startswith("req_")
    assert raw.headers["x-ratelimit-limit-requests"] == "10000"
    assert raw.headers["x-ratelimit-remaining-tokens"]
    assert raw.request_id == raw.headers["x-request-id"]
    assert raw.parse().choices[0].message.content == "echo: What is diabetes?"


def test_model_override_and_finish_reason(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Reply(text="cut", model="gpt-4o-2024-08-06", finish_reason="length"))
    r = oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert r.model == "gpt-4o-2024-08-06"
    assert r.choices[0].finish_reason == "length"


def test_stream_with_usage(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o-mini", Reply(text="Diabetes is a disease.", chunk_size=5, cached_tokens=2))
    stream = oai.chat.completions.create(
        model="gpt-4o-mini",
        messages=USER,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Diabetes is a disease."
    pieces = [
        c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content
    ]
    assert pieces == ["Diabe", "tes i", "s a d", "iseas", "e."]
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    last = chunks[-1]
    assert last.choices == [] and last.usage is not None
    assert last.usage.prompt_tokens == 3 and last.usage.completion_tokens == 4
    assert last.usage.prompt_tokens_details is not None
    assert last.usage.prompt_tokens_details.cached_tokens == 2
    assert all(c.usage is None for c in chunks[:-1])
    assert len({c.id for c in chunks}) == 1


def test_stream_without_include_usage_sends_no_usage_chunk(oai: openai.OpenAI) -> None:
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def test_tool_calls(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Reply(tool_calls=[WEATHER, ToolCall(name="noop", id="call_mine")]))
    r = oai.chat.completions.create(model="gpt-4o", messages=USER)
    message = r.choices[0].message
    assert r.choices[0].finish_reason == "tool_calls"
    assert message.content is None
    assert message.tool_calls is not None
    first, second = message.tool_calls
    assert first.type == "function" and second.type == "function"
    assert first.function.name == "get_weather"
    assert json.loads(first.function.arguments) == {"city": "Paris", "unit": "celsius"}
    assert first.id.startswith("call_") and second.id == "call_mine"
    assert json.loads(second.function.arguments) == {}


def test_streamed_tool_call_arguments_reassemble(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Reply(text="Let me check.", tool_calls=[WEATHER], chunk_size=4))
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        for delta in chunk.choices[0].delta.tool_calls or []:
            call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
            call["id"] += delta.id or ""
            assert delta.function is not None
            call["name"] += delta.function.name or ""
            call["arguments"] += delta.function.arguments or ""
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    assert json.loads(calls[0]["arguments"]) == {"city": "Paris", "unit": "celsius"}
    fragments = sum(len(c.choices[0].delta.tool_calls or []) for c in chunks)
    assert fragments > 3  # the arguments arrived in pieces
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Let me check."
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_sdk_stream_helper_accumulates(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Reply(text="Hi there", tool_calls=[WEATHER]))
    with oai.chat.completions.stream(model="gpt-4o", messages=USER) as stream:
        for _ in stream:
            pass
        final = stream.get_final_completion()
    message = final.choices[0].message
    assert message.content == "Hi there"
    assert message.tool_calls is not None
    assert json.loads(message.tool_calls[0].function.arguments)["city"] == "Paris"


def test_paths_without_v1(fake: FakeProvider) -> None:
    with openai.OpenAI(base_url=fake.url, api_key="k", max_retries=0) as client:
        r = client.chat.completions.create(model="gpt-4o", messages=USER)
    assert r.choices[0].message.content == "echo: What is diabetes?"
    assert fake.last_request.path == "/chat/completions"


def test_embeddings_float_and_base64_agree(oai: openai.OpenAI) -> None:
    as_float = oai.embeddings.create(
        model="text-embedding-3-small", input=["hello world", "x"], encoding_format="float"
    )
    default = oai.embeddings.create(model="text-embedding-3-small", input=["hello world", "x"])
    assert [d.embedding for d in as_float.data] == [d.embedding for d in default.data]
    first, second = as_float.data
    assert len(first.embedding) == 16 and first.embedding != second.embedding
    assert abs(sum(v * v for v in first.embedding) - 1.0) < 1e-5
    assert as_float.usage.prompt_tokens == 3 and as_float.usage.total_tokens == 3
    again = oai.embeddings.create(model="text-embedding-3-small", input="hello world")
    assert again.data[0].embedding == first.embedding
    sized = oai.embeddings.create(model="text-embedding-3-small", input="a", dimensions=64)
    assert len(sized.data[0].embedding) == 64


def test_models(oai: openai.OpenAI) -> None:
    assert "gpt-4o-mini" in [m.id for m in oai.models.list()]
    model = oai.models.retrieve("ft:gpt-4o-mini:acme::abc123")
    assert model.id == "ft:gpt-4o-mini:acme::abc123" and model.object == "model"


def test_missing_messages_is_a_bad_request(oai: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=None)  # type: ignore[call-overload]
    assert info.value.status_code == 400
    assert info.value.type == "invalid_request_error"


async def test_async_client(fake: FakeProvider) -> None:
    fake.script("gpt-4o", Reply(text="async works", chunk_size=3))
    async with openai.AsyncOpenAI(
        base_url=fake.openai_base_url, api_key="k", max_retries=0
    ) as client:
        r = await client.chat.completions.create(model="gpt-4o", messages=USER)
        stream = await client.chat.completions.create(
            model="gpt-4o",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
        text = ""
        usage = None
        async for chunk in stream:
            text += "".join(c.delta.content or "" for c in chunk.choices)
            usage = chunk.usage or usage
    assert r.choices[0].message.content == "async works"
    assert text == "async works"
    assert usage is not None and usage.completion_tokens == 2


def test_responses_structured_output_unscripted_is_valid_json() -> None:
    from pydantic import BaseModel

    from helicone_lite.testing import FakeProvider

    class Shape(BaseModel):
        name: str
        sides: int
        tags: list[str]

    with FakeProvider() as fake:
        sdk = openai.OpenAI(api_key="sk-fake", base_url=fake.openai_base_url, max_retries=0)
        parsed = sdk.responses.parse(model="gpt-4o", input="a square", text_format=Shape)
    assert parsed.output_parsed == Shape(name="echo: a square", sides=0, tags=[])


def test_chat_structured_output_unscripted_parses_nested_and_optional_fields() -> None:
    from typing import Literal

    from pydantic import BaseModel

    from helicone_lite.testing import FakeProvider, Reply

    class Point(BaseModel):
        x: float
        label: str | None

    class Shape(BaseModel):
        kind: Literal["square", "circle"]
        corners: list[Point]
        centre: Point
        closed: bool

    question = [{"role": "user", "content": "a square"}]
    with FakeProvider() as fake:
        sdk = openai.OpenAI(api_key="sk-fake", base_url=fake.openai_base_url, max_retries=0)
        parsed = sdk.chat.completions.parse(
            model="gpt-4o",
            messages=question,
            response_format=Shape,  # type: ignore[arg-type]
        )
        fake.script(
            "gpt-4o",
            Reply(
                text='{"kind": "circle", "corners": [], '
                '"centre": {"x": 1, "label": "c"}, "closed": true}'
            ),
            times=1,
        )
        scripted = sdk.chat.completions.parse(
            model="gpt-4o",
            messages=question,
            response_format=Shape,  # type: ignore[arg-type]
        )
        plain = sdk.chat.completions.create(model="gpt-4o", messages=question)  # type: ignore[arg-type]
    assert parsed.choices[0].message.parsed == Shape(
        kind="square", corners=[], centre=Point(x=0, label="echo: a square"), closed=False
    )
    assert scripted.choices[0].message.parsed is not None
    assert scripted.choices[0].message.parsed.kind == "circle"  # a script wins
    assert plain.choices[0].message.content == "echo: a square"  # no format: the echo
