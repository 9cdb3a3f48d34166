"""Fixtures for the rate-limit tests: the plugin's clients on an injected clock, on the local or
the Redis bucket store."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite.testing import Clock
from helicone_lite.testing.pytest_plugin import KEY, MakeClient, rows

__all__ = ["KEY", "MESSAGES", "START", "Clock", "MakeClient", "limit_headers", "rows"]

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
START = 1_750_000_000.0


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture(params=["local", "redis"])
def store(request: pytest.FixtureRequest) -> str | None:
    """The Redis URL for the Redis variant, None for the local SQLite store."""
    if request.param == "local":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def client_options(
    client_options: dict[str, Any], clock: Clock, store: str | None
) -> dict[str, Any]:
    """The plugin's, on the injected clock, on this test's bucket store, without retries
    (these tests are about limits)."""
    return {**client_options, "clock": clock, "redis_url": store, "max_retries": 0}


def limit_headers(response: Any) -> dict[str, str]:
    return {
        k.lower(): v
        for k, v in response.headers.items()
        if k.lower().startswith("helicone-ratelimit")
    }
