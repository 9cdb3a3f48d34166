"""A client owns what it starts: ``close()`` stops every thread it started, twice is fine, and
a call after it raises a clear error."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.alerts import AlertRule
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "Hello"}]
FEATURES = {
    "Helicone-Cache-Enabled": "true",
    "Helicone-RateLimit-Policy": "100;w=60",
}


def ours() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("helicone-lite")}


def _kwargs(fake: FakeProvider, home: Path) -> dict[str, Any]:
    rule = AlertRule.error_rate_over(50, min_requests=1, notify=[lambda event: None])
    return {
        "api_key": KEY,
        "base_url": fake.openai_base_url,
        "home": home,
        "alerts": [rule],
        "otel": True,
    }


def test_close_stops_every_thread_the_client_started(
    fake_provider: FakeProvider, home: Path
) -> None:
    before = ours()
    client = helicone_lite.Client(**_kwargs(fake_provider, home))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, extra_headers=FEATURES)
    assert ours() - before  # the writer, the alert and the export threads run
    client.close()
    assert ours() - before == set()
    client.close()  # twice is fine


async def test_async_close_stops_every_thread_too(fake_provider: FakeProvider, home: Path) -> None:
    before = ours()
    client = helicone_lite.AsyncClient(**_kwargs(fake_provider, home))
    await client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers=FEATURES
    )
    assert {t.name for t in ours() - before} >= {"helicone-lite-writer", "helicone-lite-alerts"}
    assert any(t.name.startswith("helicone-lite-io") for t in ours() - before)
    await client.close()
    assert ours() - before == set()
    await client.close()


def test_a_call_after_close_raises_a_clear_error(fake_provider: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key=KEY, base_url=fake_provider.openai_base_url, home=home)
    client.close()
    with pytest.raises(helicone_lite.ClientClosedError, match="closed"):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(helicone_lite.ClientClosedError):
        client.with_options(timeout=5).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
    assert client.store.query("SELECT count(*) AS n FROM requests") == [{"n": 0}]


def test_with_closes_the_client(fake_provider: FakeProvider, home: Path) -> None:
    before = ours()
    with helicone_lite.Client(
        api_key=KEY, base_url=fake_provider.openai_base_url, home=home
    ) as client:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert ours() - before == set()
    assert client.store.query("SELECT count(*) AS n FROM requests") == [{"n": 1}]
    with pytest.raises(helicone_lite.ClientClosedError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


async def test_async_with_closes_the_client(fake_provider: FakeProvider, home: Path) -> None:
    before = ours()
    async with helicone_lite.AsyncClient(
        api_key=KEY, base_url=fake_provider.openai_base_url, home=home
    ) as client:
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert ours() - before == set()
    with pytest.raises(helicone_lite.ClientClosedError):
        await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_a_bad_setting_opens_nothing(home: Path) -> None:
    before = ours()
    with pytest.raises(helicone_lite.OptionsError, match="cooldown_seconds"):
        helicone_lite.Client(api_key=KEY, home=home, cooldown_seconds=-1)
    assert ours() - before == set()
    assert not (home / "helicone.db").exists()


@pytest.mark.parametrize(
    ("setting", "value", "allowed"),
    [
        ("log_bodies", "yes", "True or False"),
        ("otel_capture_content", 1, "True or False"),
        ("cooldown_failures", 0, "a whole number >= 1"),
        ("cooldown_failures", True, "a whole number >= 1"),
        ("ratelimit_timeout", 0, "a number of seconds > 0"),
        ("ratelimit_breaker_seconds", "5", "a number of seconds > 0"),
        ("cache_size_limit", -1, "a positive number of bytes"),
        ("cache_eviction_policy", "random", "one of least-recently-stored"),
        ("redis_url", 6379, "a redis:// URL or None"),
        ("tracer_provider", object(), "an OpenTelemetry TracerProvider"),
        ("clock", 0.0, "a function"),
        ("rng", 42, "a random.Random"),
        ("retention_days", 0, "a number of days above 0, or None"),
        ("cache_secret", "short", "at least 16 characters"),
        ("interceptors", [object()], "objects with a handle(call) method"),
    ],
)
def test_each_bad_setting_is_named_with_what_is_allowed(
    home: Path, setting: str, value: object, allowed: str
) -> None:
    before = ours()
    with pytest.raises(helicone_lite.OptionsError) as raised:
        helicone_lite.Client(api_key=KEY, home=home, **{setting: value})
    message = str(raised.value)
    assert setting in message and allowed in message
    if setting == "cache_secret":
        assert "short" not in message  # a key is never shown
    assert ours() - before == set()
    assert not (home / "helicone.db").exists()


def test_every_error_of_ours_has_one_base() -> None:
    from helicone_lite.ratelimit import BackendError

    for cls in (
        helicone_lite.OptionsError,
        helicone_lite.PromptError,
        helicone_lite.ProviderNotConfigured,
        helicone_lite.ClientClosedError,
        helicone_lite.StoreError,
        helicone_lite.UnknownRequestError,
        helicone_lite.UnknownSessionError,
        helicone_lite.StreamClosedEarly,
        BackendError,
    ):
        assert issubclass(cls, helicone_lite.HeliconeLiteError), cls
    assert issubclass(helicone_lite.OptionsError, ValueError)


def _rows(home: Path) -> int:
    import sqlite3

    with sqlite3.connect(home / "helicone.db") as conn:
        return int(conn.execute("SELECT count(*) FROM requests").fetchone()[0])


def test_a_client_sharing_the_store_keeps_logging_after_the_opener_is_collected(
    fake_provider: FakeProvider, home: Path
) -> None:
    """``Client(store=other.store)`` then dropping ``other`` (a forked worker rebinding its
    module's client does this): the opener's finalizer must not stop the shared writer."""
    import gc
    import weakref

    opener = helicone_lite.Client(api_key=KEY, base_url=fake_provider.openai_base_url, home=home)
    sharer = helicone_lite.Client(
        api_key=KEY, base_url=fake_provider.openai_base_url, store=opener.store
    )
    gone = weakref.ref(opener._helicone_runtime)
    del opener
    gc.collect()
    assert gone() is None  # the opener's runtime was collected: its finalizer ran
    sharer.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert sharer.flush(10)
    assert _rows(home) == 1
    sharer.close()


def test_closing_the_opener_leaves_a_sharing_client_logging(
    fake_provider: FakeProvider, home: Path
) -> None:
    opener = helicone_lite.Client(api_key=KEY, base_url=fake_provider.openai_base_url, home=home)
    sharer = helicone_lite.Client(
        api_key=KEY, base_url=fake_provider.openai_base_url, store=opener.store
    )
    opener.close()
    sharer.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert sharer.flush(10)
    assert _rows(home) == 1
    sharer.close()
    opener.store.close()


def test_the_opener_alone_still_stops_its_writer_when_collected(
    fake_provider: FakeProvider, home: Path
) -> None:
    import gc

    before = ours()
    client = helicone_lite.Client(api_key=KEY, base_url=fake_provider.openai_base_url, home=home)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert "helicone-lite-writer" in {t.name for t in ours() - before}
    assert client.flush(10)  # a queued row refers to its call, and so to the client
    del client
    gc.collect()
    assert ours() - before == set()
    assert _rows(home) == 1
