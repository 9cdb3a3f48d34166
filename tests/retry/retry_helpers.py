"""Helpers for the retry/fallback tests: a fixed RNG, client timing on the shared ``Clock``,
store readers."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any

from helicone_lite.testing import Clock

#: ``make_client(async_=False, **client_kwargs)`` (the fixture in conftest.py).
MakeClient = Callable[..., Any]

MESSAGES = [{"role": "user", "content": "Critical query with fallback"}]


class FixedRandom(random.Random):
    """``random()`` always answers ``value``: jitter becomes a known number."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


def timing(clock: Clock, rng: float = 0.5) -> dict[str, Any]:
    """Client keywords that route every wait and every clock read through ``clock``."""
    return {
        "sleep": clock.sleep,
        "async_sleep": clock.async_sleep,
        "clock": clock.wall,
        "monotonic": clock.monotonic,
        "rng": FixedRandom(rng),
    }


def helicone_retry(num: int = 3, **extra: str) -> dict[str, str]:
    headers = {"Helicone-Retry-Enabled": "true", "Helicone-Retry-Num": str(num)}
    headers.update(extra)
    return headers


def request_row(client: Any, request_id: str) -> dict[str, Any]:
    client.flush()
    rows = client.store.query("SELECT * FROM requests WHERE id = ?", (request_id,))
    assert len(rows) == 1, rows
    return dict(rows[0])


def attempt_rows(client: Any, request_id: str) -> list[dict[str, Any]]:
    client.flush()
    return [
        dict(row)
        for row in client.store.query(
            "SELECT * FROM attempts WHERE request_id = ? ORDER BY attempt", (request_id,)
        )
    ]


def last_request_id(client: Any) -> str:
    client.flush()
    rows = client.store.query("SELECT id FROM requests ORDER BY rowid DESC LIMIT 1")
    return str(rows[0]["id"])


class Driver:
    """Runs ``create`` on a sync client, or on an async one inside one event loop per test."""

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async
        self.loop = asyncio.new_event_loop() if is_async else None
        self.clients: list[Any] = []

    def track(self, client: Any) -> Any:
        """``client``, closed with the driver (its writer thread stops with the test)."""
        self.clients.append(client)
        return client

    def create(self, client: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("messages", MESSAGES)
        if self.loop is None:
            return client.chat.completions.create(**kwargs)
        return self.loop.run_until_complete(client.chat.completions.create(**kwargs))

    def stream(self, client: Any, **kwargs: Any) -> tuple[list[Any], Any]:
        """The chunks of a stream and the stream's headers (raises what iterating raises)."""
        kwargs.setdefault("messages", MESSAGES)
        kwargs["stream"] = True
        if self.loop is None:
            stream = client.chat.completions.create(**kwargs)
            return list(stream), stream.headers
        return self.loop.run_until_complete(self._astream(client, kwargs))

    @staticmethod
    async def _astream(client: Any, kwargs: dict[str, Any]) -> tuple[list[Any], Any]:
        stream = await client.chat.completions.create(**kwargs)
        return [chunk async for chunk in stream], stream.headers

    def close(self) -> None:
        for client in self.clients:
            if self.loop is None:
                client.close()
            else:
                self.loop.run_until_complete(client.close())
        if self.loop is not None:
            self.loop.close()
