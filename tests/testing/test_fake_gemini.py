"""The Gemini protocol through the real google-genai SDK, over real HTTP."""

from __future__ import annotations

import pytest
from google import genai
from google.genai import types

from helicone_lite.testing import FakeProvider, Reply, ToolCall

WEATHER = ToolCall(name="get_weather", arguments={"city": "Paris"})


def test_default_reply(fake: FakeProvider, gemini: genai.Client) -> None:
    r = gemini.models.generate_content(
        model="gemini-2.0-flash",
        contents="What is diabetes?",
        config=types.GenerateContentConfig(system_instruction="Be brief."),
    )
    assert r.text == "echo: What is diabetes?"
    assert r.candidates is not None
    assert r.candidates[0].finish_reason == types.FinishReason.STOP
    assert r.model_version == "gemini-2.0-flash"
    usage = r.usage_metadata
    assert usage is not None
    assert usage.prompt_token_count == 2 + 3
    assert usage.candidates_token_count == 4
    assert usage.total_token_count == 9
    assert usage.cached_content_token_count is None  # omitted when zero, like the real API
    request = fake.last_request
    assert request.protocol == "gemini" and request.endpoint == "generateContent"
    assert request.model == "gemini-2.0-flash"
    assert request.headers["x-goog-api-key"] == "fake-key"


def test_scripted_usage_and_cached_tokens(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.script(
        "gemini-*",
        Reply(text="Hi", prompt_tokens=50, completion_tokens=7, cached_tokens=20),
    )
    r = gemini.models.generate_content(model="gemini-2.5-pro", contents="hello")
    usage = r.usage_metadata
    assert usage is not None
    assert (usage.prompt_token_count, usage.candidates_token_count) == (50, 7)
    assert usage.cached_content_token_count == 20 and usage.total_token_count == 57


@pytest.mark.parametrize(
    ("finish", "native"),
    [
        ("stop", types.FinishReason.STOP),
        ("length", types.FinishReason.MAX_TOKENS),
        ("content_filter", types.FinishReason.SAFETY),
        ("RECITATION", types.FinishReason.RECITATION),  # passed through
    ],
)
def test_finish_reason_mapping(
    fake: FakeProvider, gemini: genai.Client, finish: str, native: types.FinishReason
) -> None:
    fake.enqueue(Reply(text="x", finish_reason=finish))
    r = gemini.models.generate_content(model="gemini-2.0-flash", contents="hi")
    assert r.candidates is not None and r.candidates[0].finish_reason == native


def test_function_call(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.script("gemini-*", Reply(tool_calls=[WEATHER, ToolCall(name="noop", id="fc-1")]))
    r = gemini.models.generate_content(model="gemini-2.0-flash", contents="Weather?")
    assert r.function_calls is not None
    first, second = r.function_calls
    assert first.name == "get_weather" and first.args == {"city": "Paris"}
    assert first.id is None and second.id == "fc-1"
    assert r.candidates is not None
    assert r.candidates[0].finish_reason == types.FinishReason.STOP


def test_stream(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.script("gemini-*", Reply(text="Diabetes is a disease.", chunk_size=8))
    chunks = list(gemini.models.generate_content_stream(model="gemini-2.0-flash", contents="q"))
    assert [c.text for c in chunks] == ["Diabetes", " is a di", "sease."]
    assert chunks[-1].candidates is not None
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert all(c.candidates and c.candidates[0].finish_reason is None for c in chunks[:-1])
    final = chunks[-1].usage_metadata
    assert final is not None
    assert (final.prompt_token_count, final.candidates_token_count) == (1, 4)
    assert fake.last_request.query == {"alt": "sse"}
    assert fake.last_request.stream


def test_stream_with_function_call(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.script("gemini-*", Reply(text="Checking", tool_calls=[WEATHER], chunk_size=100))
    chunks = list(gemini.models.generate_content_stream(model="gemini-2.0-flash", contents="q"))
    assert len(chunks) == 2
    assert chunks[0].text == "Checking"
    assert chunks[1].function_calls is not None
    assert chunks[1].function_calls[0].args == {"city": "Paris"}


def test_wire_is_sse_with_crlf(fake: FakeProvider) -> None:
    import httpx2

    body = {"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}
    url = fake.gemini_base_url + "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
    sse = httpx2.post(url, params={"alt": "sse"}, json=body)
    assert sse.text.startswith("data: {") and sse.text.endswith("}\r\n\r\n")
    array = httpx2.post(url, json=body)  # without alt=sse: one JSON array
    assert isinstance(array.json(), list)
    assert array.json()[-1]["candidates"][0]["finishReason"] == "STOP"


def test_api_versions(fake: FakeProvider) -> None:
    for version in ("v1", "v1beta"):
        client = genai.Client(
            api_key="k",
            http_options=types.HttpOptions(base_url=fake.gemini_base_url, api_version=version),
        )
        assert client.models.generate_content(model="gemini-x", contents="hi").text == "echo: hi"
        assert fake.last_request.path == f"/{version}/models/gemini-x:generateContent"
        client.close()


def test_embeddings(gemini: genai.Client) -> None:
    r = gemini.models.embed_content(
        model="text-embedding-004",
        contents=["alpha", "beta"],
        config=types.EmbedContentConfig(output_dimensionality=8),
    )
    assert r.embeddings is not None
    first, second = r.embeddings
    assert first.values is not None and second.values is not None
    assert len(first.values) == 8 and first.values != second.values


def test_count_tokens(gemini: genai.Client) -> None:
    counted = gemini.models.count_tokens(model="gemini-x", contents="one two three")
    assert counted.total_tokens == 3


async def test_async_stream(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.script("gemini-*", Reply(text="async gemini", chunk_size=5))
    stream = await gemini.aio.models.generate_content_stream(model="gemini-x", contents="q")
    chunks = [c async for c in stream]
    await gemini.aio.aclose()
    assert "".join(c.text or "" for c in chunks) == "async gemini"
