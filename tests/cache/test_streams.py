"""Streams: saved as their chunks once they end cleanly, replayed chunk for chunk."""

from __future__ import annotations

from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

from .conftest import CACHE, MESSAGES, MakeClient, rows

TOOLY = Reply(
    text="Checking glucose.",
    tool_calls=[ToolCall("lookup_lab", {"test": "HbA1c", "patient": "p-1"})],
    prompt_tokens=40,
    completion_tokens=12,
)


def stream(client: helicone_lite.Client, **kwargs: Any) -> Any:
    kwargs.setdefault("extra_headers", CACHE)
    return client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, **kwargs
    )


def dumped(chunks: list[Any]) -> list[dict[str, Any]]:
    return [c.model_dump() for c in chunks]


@pytest.mark.parametrize("usage", [False, True])
def test_a_stream_is_replayed_chunk_for_chunk(
    make_client: MakeClient, fake: FakeProvider, usage: bool
) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", TOOLY)
    extra = {"stream_options": {"include_usage": True}} if usage else {}
    first = stream(client, **extra)
    original = list(first)
    replay = stream(client, **extra)
    assert isinstance(replay, helicone_lite.HeliconeStream)
    replayed = list(replay)
    assert (first.headers["Helicone-Cache"], replay.headers["Helicone-Cache"]) == ("MISS", "HIT")
    assert replay.headers["Helicone-Cache-Bucket-Idx"] == "0"
    assert dumped(replayed) == dumped(original)
    assert all(type(c).__name__ == "ChatCompletionChunk" for c in replayed)
    calls = [tc for c in replayed if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert calls and calls[0].function and calls[0].function.name == "lookup_lab"
    assert (replayed[-1].usage is not None) is usage
    assert fake.calls() == 1


async def test_async_stream_is_replayed_chunk_for_chunk(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", TOOLY)

    async def once() -> tuple[str, list[dict[str, Any]]]:
        s = await aclient.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=CACHE
        )
        assert isinstance(s, openai.AsyncStream)
        return s.headers["Helicone-Cache"], dumped([c async for c in s])

    (miss, original), (hit, replayed) = await once(), await once()
    assert (miss, hit) == ("MISS", "HIT")
    assert replayed == original
    assert fake.calls() == 1


async def test_async_stream_hit_from_a_sync_save(
    make_client: MakeClient, aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    original = dumped(list(stream(make_client())))
    s = await aclient.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, stream=True, extra_headers=CACHE
    )
    assert s.headers["Helicone-Cache"] == "HIT"
    assert dumped([c async for c in s]) == original
    assert fake.calls() == 1


def test_a_broken_stream_is_not_cached(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", Fault(cut_after=2), times=1)
    with pytest.raises(openai.APIConnectionError):
        list(stream(client))
    assert stream(client).headers["Helicone-Cache"] == "MISS"
    assert fake.calls() == 2


def test_a_stream_closed_early_is_not_cached(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", Reply(text="a long answer " * 20))
    with stream(client) as s:
        next(iter(s))
    full = stream(client)
    assert full.headers["Helicone-Cache"] == "MISS"
    list(full)
    assert stream(client).headers["Helicone-Cache"] == "HIT"
    assert fake.calls() == 2


def test_a_stream_error_before_the_first_chunk_is_not_cached(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", Fault(status=400), times=1)
    with pytest.raises(openai.BadRequestError):
        stream(client)
    assert stream(client).headers["Helicone-Cache"] == "MISS"


def test_stream_and_non_stream_do_not_share_entries(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=CACHE)
    s = stream(client)
    assert s.headers["Helicone-Cache"] == "MISS"
    list(s)
    assert fake.calls() == 2


def test_a_stream_hit_is_logged_with_its_chunks(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", TOOLY)
    list(stream(client))
    list(stream(client))
    miss, hit = rows(client)
    assert (miss["cache_status"], hit["cache_status"]) == ("MISS", "HIT")
    assert hit["stream"] == 1 and hit["cost_usd"] == 0
    assert hit["cache_reference_id"] == miss["id"]
    assert hit["completion_tokens"] == miss["completion_tokens"] == 12
    assert hit["provider"] == "openai" and hit["response_model"] == miss["response_model"]
