"""Fixtures for the retry/fallback tests (helpers live in retry_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from retry_helpers import Clock, Driver, MakeClient, timing

import helicone_lite


@pytest.fixture(params=["sync", "async"])
def driver(request: pytest.FixtureRequest) -> Iterator[Driver]:
    """Each test using it runs twice: on ``Client`` and on ``AsyncClient``."""
    drive = Driver(request.param == "async")
    yield drive
    drive.close()


@pytest.fixture
def make_client(client_options: dict[str, Any], clock: Clock) -> MakeClient:
    """``make_client(async_=False, **kwargs)``: a client with the plugin's ``client_options``,
    every wait and clock read on ``clock``."""

    def make(async_: bool = False, **kwargs: Any) -> Any:
        cls = helicone_lite.AsyncClient if async_ else helicone_lite.Client
        return cls(**{**client_options, **timing(clock), **kwargs})

    return make
