"""A ``chat`` fixture that runs each provider test through the sync AND the async client.

Clients point every provider at the fake server over real HTTP (``providers=`` with the fake's
base URLs and dummy keys); the real ``anthropic`` and ``google-genai`` SDKs do the talking.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider


def provider_configs(fake: FakeProvider) -> list[dict[str, Any]]:
    return [
        {"name": "anthropic", "base_url": fake.anthropic_base_url, "api_key": "sk-ant-test"},
        {"name": "gemini", "base_url": fake.gemini_base_url, "api_key": "gemini-test-key"},
    ]


class Chat:
    """``create`` through a sync ``Client`` or an ``AsyncClient``; streams come back as lists."""

    def __init__(self, mode: str, fake: FakeProvider, home: Path, **kwargs: Any) -> None:
        self.mode = mode
        self.fake = fake
        options: dict[str, Any] = {
            "api_key": "sk-test",
            "base_url": fake.openai_base_url,
            "home": home,
            "max_retries": 0,
            "providers": provider_configs(fake),
            **kwargs,
        }
        self.client: Any = (
            helicone_lite.Client(**options)
            if mode == "sync"
            else helicone_lite.AsyncClient(**options)
        )

    async def create(self, **params: Any) -> Any:
        if self.mode == "sync":
            result = self.client.chat.completions.create(**params)
            return list(result) if params.get("stream") else result
        result = await self.client.chat.completions.create(**params)
        if params.get("stream"):
            return [chunk async for chunk in result]
        return result

    async def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            await self.client.close()

    def rows(self) -> list[dict[str, Any]]:
        """The request log, oldest first (after flushing the background writer)."""
        self.client.flush()
        rows: list[dict[str, Any]] = self.client.store.query(
            "SELECT * FROM requests ORDER BY created_at, rowid"
        )
        return rows


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def chat(mode: str, fake_provider: FakeProvider, home: Path) -> AsyncIterator[Chat]:
    """A :class:`Chat` of ``mode``, its client closed after the test (its writer stopped)."""
    made = Chat(mode, fake_provider, home)
    yield made
    await made.close()


def text_of(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def tool_calls_of(chunks: list[Any]) -> dict[int, dict[str, str]]:
    """Tool calls assembled from streamed deltas, by index."""
    calls: dict[int, dict[str, str]] = {}
    for c in chunks:
        for choice in c.choices:
            for delta in choice.delta.tool_calls or ():
                slot = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
                slot["id"] = delta.id or slot["id"]
                if delta.function is not None:
                    slot["name"] += delta.function.name or ""
                    slot["arguments"] += delta.function.arguments or ""
    return calls
