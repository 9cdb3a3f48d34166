"""The seed's retry + fallback example, and a chain across OpenAI -> Anthropic -> Gemini."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import openai
import pytest
from retry_helpers import Clock, Driver, request_row, timing

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

HAS_ANTHROPIC = importlib.util.find_spec("helicone_lite.providers.anthropic") is not None
HAS_GEMINI = importlib.util.find_spec("helicone_lite.providers.gemini") is not None
needs_adapters = pytest.mark.skipif(
    not (HAS_ANTHROPIC and HAS_GEMINI),
    reason="the Anthropic and Gemini adapters (branch 'providers') have not landed yet",
)


@pytest.fixture
def providers_env(fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the Anthropic and Gemini SDKs at the fake, as a user's environment would."""
    for name, value in fake_provider.env().items():
        if not name.startswith("OPENAI_"):
            monkeypatch.setenv(name, value)


@pytest.mark.usefixtures("providers_env")
def test_the_seed_example_runs_unchanged(
    fake_provider: FakeProvider, home: Path, clock: Clock
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, message="Rate limit reached for gpt-4o"))
    client = helicone_lite.Client(  # the one changed line: the client
        api_key="sk-test", base_url=fake_provider.openai_base_url, home=home, **timing(clock)
    )

    # Try GPT-4o first, fallback to Claude if OpenAI fails
    response = client.chat.completions.create(
        model="gpt-4o/claude-sonnet-4",  # Primary / Fallback
        messages=[{"role": "user", "content": "Critical query with fallback"}],
        max_tokens=100,
        extra_headers={
            "Helicone-Retry-Enabled": "true",
            "Helicone-Retry-Num": "3",  # Max 3 retries
            "Helicone-Retry-Factor": "2",  # Exponential backoff: 1s, 2s, 4s
            "Helicone-Fallback-Enabled": "true",
        },
    )
    # If OpenAI hits rate limits: automatic retry with Claude after 1s delay

    assert response.choices[0].message.content == "echo: Critical query with fallback"
    assert response.model.startswith("claude-sonnet-4")
    assert clock.waits == [1.5, 3.0, 6.0]  # U[1,2) = 1.5: 1 s, 2 s, 4 s with jitter
    assert fake_provider.calls("gpt-4o") == 4
    assert response.headers["Helicone-Fallback-Index"] == "1"
    assert response.headers["Helicone-Model"] == response.model
    assert response.headers["Helicone-Provider"] == ("anthropic" if HAS_ANTHROPIC else "openai")
    row = request_row(client, response.headers["Helicone-Id"])
    assert (row["attempts"], row["fallback_index"], row["status"]) == (5, 1, 200)
    assert all(
        not name.lower().startswith("helicone")
        for r in fake_provider.requests
        for name in r.headers
    )


CHAIN = "gpt-4o/claude-sonnet-4/gemini-2.0-flash"


def _client(driver: Driver, fake: FakeProvider, home: Path, clock: Clock) -> Any:
    cls = helicone_lite.AsyncClient if driver.is_async else helicone_lite.Client
    return driver.track(
        cls(
            api_key="sk-test",
            base_url=fake.openai_base_url,
            home=home,
            max_retries=0,
            **timing(clock),
        )
    )


@needs_adapters
@pytest.mark.usefixtures("providers_env")
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
@pytest.mark.parametrize("failing", [1, 2], ids=["second-answers", "third-answers"])
def test_chain_across_openai_anthropic_gemini(
    driver: Driver,
    fake_provider: FakeProvider,
    home: Path,
    clock: Clock,
    stream: bool,
    failing: int,
) -> None:
    fake_provider.script("gpt-4o", Fault(status=503))
    if failing == 2:
        fake_provider.script("claude-*", Fault(status=529, message="Overloaded"))
    fake_provider.script("*", Reply(text="saved by the chain"))
    client = _client(driver, fake_provider, home, clock)
    if stream:
        chunks, headers = driver.stream(client, model=CHAIN)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        model = chunks[-1].model
    else:
        response = driver.create(client, model=CHAIN)
        headers, text, model = response.headers, response.choices[0].message.content, response.model
    provider = ["anthropic", "gemini"][failing - 1]
    assert text == "saved by the chain"
    assert [r.protocol for r in fake_provider.requests if r.inference] == [
        "openai",
        "anthropic",
        "gemini",
    ][: failing + 1]
    assert headers["Helicone-Fallback-Index"] == str(failing)
    assert headers["Helicone-Provider"] == provider
    assert headers["Helicone-Model"] == model
    assert model.startswith(("claude-sonnet-4", "gemini-2.0-flash")[failing - 1])
    row = request_row(client, headers["Helicone-Id"])
    assert (row["attempts"], row["fallback_index"], row["provider"]) == (
        failing + 1,
        failing,
        provider,
    )


@needs_adapters
@pytest.mark.usefixtures("providers_env")
def test_chain_across_providers_all_failing(
    driver: Driver, fake_provider: FakeProvider, home: Path, clock: Clock
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    fake_provider.script("claude-*", Fault(status=529))
    fake_provider.script("gemini-*", Fault(status=503))
    client = _client(driver, fake_provider, home, clock)
    with pytest.raises(openai.InternalServerError) as caught:
        driver.create(client, model=CHAIN)
    assert caught.value.status_code == 503
    message = str(caught.value)
    assert "3 attempts on 3 targets failed" in message
    assert "(openai)" in message and "(anthropic)" in message and "(gemini)" in message
