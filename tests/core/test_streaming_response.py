"""``with_streaming_response``: openai's ``APIResponse`` shape (read, iter_lines, awaited parse)."""

from __future__ import annotations

import json
from typing import Any

import openai

import helicone_lite
from helicone_lite.testing import FakeProvider

from .conftest import KEY, MESSAGES, rows

SKIP = ("id", "created", "created_at", "system_fingerprint")


def _events(lines: list[str]) -> list[tuple[str | None, Any]]:
    """(event name, data) per server-sent event, ids and times dropped."""
    events: list[tuple[str | None, Any]] = []
    name: str | None = None
    for line in lines:
        if line.startswith("event: "):
            name = line[len("event: ") :]
        elif line.startswith("data: "):
            data = line[len("data: ") :]
            events.append((name, data if data == "[DONE]" else _strip(json.loads(data))))
            name = None
    return events


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in SKIP and v is not None}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _raw_sdk(fake: FakeProvider) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)


def test_a_stream_reads_as_the_endpoints_server_sent_events(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    args: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES, "stream": True}
    with _raw_sdk(fake).chat.completions.with_streaming_response.create(**args) as theirs:
        expected = _events(list(theirs.iter_lines()))
    with client.chat.completions.with_streaming_response.create(**args) as ours:
        assert ours.headers["Helicone-Id"] and ours.status_code == 200
        lines = list(ours.iter_lines())
    assert _events(lines) == expected and expected[-1] == (None, "[DONE]")
    [row] = rows(client)
    assert row["stream"] == 1 and row["id"] == ours.headers["Helicone-Id"]


def test_a_plain_answer_reads_as_its_json_body(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    args: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    with _raw_sdk(fake).chat.completions.with_streaming_response.create(**args) as theirs:
        expected = _strip(theirs.json())
    with client.chat.completions.with_streaming_response.create(**args) as ours:
        body = ours.read()
        assert _strip(json.loads(body)) == expected == _strip(ours.json())
        assert (
            ours.parse().choices[0].message.content == expected["choices"][0]["message"]["content"]
        )
        assert b"".join(ours.iter_bytes(7)) == body
        assert all(len(piece) <= 7 for piece in ours.iter_bytes(7))
    assert ours.is_closed


def test_typed_events_keep_their_names_and_no_done_marker(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    args: dict[str, Any] = {"model": "gpt-4o-mini", "input": "hi", "stream": True}
    with _raw_sdk(fake).responses.with_streaming_response.create(**args) as theirs:
        expected = [name for name, _ in _events(list(theirs.iter_lines()))]
    with client.responses.with_streaming_response.create(**args) as ours:
        names = [name for name, _ in _events(list(ours.iter_lines()))]
    assert names == expected and "response.completed" in names and None not in names


def test_embeddings_streaming_response_goes_through_the_log(
    client: helicone_lite.Client,
) -> None:
    with client.embeddings.with_streaming_response.create(
        model="text-embedding-3-small", input="x"
    ) as response:
        assert json.loads(response.text())["data"][0]["embedding"]
    assert [r["kind"] for r in rows(client)] == ["embeddings"]


def test_leaving_the_block_unread_closes_the_stream(client: helicone_lite.Client) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True
    ) as response:
        stream = response.parse()
    assert response.is_closed
    assert list(stream) == []  # closed: nothing more is read


async def test_async_parse_is_awaited_and_lines_stream(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    sdk = openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    args: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    async with sdk.chat.completions.with_streaming_response.create(**args) as theirs:
        expected = (await theirs.parse()).choices[0].message.content
    async with aclient.chat.completions.with_streaming_response.create(**args) as ours:
        assert (await ours.parse()).choices[0].message.content == expected
        assert _strip(await ours.json())["choices"][0]["message"]["content"] == expected
    async with aclient.chat.completions.with_streaming_response.create(
        **args, stream=True
    ) as streamed:
        lines = [line async for line in streamed.iter_lines()]
        assert lines[-2:] == ["data: [DONE]", ""]
    async with aclient.chat.completions.with_streaming_response.create(
        **args, stream=True
    ) as pieces:
        body = b"".join([piece async for piece in pieces.iter_bytes(5)])
    assert _events(body.decode().split("\n")) == _events(lines)
    assert [r["stream"] for r in rows(aclient)] == [0, 1, 1]
    await sdk.close()
