"""Fixtures for the cache tests: clients on the fake provider, on diskcache AND on Redis.

``make_client`` builds clients on the backend the test is parametrized with (``backend``:
``disk`` or ``redis``), all sharing one home (so one diskcache and one request log) and an
injectable clock; ``client``/``aclient`` are the usual ones.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-CACHE-SECRET-0123456789"
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
CACHE = {"Helicone-Cache-Enabled": "true"}


class Clock:
    """An epoch clock that moves only when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["disk", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    """The cache backend this test runs on; the Redis variant uses the real redis-server."""
    kind: str = request.param
    if kind == "redis":
        request.getfixturevalue("redis_url")
    return kind


@pytest.fixture
def redis_or_none(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend != "redis":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


MakeClient = Callable[..., helicone_lite.Client]


@pytest.fixture
def make_client(
    fake: FakeProvider, home: Path, clock: Clock, redis_or_none: str | None
) -> Iterator[MakeClient]:
    made: list[Any] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake.openai_base_url)
        kwargs.setdefault("home", home)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("rng", random.Random(1234))
        if redis_or_none is not None:
            kwargs.setdefault("redis_url", redis_or_none)
        c = helicone_lite.Client(**kwargs)
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def client(make_client: MakeClient) -> helicone_lite.Client:
    return make_client()


@pytest.fixture
async def aclient(
    fake: FakeProvider, home: Path, clock: Clock, redis_or_none: str | None
) -> AsyncIterator[helicone_lite.AsyncClient]:
    extra = {"redis_url": redis_or_none} if redis_or_none else {}
    c = helicone_lite.AsyncClient(
        api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock, **extra
    )
    yield c
    await c.close()


def rows(client: Any, where: str = "1") -> list[dict[str, Any]]:
    client.flush()
    result: list[dict[str, Any]] = client.store.query(
        f"SELECT * FROM requests WHERE {where} ORDER BY created_at, rowid"
    )
    return result


def ask(client: helicone_lite.Client, content: str = "What is diabetes?", **kwargs: Any) -> Any:
    """One chat call with the cache on (unless ``extra_headers`` says otherwise)."""
    kwargs.setdefault("extra_headers", CACHE)
    kwargs.setdefault("model", "gpt-4o-mini")
    return client.chat.completions.create(messages=[{"role": "user", "content": content}], **kwargs)


def status(response: Any) -> str | None:
    value: str | None = response.headers.get("Helicone-Cache")
    return value
