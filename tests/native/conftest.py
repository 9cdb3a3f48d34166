"""Native clients (``helicone_lite.Anthropic`` / ``AsyncAnthropic`` / ``Gemini``) through the
real SDKs over real HTTP against the fake provider; every test runs sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider


async def _no_wait(_: float) -> None:
    return None


def _rows(client: Any) -> list[dict[str, Any]]:
    client.flush()
    rows: list[dict[str, Any]] = client.store.query(
        "SELECT * FROM requests ORDER BY created_at, rowid"
    )
    return rows


class Claude:
    """``messages.*`` through ``helicone_lite.Anthropic`` or ``AsyncAnthropic``."""

    def __init__(self, mode: str, fake: FakeProvider, home: Path, **kwargs: Any) -> None:
        self.mode, self.fake = mode, fake
        options: dict[str, Any] = {
            "api_key": "sk-ant-test",
            "base_url": fake.anthropic_base_url,
            "home": home,
            "sleep": lambda _: None,
            "async_sleep": _no_wait,
            **kwargs,
        }
        cls = helicone_lite.Anthropic if mode == "sync" else helicone_lite.AsyncAnthropic
        self.client: Any = cls(**options)

    async def create(self, **params: Any) -> Any:
        if self.mode == "sync":
            result = self.client.messages.create(**params)
            return list(result) if params.get("stream") else result
        result = await self.client.messages.create(**params)
        return [e async for e in result] if params.get("stream") else result

    async def raw(self, **params: Any) -> Any:
        if self.mode == "sync":
            return self.client.messages.with_raw_response.create(**params)
        return await self.client.messages.with_raw_response.create(**params)

    async def stream(self, **params: Any) -> tuple[str, Any, Any]:
        """``messages.stream``: (text, reply headers, final message)."""
        if self.mode == "sync":
            with self.client.messages.stream(**params) as stream:
                text = "".join(stream.text_stream)
                return text, stream.response.headers, stream.get_final_message()
        async with self.client.messages.stream(**params) as astream:
            text = "".join([t async for t in astream.text_stream])
            return text, astream.response.headers, await astream.get_final_message()

    async def count_tokens(self, **params: Any) -> Any:
        if self.mode == "sync":
            return self.client.messages.count_tokens(**params)
        return await self.client.messages.count_tokens(**params)

    def rows(self) -> list[dict[str, Any]]:
        return _rows(self.client)

    async def close(self) -> None:
        if self.mode == "sync":
            self.client.close()
        else:
            await self.client.close()


class Gem:
    """``models.generate_content*`` through ``helicone_lite.Gemini`` (``.aio`` when async)."""

    def __init__(self, mode: str, fake: FakeProvider, home: Path, **kwargs: Any) -> None:
        self.mode, self.fake = mode, fake
        http = {"base_url": fake.gemini_base_url, **kwargs.pop("http_options", {})}
        self.client: Any = helicone_lite.Gemini(
            api_key="gemini-test-key",
            http_options=http,
            home=home,
            sleep=lambda _: None,
            async_sleep=_no_wait,
            **kwargs,
        )

    async def generate(self, **params: Any) -> Any:
        if self.mode == "sync":
            return self.client.models.generate_content(**params)
        return await self.client.aio.models.generate_content(**params)

    async def stream(self, **params: Any) -> list[Any]:
        if self.mode == "sync":
            return list(self.client.models.generate_content_stream(**params))
        stream = await self.client.aio.models.generate_content_stream(**params)
        return [chunk async for chunk in stream]

    async def count_tokens(self, **params: Any) -> Any:
        if self.mode == "sync":
            return self.client.models.count_tokens(**params)
        return await self.client.aio.models.count_tokens(**params)

    def rows(self) -> list[dict[str, Any]]:
        return _rows(self.client)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def claude(mode: str, fake_provider: FakeProvider, home: Path) -> AsyncIterator[Claude]:
    made = Claude(mode, fake_provider, home)
    yield made
    await made.close()


@pytest.fixture
def gem(mode: str, fake_provider: FakeProvider, home: Path) -> Any:
    made = Gem(mode, fake_provider, home)
    yield made
    made.client.close()


def helicone_on_wire(fake: FakeProvider) -> list[str]:
    """Every ``Helicone-*`` header any request carried to the fake (must stay empty)."""
    return [
        name for request in fake.requests for name in request.headers if name.startswith("helicone")
    ]
