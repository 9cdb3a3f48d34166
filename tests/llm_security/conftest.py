"""Fixtures for the security tests: clients on the fake provider (sync and async)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing.pytest_plugin import KEY, rows

__all__ = ["KEY", "SECURE", "create", "rows"]

SECURE = {"Helicone-LLM-Security-Enabled": "true", "Helicone-Prompt-Guard-Enabled": "true"}


@pytest.fixture
def make(client_options: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """``make(mode, **settings)``: a Client or AsyncClient with the plugin's
    ``client_options`` (the local classifier off unless asked for); sync ones are closed
    after the test."""
    made: list[helicone_lite.Client] = []

    def build(mode: str = "sync", **settings: Any) -> Any:
        options: dict[str, Any] = {**client_options, "security_classifier": "none", **settings}
        if mode != "sync":
            return helicone_lite.AsyncClient(**options)
        client = helicone_lite.Client(**options)
        made.append(client)
        return client

    yield build
    for client in made:
        client.close()


async def create(client: Any, **params: Any) -> Any:
    result = client.chat.completions.create(**params)
    if isinstance(client, helicone_lite.AsyncClient):
        return await result
    return result
