"""Fixtures for the security tests: a fake provider, clients on it, an injected clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECURITY-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]


class Clock:
    """Seconds that move only when a test says so (epoch or monotonic)."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


MakeClient = Callable[..., helicone_lite.Client]


@pytest.fixture
def make_client(fake: FakeProvider, home: Path) -> Iterator[MakeClient]:
    made: list[helicone_lite.Client] = []

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("api_key", KEY)
        kwargs.setdefault("base_url", fake.openai_base_url)
        kwargs.setdefault("home", home)
        client = helicone_lite.Client(**kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def client(make_client: MakeClient) -> helicone_lite.Client:
    return make_client()


def rows(client: Any, where: str = "1") -> list[dict[str, Any]]:
    client.flush()
    result: list[dict[str, Any]] = client.store.query(
        f"SELECT * FROM requests WHERE {where} ORDER BY created_at, rowid"
    )
    return result
