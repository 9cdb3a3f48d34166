"""Fixtures for the cache tests: the plugin's clients, on diskcache AND on Redis.

``client_options`` puts every client on the backend the test is parametrized with
(``backend``: ``disk`` or ``redis``) and on the injected ``clock``; clients share one home (so
one diskcache and one request log). ``client``/``aclient`` are the plugin's.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing import Clock
from helicone_lite.testing.pytest_plugin import KEY, MakeClient, rows

__all__ = ["CACHE", "KEY", "MESSAGES", "Clock", "MakeClient", "ask", "rows", "status"]

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
CACHE = {"Helicone-Cache-Enabled": "true"}


@pytest.fixture(params=["disk", "redis"])
def backend(request: pytest.FixtureRequest) -> str:
    """The cache backend this test runs on; the Redis variant uses the real redis-server."""
    kind: str = request.param
    if kind == "redis":
        request.getfixturevalue("redis_url")
    return kind


@pytest.fixture
def redis_or_none(backend: str, request: pytest.FixtureRequest) -> str | None:
    if backend != "redis":
        return None
    url: str = request.getfixturevalue("redis_url")
    return url


@pytest.fixture
def client_options(
    client_options: dict[str, Any], clock: Clock, redis_or_none: str | None
) -> dict[str, Any]:
    """The plugin's, on the injected clock and on this test's backend."""
    extra = {"redis_url": redis_or_none} if redis_or_none is not None else {}
    return {**client_options, "clock": clock, **extra}


@pytest.fixture
def make_client(make_client: MakeClient) -> MakeClient:
    """The plugin's, each client with its own seeded random source."""

    def make(**kwargs: Any) -> helicone_lite.Client:
        kwargs.setdefault("rng", random.Random(1234))
        return make_client(**kwargs)

    return make


def ask(client: helicone_lite.Client, content: str = "What is diabetes?", **kwargs: Any) -> Any:
    """One chat call with the cache on (unless ``extra_headers`` says otherwise)."""
    kwargs.setdefault("extra_headers", CACHE)
    kwargs.setdefault("model", "gpt-4o-mini")
    return client.chat.completions.create(messages=[{"role": "user", "content": content}], **kwargs)


def status(response: Any) -> str | None:
    value: str | None = response.headers.get("Helicone-Cache")
    return value
