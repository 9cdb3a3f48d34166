"""Streams settle at their end; the async client limits exactly like the sync one."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import MESSAGES
from .test_limiter import _cents, levels

CENTS = {"Helicone-RateLimit-Policy": "500;w=86400;u=cents;s=user", "Helicone-User-Id": "p1"}
BUCKET = ("500;w=86400;u=cents;s=user", "user=p1")


def stream(client: helicone_lite.Client, **params: Any) -> Any:
    return client.chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,
        max_tokens=4000,
        stream=True,
        extra_headers=CENTS,
        **params,
    )


def test_stream_reserves_then_settles_at_its_end(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text="a b c d e f", prompt_tokens=1000, completion_tokens=2000))
    s = stream(client)
    reserved = 500 - levels(client)[BUCKET]
    assert reserved > 4  # 4000 completion tokens of gpt-4o: 4 cents, plus the prompt
    assert s.headers["Helicone-RateLimit-Remaining"] == str(int(500 - reserved))
    chunks = list(s)
    assert chunks and chunks[-1].usage is None  # the usage chunk we asked for stays hidden
    assert levels(client)[BUCKET] == pytest.approx(500 - _cents("gpt-4o", 1000, 2000))


def test_stream_cut_midway_keeps_the_reservation(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.enqueue(Fault(cut_after=2, reply=Reply(text="a b c d e f g h i j k l", chunk_size=2)))
    s = stream(client)
    reserved = levels(client)[BUCKET]
    with pytest.raises(openai.APIError):
        list(s)
    assert levels(client)[BUCKET] == reserved  # the provider may bill the part it sent


def test_stream_closed_before_any_chunk_releases_and_after_one_keeps(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text="a b c d e f g h", chunk_size=2))
    stream(client).close()
    assert levels(client) == {}
    s = stream(client)
    next(iter(s))
    reserved = levels(client)[BUCKET]
    s.close()
    assert levels(client)[BUCKET] == reserved


def test_stream_that_fails_before_streaming_releases(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.enqueue(Fault(status=502))
    with pytest.raises(openai.InternalServerError):
        stream(client)
    assert levels(client) == {}


async def test_async_admits_refuses_and_settles(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text="ok", prompt_tokens=1000, completion_tokens=2000))
    headers = {"Helicone-RateLimit-Policy": "2;w=60, 500;w=86400;u=cents;s=user"}
    r = await aclient.chat.completions.create(
        model="gpt-4o", messages=MESSAGES, user="p1", max_tokens=4000, extra_headers=headers
    )
    assert r.headers["Helicone-RateLimit-Policy"] == "2;w=60"
    s = await aclient.chat.completions.create(
        model="gpt-4o",
        messages=MESSAGES,
        user="p1",
        max_tokens=4000,
        extra_headers=headers,
        stream=True,
    )
    assert [c async for c in s]
    with pytest.raises(openai.RateLimitError) as info:
        await aclient.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, user="p1", extra_headers=headers
        )
    assert info.value.response.headers["X-Helicone-Error"] == "rate_limited"
    assert fake.calls("gpt-4o") == 2
    assert levels(aclient)[BUCKET] == pytest.approx(500 - 2 * _cents("gpt-4o", 1000, 2000))


async def test_async_tasks_race_exactly(
    aclient: helicone_lite.AsyncClient, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", Reply(text="ok", latency=0.01))
    headers = {"Helicone-RateLimit-Policy": "5;w=3600"}

    async def one() -> bool:
        try:
            await aclient.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )
        except openai.RateLimitError:
            return False
        return True

    outcomes = await asyncio.gather(*(one() for _ in range(20)))
    assert sum(outcomes) == 5
    assert fake.calls("gpt-4o-mini") == 5
