"""Fixtures for the prompt tests: a registry on a bare store, clients on the fake provider."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.prompts import PromptRegistry
from helicone_lite.prompts._layer import Prompts
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"

TRIAGE_SYSTEM = (
    "You are a medical triage assistant for {{hc:department:string}}. Classify urgency as: "
    "EMERGENCY, URGENT, STANDARD, or LOW-PRIORITY. Give rationale."
)


class Clock:
    """An injectable clock (epoch seconds and monotonic), moved by hand."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: str) -> Iterator[helicone_lite.Store]:
    s = helicone_lite.Store(database)  # once per engine (SQLite, PostgreSQL)
    yield s
    s.close()


@pytest.fixture
def registry(store: helicone_lite.Store, clock: Clock) -> PromptRegistry:
    return PromptRegistry(store, clock=clock)


@pytest.fixture
def client(
    fake: FakeProvider, home: Path, clock: Clock, database: str
) -> Iterator[helicone_lite.Client]:
    c = helicone_lite.Client(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        clock=clock,
        monotonic=clock,
        database_url=database,
    )
    yield c
    c.close()


@pytest.fixture
async def aclient(
    fake: FakeProvider, home: Path, clock: Clock
) -> AsyncIterator[helicone_lite.AsyncClient]:
    c = helicone_lite.AsyncClient(
        api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock, monotonic=clock
    )
    yield c
    await c.close()


def rows(client: Any, sql: str | None = None) -> list[dict[str, Any]]:
    """The log in insertion order (rowid in SQLite; ctid in a never-updated PostgreSQL table)."""
    if sql is None:
        order = "rowid" if client.store.engine == "sqlite" else "ctid"
        sql = f"SELECT * FROM requests ORDER BY created_at, {order}"
    client.flush()
    result: list[dict[str, Any]] = client.store.query(sql)
    return result


def sent(fake: FakeProvider) -> dict[str, Any]:
    """The JSON body of the last request the provider received."""
    body: dict[str, Any] = fake.last_request.json
    return body


def prompts_layer(client: Any) -> Prompts:
    return next(layer for layer in client._helicone_runtime.stack if isinstance(layer, Prompts))
