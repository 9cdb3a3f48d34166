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
def make_client(client_options: dict[str, Any], clock: Clock) -> Iterator[MakeClient]:
    """``make_client(async_=False, **kwargs)``: a client with the plugin's ``client_options``,
    every wait and clock read on ``clock``; closed after the test."""
    made: list[Any] = []

    def make(async_: bool = False, **kwargs: Any) -> Any:
        cls = helicone_lite.AsyncClient if async_ else helicone_lite.Client
        made.append(cls(**{**client_options, **timing(clock), **kwargs}))
        return made[-1]

    yield make
    for client in made:
        if isinstance(client, helicone_lite.AsyncClient):
            # its HTTP connections belong to the test's event loop, gone by now: stop what
            # helicone_lite started (the log writer) and leave the connections to the collector
            client._helicone_runtime.close()
        else:
            client.close()
