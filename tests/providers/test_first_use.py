"""A provider's SDK is imported and its adapter built on the first call to one of its models
(so ``import helicone_lite`` stays cheap). That one-time work is not the call's latency: on a
loaded machine importing ``anthropic`` took 8.7 s, and the first Claude call of every process
was logged with ``latency_ms`` 8724 (the next: 3), skewing averages, p95 and latency alerts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.providers._registry import ProviderRegistry
from helicone_lite.testing import Clock, FakeProvider

from .conftest import provider_configs

SLOW_IMPORT = 8.7  # seconds the adapter's first build takes (importing the SDK)


@pytest.mark.parametrize("model", ["claude-haiku-4-5", "gemini-2.5-flash"])
def test_building_the_providers_adapter_is_not_the_calls_latency(
    fake: FakeProvider, home: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch, model: str
) -> None:
    build = ProviderRegistry._build

    def slow_build(self: ProviderRegistry, config: Any) -> Any:
        clock.advance(SLOW_IMPORT)
        return build(self, config)

    monkeypatch.setattr(ProviderRegistry, "_build", slow_build)
    client = helicone_lite.Client(
        api_key="sk-test",
        base_url=fake.openai_base_url,
        home=home,
        providers=provider_configs(fake),
        clock=clock,
        monotonic=clock,  # time moves only when the adapter is built
    )
    try:
        r = client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "hi"}], max_tokens=5
        )
        client.flush()
        [row] = client.store.query(
            "SELECT latency_ms, provider FROM requests WHERE id = ?", (r.headers["Helicone-Id"],)
        )
    finally:
        client.close()
    assert row["provider"] == model.split("-")[0].replace("claude", "anthropic")
    assert clock.now > 1_800_000_000.0  # the adapter was built during this call
    assert row["latency_ms"] == 0.0, row  # not the 8700 ms of the import


SDK_CLIENT_BUILD = 0.45  # seconds building an SDK client took on first use (its HTTP pool, TLS)


def _slow_sdk_clients(monkeypatch: pytest.MonkeyPatch, clock: Clock) -> None:
    """Every adapter's SDK client build moves the clock (our adapters' own build methods)."""
    from helicone_lite.providers.anthropic import AnthropicAdapter
    from helicone_lite.providers.gemini import GeminiAdapter
    from helicone_lite.providers.openai import OpenAIAdapter

    for cls in (AnthropicAdapter, GeminiAdapter, OpenAIAdapter):
        for name in ("_build", "_abuild"):
            original = getattr(cls, name)

            def slow(self: Any, *args: Any, _original: Any = original) -> Any:
                clock.advance(SDK_CLIENT_BUILD)
                return _original(self, *args)

            monkeypatch.setattr(cls, name, slow)


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("claude-haiku-4-5", "anthropic"),
        ("gemini-2.5-flash", "gemini"),
        ("llama-3.1-8b-instant/groq", "groq"),
    ],
)
async def test_building_the_sdk_client_is_not_the_calls_latency(
    fake: FakeProvider,
    home: Path,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    model: str,
    provider: str,
) -> None:
    _slow_sdk_clients(monkeypatch, clock)
    options: dict[str, Any] = {
        "api_key": "sk-test",
        "base_url": fake.openai_base_url,
        "home": home,
        "providers": [
            *provider_configs(fake),
            {"name": "groq", "base_url": fake.openai_base_url, "api_key": "gsk-test"},
        ],
        "clock": clock,
        "monotonic": clock,  # time moves only when an SDK client is built
    }
    messages = [{"role": "user", "content": "hi"}]
    if mode == "sync":
        client: Any = helicone_lite.Client(**options)
        r = client.chat.completions.create(model=model, messages=messages, max_tokens=5)
    else:
        client = helicone_lite.AsyncClient(**options)
        r = await client.chat.completions.create(model=model, messages=messages, max_tokens=5)
    try:
        client.flush()
        [row] = client.store.query(
            "SELECT latency_ms, provider FROM requests WHERE id = ?", (r.headers["Helicone-Id"],)
        )
    finally:
        if mode == "sync":
            client.close()
        else:
            await client.close()
    assert row["provider"] == provider
    assert clock.now >= 1_800_000_000.0 + SDK_CLIENT_BUILD  # the SDK client was built by this call
    assert row["latency_ms"] == 0.0, row  # the provider call only, not the client's construction
