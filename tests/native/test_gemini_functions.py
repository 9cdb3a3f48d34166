"""``helicone_lite.Gemini``: automatic function calling (one row per request the SDK sends,
cached by the functions' declarations) and ``embed_content`` (logged as an endpoint call)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from google.genai import errors, types

from helicone_lite.testing import Fault, Reply, ToolCall

from .conftest import Gem, helicone_on_wire

MODEL = "gemini-2.5-flash"
EMBED = "text-embedding-004"
OPTIONS = {"user_id": "u-1", "session_id": "s-1", "session_path": "/w", "properties": {"f": "x"}}


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def _call_then_answer(gem: Gem) -> None:
    """The model asks for get_weather (11 + 3 tokens), then answers (30 + 2 tokens)."""
    call = ToolCall(name="get_weather", arguments={"city": "Paris"})
    gem.fake.enqueue(
        Reply(tool_calls=[call], prompt_tokens=11, completion_tokens=3),
        Reply(text="Sunny.", prompt_tokens=30, completion_tokens=2),
    )


def _tokens(rows: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(r["prompt_tokens"], r["completion_tokens"]) for r in rows]


async def test_each_request_of_automatic_function_calling_is_a_row(gem: Gem) -> None:
    _call_then_answer(gem)
    config = types.GenerateContentConfig(tools=[get_weather])
    response = await gem.generate(model=MODEL, contents="Weather?", config=config, helicone=OPTIONS)
    assert response.text == "Sunny."
    assert len(response.automatic_function_calling_history or []) == 3  # the SDK's, kept
    rows = gem.rows()
    assert len(rows) == len(gem.fake.requests) == 2
    assert _tokens(rows) == [(11, 3), (30, 2)]
    assert all(r["cost_usd"] > 0 and r["status"] == 200 for r in rows)
    for row in rows:  # every hop carries the call's options
        assert (row["user_id"], row["session_id"], row["session_path"]) == ("u-1", "s-1", "/w")
        assert json.loads(row["properties"]) == {"f": "x"}
    first, second = (json.loads(r["request_body"]) for r in rows)
    # the function as the SDK declares it, not a Python object
    [declared] = first["config"]["tools"][0]["function_declarations"]
    assert declared["name"] == "get_weather" and "city" in json.dumps(declared)
    assert first["contents"] == "Weather?"  # not the list the SDK grew for the next request
    assert "sunny in Paris" in json.dumps(second["contents"])  # the function's result
    assert helicone_on_wire(gem.fake) == []


async def test_streamed_function_calling_is_a_row_per_request(gem: Gem) -> None:
    _call_then_answer(gem)
    config = {"tools": [get_weather], "http_options": {"headers": {"Helicone-User-Id": "u-2"}}}
    chunks = await gem.stream(model=MODEL, contents="Weather?", config=config)
    assert "".join(c.text or "" for c in chunks) == "Sunny."
    rows = gem.rows()
    assert len(rows) == len(gem.fake.requests) == 2
    assert _tokens(rows) == [(11, 3), (30, 2)]
    assert [r["user_id"] for r in rows] == ["u-2", "u-2"]
    assert helicone_on_wire(gem.fake) == []


async def test_function_calling_is_cached_by_declaration_silently(
    gem: Gem, caplog: pytest.LogCaptureFixture
) -> None:
    cached = {"cache_enabled": True}
    config = types.GenerateContentConfig(tools=[get_weather])
    _call_then_answer(gem)
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(2):
            answer = await gem.generate(
                model=MODEL, contents="Weather?", config=config, helicone=cached
            )
            assert answer.text == "Sunny."
    assert not [r for r in caplog.records if "not cached" in r.getMessage()]
    assert len(gem.fake.requests) == 2  # the second call: both requests answered by the cache
    assert [r["cache_status"] for r in gem.rows()] == ["MISS", "MISS", "HIT", "HIT"]

    def get_weather_v2(city: str, unit: str) -> str:  # another declaration: another key
        """The weather in a city."""
        return f"sunny in {city} ({unit})"

    get_weather_v2.__name__ = "get_weather"
    gem.fake.enqueue(Reply(text="Warm."))
    config = types.GenerateContentConfig(tools=[get_weather_v2])
    answer = await gem.generate(model=MODEL, contents="Weather?", config=config, helicone=cached)
    assert answer.text == "Warm." and len(gem.fake.requests) == 3


async def test_embed_content_is_logged(gem: Gem) -> None:
    config = {"output_dimensionality": 8, "http_options": {"headers": {"Helicone-User-Id": "u-9"}}}
    if gem.mode == "sync":
        embedded = gem.client.models.embed_content(
            model=EMBED, contents="Hi", config=config, helicone={"properties": {"f": "x"}}
        )
    else:
        embedded = await gem.client.aio.models.embed_content(
            model=EMBED, contents="Hi", config=config, helicone={"properties": {"f": "x"}}
        )
    assert isinstance(embedded, types.EmbedContentResponse)
    assert len(embedded.embeddings[0].values or []) == 8  # type: ignore[index]
    [row] = gem.rows()
    assert (row["kind"], row["model"], row["status"]) == ("gemini.embed_content", EMBED, 200)
    assert row["user_id"] == "u-9" and json.loads(row["properties"]) == {"f": "x"}
    assert row["latency_ms"] is not None
    assert helicone_on_wire(gem.fake) == []


async def test_embed_content_error_is_the_sdks_and_logged(gem: Gem) -> None:
    gem.fake.enqueue(Fault(status=400))
    with pytest.raises(errors.ClientError) as caught:
        if gem.mode == "sync":
            gem.client.models.embed_content(model=EMBED, contents="Hi")
        else:
            await gem.client.aio.models.embed_content(model=EMBED, contents="Hi")
    assert caught.value.code == 400
    [row] = gem.rows()
    assert (row["kind"], row["status"]) == ("gemini.embed_content", 400)


async def test_a_chat_turn_with_functions_is_a_row_per_request(gem: Gem) -> None:
    _call_then_answer(gem)
    api = gem.client if gem.mode == "sync" else gem.client.aio
    chat = api.chats.create(model=MODEL, config=types.GenerateContentConfig(tools=[get_weather]))
    sent = chat.send_message("Weather?")
    answer = sent if gem.mode == "sync" else await sent
    assert answer.text == "Sunny."
    assert len(chat.get_history()) == 4  # the SDK's: question, call, result, answer
    assert _tokens(gem.rows()) == [(11, 3), (30, 2)] and len(gem.fake.requests) == 2


async def test_a_failing_second_request_is_the_sdks_error_and_its_own_row(gem: Gem) -> None:
    call = ToolCall(name="get_weather", arguments={"city": "Paris"})
    gem.fake.enqueue(Reply(tool_calls=[call], prompt_tokens=11, completion_tokens=3))
    gem.fake.enqueue(Fault(status=400))
    config = types.GenerateContentConfig(tools=[get_weather])
    with pytest.raises(errors.ClientError) as caught:
        await gem.generate(model=MODEL, contents="Weather?", config=config)
    assert caught.value.code == 400
    assert [(r["status"], r["prompt_tokens"]) for r in gem.rows()] == [(200, 11), (400, None)]


async def test_a_prompt_renders_into_every_request(gem: Gem) -> None:
    gem.client.prompts.create(
        "weather", messages=[{"role": "user", "content": "Answer for {{hc:town:string}}."}]
    )
    _call_then_answer(gem)
    config = types.GenerateContentConfig(tools=[get_weather])
    options = {"prompt_id": "weather", "prompt_inputs": {"town": "Lyon"}}
    answer = await gem.generate(model=MODEL, contents="Weather?", config=config, helicone=options)
    assert answer.text == "Sunny."
    wire = [r.json for r in gem.fake.requests]
    assert len(wire) == 2 and len(gem.rows()) == 2
    for body in wire:
        assert body["contents"][0]["parts"] == [{"text": "Answer for Lyon."}]
        assert body["tools"][0]["functionDeclarations"][0]["name"] == "get_weather"
    assert "sunny in Paris" in json.dumps(wire[1]["contents"])
