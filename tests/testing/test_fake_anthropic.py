"""The Anthropic Messages protocol through the real anthropic SDK, over real HTTP."""

from __future__ import annotations

import anthropic
from anthropic.types import MessageParam

from helicone_lite.testing import FakeProvider, Reply, ToolCall

USER: list[MessageParam] = [{"role": "user", "content": "What is diabetes?"}]
WEATHER = ToolCall(name="get_weather", arguments={"city": "Paris"})


def test_default_reply(claude: anthropic.Anthropic) -> None:
    m = claude.messages.create(
        model="claude-sonnet-4", max_tokens=100, system="Be brief.", messages=USER
    )
    assert m.type == "message" and m.role == "assistant"
    assert m.content[0].type == "text"
    assert m.content[0].text == "echo: What is diabetes?"
    assert m.stop_reason == "end_turn"
    assert m.model == "claude-sonnet-4"
    assert m.usage.input_tokens == 2 + 3  # system prompt + message
    assert m.usage.output_tokens == 4
    assert m.usage.cache_read_input_tokens == 0
    assert m.usage.cache_creation_input_tokens == 0


def test_cache_usage_follows_anthropic_semantics(
    fake: FakeProvider, claude: anthropic.Anthropic
) -> None:
    # prompt_tokens is the whole input; Anthropic's input_tokens excludes cache reads/writes.
    fake.script(
        "claude-*",
        Reply(text="ok", prompt_tokens=100, cached_tokens=60, cache_creation_tokens=30),
    )
    m = claude.messages.create(model="claude-haiku-4", max_tokens=10, messages=USER)
    assert m.usage.input_tokens == 10
    assert m.usage.cache_read_input_tokens == 60
    assert m.usage.cache_creation_input_tokens == 30


def test_request_id_header(claude: anthropic.Anthropic) -> None:
    raw = claude.messages.with_raw_response.create(model="claude-x", max_tokens=5, messages=USER)
    assert raw.request_id is not None and raw.request_id.startswith("req_")
    assert raw.headers["anthropic-ratelimit-requests-limit"] == "4000"


def test_tool_use(fake: FakeProvider, claude: anthropic.Anthropic) -> None:
    fake.script("claude-*", Reply(tool_calls=[WEATHER]))
    m = claude.messages.create(model="claude-sonnet-4", max_tokens=100, messages=USER)
    assert m.stop_reason == "tool_use"
    (block,) = m.content
    assert block.type == "tool_use"
    assert block.name == "get_weather" and block.input == {"city": "Paris"}
    assert block.id.startswith("toolu_")


def test_finish_reason_mapping(fake: FakeProvider, claude: anthropic.Anthropic) -> None:
    fake.enqueue(
        Reply(finish_reason="length"),
        Reply(finish_reason="content_filter"),
        Reply(finish_reason="pause_turn"),  # not an OpenAI value: passed through
    )
    reasons = [
        claude.messages.create(model="claude-x", max_tokens=5, messages=USER).stop_reason
        for _ in range(3)
    ]
    assert reasons == ["max_tokens", "refusal", "pause_turn"]


def test_raw_stream_event_sequence(fake: FakeProvider, claude: anthropic.Anthropic) -> None:
    fake.script("claude-*", Reply(text="Hello world", tool_calls=[WEATHER], chunk_size=6))
    events = list(
        claude.messages.create(model="claude-x", max_tokens=50, messages=USER, stream=True)
    )
    kinds = [e.type for e in events]
    assert kinds == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]
    assert start.type == "message_start"
    assert start.message.stop_reason is None and start.message.content == []
    assert start.message.usage.input_tokens == 3
    delta = events[-2]
    assert delta.type == "message_delta"
    assert delta.delta.stop_reason == "tool_use"
    assert delta.usage.output_tokens == 2 + 1 + 2  # text words + tool name + JSON words


def test_wire_has_event_lines_and_ping(fake: FakeProvider) -> None:
    import httpx2

    body = {"model": "claude-x", "max_tokens": 5, "stream": True, "messages": USER}
    response = httpx2.post(fake.anthropic_base_url + "/v1/messages", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.text.split("\n\n")
    assert frames[0].startswith("event: message_start\ndata: {")
    assert frames[1] == 'event: ping\ndata: {"type":"ping"}'
    assert frames[-2].startswith("event: message_stop\n")


def test_stream_helper_accumulates_text_and_tool_input(
    fake: FakeProvider, claude: anthropic.Anthropic
) -> None:
    fake.script("claude-*", Reply(text="Checking.", tool_calls=[WEATHER], cached_tokens=1))
    with claude.messages.stream(model="claude-x", max_tokens=50, messages=USER) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "Checking."
    assert [b.type for b in final.content] == ["text", "tool_use"]
    tool = final.content[1]
    assert tool.type == "tool_use" and tool.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"
    assert final.usage.input_tokens == 2 and final.usage.cache_read_input_tokens == 1
    assert final.usage.output_tokens == 1 + 1 + 2


def test_count_tokens(claude: anthropic.Anthropic) -> None:
    counted = claude.messages.count_tokens(model="claude-x", system="Be brief.", messages=USER)
    assert counted.input_tokens == 5


def test_tool_results_count_as_input(claude: anthropic.Anthropic) -> None:
    messages: list[MessageParam] = [
        {"role": "user", "content": "Weather?"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "Sunny, 21C"}],
        },
    ]
    m = claude.messages.create(model="claude-x", max_tokens=5, messages=messages)
    assert m.content[0].type == "text" and m.content[0].text == "echo: Sunny, 21C"
    assert m.usage.input_tokens == 3


async def test_async_stream(fake: FakeProvider) -> None:
    fake.script("claude-*", Reply(text="async claude", chunk_size=2))
    async with (
        anthropic.AsyncAnthropic(
            base_url=fake.anthropic_base_url, api_key="k", max_retries=0
        ) as client,
        client.messages.stream(model="claude-x", max_tokens=5, messages=USER) as stream,
    ):
        text = "".join([t async for t in stream.text_stream])
    assert text == "async claude"
