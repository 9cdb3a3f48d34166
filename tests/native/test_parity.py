"""The same README calls through the raw SDK client and helicone_lite's, on the same fake
provider, sync and async: equal answers (types and dumps), event sequences and errors."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

import anthropic
from google import genai
from pydantic import BaseModel

from helicone_lite.testing import Fault, Reply, ToolCall

from .conftest import Claude, Gem

MODEL = "claude-sonnet-4-6"
GEMINI = "gemini-2.5-flash"
HI = [{"role": "user", "content": "Hello there"}]
TOOLS = [{"name": "get_weather", "input_schema": {"type": "object"}}]
_VOLATILE = re.compile(r"req_fake\d+|127\.0\.0\.1:\d+")
#: fields that name the one request (ids, times) or carry its headers
_PER_REQUEST = {"id", "response_id", "create_time", "sdk_http_response"}


class Recipe(BaseModel):
    name: str


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def shape(value: Any) -> Any:
    """What a caller sees of ``value``, with per-request ids left out: the first SDK class
    (helicone_lite's subclasses are the SDK's), its JSON; an exception's class, status and
    message, body, request id and response status."""
    if isinstance(value, BaseException):
        sdk = [k for k in type(value).__mro__ if not k.__module__.startswith("helicone_lite")]
        seen = [sdk[0].__name__, str(value)]
        for name in ("status_code", "code", "status", "message", "body", "details", "request_id"):
            seen.append(repr(getattr(value, name, None)))
        seen.append(getattr(getattr(value, "response", None), "status_code", None))
        return json.loads(_VOLATILE.sub("x", json.dumps(seen)))
    if isinstance(value, BaseModel):
        dump = value.model_dump(mode="json", exclude=_PER_REQUEST)
        return [type(value).__name__, json.loads(_VOLATILE.sub("x", json.dumps(dump)))]
    if isinstance(value, list):
        return [shape(v) for v in value]
    return value


async def outcome(call: Callable[[], Awaitable[Any]]) -> Any:
    try:
        return shape(await call())
    except Exception as exc:
        return shape(exc)


def claude_calls(client: Any, fake: Any, sync: bool) -> dict[str, Callable[[], Awaitable[Any]]]:
    """README calls of ``anthropic.Anthropic`` / ``AsyncAnthropic``, each made awaitable."""

    async def done(value: Any) -> Any:
        return value if sync else await value

    async def events(stream: Any) -> list[str]:
        return [e.type for e in stream] if sync else [e.type async for e in stream]

    async def create() -> Any:
        return await done(client.messages.create(model=MODEL, max_tokens=50, messages=HI))

    async def streamed() -> Any:
        stream = await done(
            client.messages.create(model=MODEL, max_tokens=50, messages=HI, stream=True)
        )
        return await events(stream)

    async def helper() -> Any:
        manager = client.messages.stream(model=MODEL, max_tokens=50, messages=HI)
        if sync:
            with manager as stream:
                return [list(stream.text_stream), stream.get_final_message()]
        async with manager as astream:
            texts = [t async for t in astream.text_stream]
            return [texts, await astream.get_final_message()]

    async def raw() -> Any:
        response = await done(
            client.messages.with_raw_response.create(model=MODEL, max_tokens=50, messages=HI)
        )
        return [response.status_code, await done(response.parse())]

    async def parse() -> Any:
        fake.enqueue(Reply(text='{"name": "scones"}'))
        parsed = await done(
            client.messages.parse(model=MODEL, max_tokens=50, messages=HI, output_format=Recipe)
        )
        return parsed.parsed_output

    async def tool_use() -> Any:
        fake.enqueue(
            Reply(tool_calls=[ToolCall(name="get_weather", arguments={"c": 1}, id="toolu_1")])
        )
        return await done(
            client.messages.create(model=MODEL, max_tokens=50, messages=HI, tools=TOOLS)
        )

    async def count() -> Any:
        return await done(client.messages.count_tokens(model=MODEL, messages=HI))

    def failing(status: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            fake.enqueue(Fault(status=status))
            return await create()

        return call

    calls = {f.__name__: f for f in (create, streamed, helper, raw, parse, tool_use, count)}
    return calls | {f"error {s}": failing(s) for s in (400, 401, 404, 429, 500, 529)}


async def test_anthropic_answers_as_the_raw_sdk(claude: Claude) -> None:
    sync = claude.mode == "sync"
    options: dict[str, Any] = {"api_key": "k", "base_url": claude.fake.anthropic_base_url}
    raw_client = (anthropic.Anthropic if sync else anthropic.AsyncAnthropic)(
        max_retries=0, **options
    )
    ours = claude.client.with_options(max_retries=0)
    raw_calls = claude_calls(raw_client, claude.fake, sync)
    our_calls = claude_calls(ours, claude.fake, sync)
    for name, call in raw_calls.items():
        expected = await outcome(call)
        assert await outcome(our_calls[name]) == expected, name
    assert len(claude.rows()) == len(raw_calls)
    if sync:
        raw_client.close()
    else:
        await raw_client.close()


def gemini_calls(client: Any, fake: Any, sync: bool) -> dict[str, Callable[[], Awaitable[Any]]]:
    """README calls of ``genai.Client`` (``client.aio`` when async)."""
    api = client if sync else client.aio

    async def done(value: Any) -> Any:
        return value if sync else await value

    async def generate() -> Any:
        return await done(api.models.generate_content(model=GEMINI, contents="Why blue?"))

    async def configured() -> Any:
        config = {"system_instruction": "Be brief", "temperature": 0.1}
        return await done(api.models.generate_content(model=GEMINI, contents="Hi", config=config))

    async def schema() -> Any:
        fake.enqueue(Reply(text='{"name": "scones"}'))
        config = {"response_mime_type": "application/json", "response_schema": Recipe}
        reply = await done(api.models.generate_content(model=GEMINI, contents="Hi", config=config))
        return reply.parsed

    async def streamed() -> Any:
        stream = await done(api.models.generate_content_stream(model=GEMINI, contents="Tell me"))
        return [c.text for c in stream] if sync else [c.text async for c in stream]

    async def chat() -> Any:
        session = api.chats.create(model=GEMINI)
        first = await done(session.send_message("first"))
        second = await done(session.send_message("second"))
        return [first, second, len(session.get_history())]

    async def count() -> Any:
        return await done(api.models.count_tokens(model=GEMINI, contents="three words here"))

    async def embed() -> Any:
        return await done(api.models.embed_content(model="text-embedding-004", contents="Hi"))

    async def function_calling() -> Any:  # automatic: the SDK calls get_weather, then asks again
        fake.enqueue(Reply(tool_calls=[ToolCall(name="get_weather", arguments={"city": "Paris"})]))
        config = genai.types.GenerateContentConfig(tools=[get_weather])
        return await done(api.models.generate_content(model=GEMINI, contents="Hi", config=config))

    def failing(status: int) -> Callable[[], Awaitable[Any]]:
        async def call() -> Any:
            fake.enqueue(Fault(status=status))
            return await generate()

        return call

    made = (generate, configured, schema, streamed, chat, count, embed, function_calling)
    calls = {f.__name__: f for f in made}
    return calls | {f"error {s}": failing(s) for s in (400, 403, 429, 500, 503)}


async def test_gemini_answers_as_the_raw_sdk(gem: Gem) -> None:
    sync = gem.mode == "sync"
    raw_client = genai.Client(api_key="k", http_options={"base_url": gem.fake.gemini_base_url})
    raw_calls = gemini_calls(raw_client, gem.fake, sync)
    our_calls = gemini_calls(gem.client, gem.fake, sync)
    ours = 0
    for name, call in raw_calls.items():
        expected = await outcome(call)
        before = len(gem.fake.requests)
        assert await outcome(our_calls[name]) == expected, name
        ours += len(gem.fake.requests) - before
    # every request is a row: each generate_content (each hop of automatic function calling),
    # chat turn, count_tokens and embed_content
    assert len(gem.rows()) == ours > len(raw_calls)
