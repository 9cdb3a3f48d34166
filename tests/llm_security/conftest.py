"""Fixtures for the security tests: clients on the fake provider (sync and async)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECURITY-0123456789"
SECURE = {"Helicone-LLM-Security-Enabled": "true", "Helicone-Prompt-Guard-Enabled": "true"}


@pytest.fixture
def make(fake_provider: FakeProvider, home: Path) -> Iterator[Callable[..., Any]]:
    """``make(mode, **settings)``: a Client or AsyncClient on the fake provider."""
    made: list[Any] = []

    def build(mode: str = "sync", **settings: Any) -> Any:
        options: dict[str, Any] = {
            "api_key": KEY,
            "base_url": fake_provider.openai_base_url,
            "home": home,
            "security_classifier": "none",
            **settings,
        }
        cls = helicone_lite.Client if mode == "sync" else helicone_lite.AsyncClient
        client = cls(**options)
        made.append(client)
        return client

    yield build


async def create(client: Any, **params: Any) -> Any:
    result = client.chat.completions.create(**params)
    if isinstance(client, helicone_lite.AsyncClient):
        return await result
    return result


def rows(client: Any) -> list[dict[str, Any]]:
    client.flush()
    found: list[dict[str, Any]] = client.store.query(
        "SELECT * FROM requests ORDER BY created_at, rowid"
    )
    return found
