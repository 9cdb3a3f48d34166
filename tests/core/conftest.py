"""Fixtures for the core tests: a client and an async client on the fake provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def client(fake: FakeProvider, home: Path) -> Iterator[helicone_lite.Client]:
    c = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
    yield c
    c.close()


@pytest.fixture
async def aclient(fake: FakeProvider, home: Path) -> AsyncIterator[helicone_lite.AsyncClient]:
    c = helicone_lite.AsyncClient(api_key=KEY, base_url=fake.openai_base_url, home=home)
    yield c
    await c.close()


def rows(
    client: Any, sql: str = "SELECT * FROM requests ORDER BY created_at, rowid"
) -> list[dict[str, Any]]:
    client.flush()
    result: list[dict[str, Any]] = client.store.query(sql)
    return result


MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
