"""Fixtures for the retry/fallback tests (helpers live in retry_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from retry_helpers import Clock, Driver, MakeClient, timing

import helicone_lite
from helicone_lite.testing import FakeProvider


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """Each test using it runs twice: on ``Client`` and on ``AsyncClient``."""
    drive = Driver(request.param == "async")
    yield drive
    drive.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_client(fake_provider: FakeProvider, home: Path, clock: Clock) -> MakeClient:
    """``make_client(async_=False, **kwargs)``: a client on the fake, time from ``clock``."""

    def make(async_: bool = False, **kwargs: Any) -> Any:
        cls = helicone_lite.AsyncClient if async_ else helicone_lite.Client
        options = {
            "api_key": "sk-test",
            "base_url": fake_provider.openai_base_url,
            "home": home,
            **timing(clock),
        }
        options.update(kwargs)
        return cls(**options)

    return make
