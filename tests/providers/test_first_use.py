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
