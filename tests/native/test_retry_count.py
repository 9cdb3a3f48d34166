"""Retries are numbered on the wire as anthropic's SDK numbers its own: the native client's
retry layer sends retry k with ``x-stainless-retry-count: k``, the same sequence the raw SDK
sends with the same ``max_retries``."""

from __future__ import annotations

from pathlib import Path

import anthropic

from helicone_lite.testing import FakeProvider, Fault

from .conftest import Claude

MODEL = "claude-sonnet-4-6"
HI = [{"role": "user", "content": "Hello there"}]
FAULTS = (Fault(status=500, retry_after_ms=1), Fault(status=529, retry_after_ms=1))


def counts(fake: FakeProvider) -> list[str | None]:
    return [r.headers.get("x-stainless-retry-count") for r in fake.requests if r.inference]


async def test_native_retries_are_numbered_as_the_raw_sdk_numbers_them(
    mode: str, fake_provider: FakeProvider, home: Path
) -> None:
    raw = anthropic.Anthropic(api_key="k", base_url=fake_provider.anthropic_base_url, max_retries=2)
    fake_provider.enqueue(*FAULTS)
    raw.messages.create(model=MODEL, max_tokens=16, messages=HI)  # type: ignore[arg-type]
    raw.close()
    expected = counts(fake_provider)
    assert expected == ["0", "1", "2"]
    fake_provider.reset()
    claude = Claude(mode, fake_provider, home, max_retries=2)
    fake_provider.enqueue(*FAULTS)
    await claude.create(model=MODEL, max_tokens=16, messages=HI)
    await claude.close()
    assert counts(fake_provider) == expected
