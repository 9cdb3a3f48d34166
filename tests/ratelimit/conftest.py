"""Fixtures for the rate-limit tests: an injected clock, clients on the local or Redis store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
START = 1_750_000_000.0


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["local", "redis"])
def store(request: pytest.FixtureRequest) -> str | None:
    """The Redis URL for the Redis variant, None for the local SQLite store."""
    if request.param == "local":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


MakeClient = Callable[..., helicone_lite.Client]


@pytest.fixture
def make_client(
    fake: FakeProvider, home: Path, clock: Clock, store: str | None
) -> Iterator[MakeClient]:
    made: list[helicone_lite.Client] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("redis_url", store)
        kwargs.setdefault("clock", clock)
        kwargs.setdefault("max_retries", 0)  # these tests are about limits, not retries
        c = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home, **kwargs)
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
    fake: FakeProvider, home: Path, clock: Clock, store: str | None
) -> AsyncIterator[helicone_lite.AsyncClient]:
    c = helicone_lite.AsyncClient(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        clock=clock,
        redis_url=store,
        max_retries=0,
    )
    yield c
    await c.close()


def rows(client: Any, sql: str = "SELECT * FROM requests ORDER BY created_at, rowid") -> list[Any]:
    client.flush()
    result: list[Any] = client.store.query(sql)
    return result


def limit_headers(response: Any) -> dict[str, str]:
    return {
        k.lower(): v
        for k, v in response.headers.items()
        if k.lower().startswith("helicone-ratelimit")
    }
