"""Fixtures for the prompt tests: a registry on a bare store, clients on the fake provider."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import helicone_lite
from helicone_lite.prompts import PromptRegistry
from helicone_lite.prompts._layer import Prompts
from helicone_lite.testing import Clock, FakeProvider
from helicone_lite.testing.pytest_plugin import KEY, MakeClient, rows

__all__ = ["KEY", "TRIAGE_SYSTEM", "Clock", "prompts_layer", "rows", "sent"]

TRIAGE_SYSTEM = (
    "You are a medical triage assistant for {{hc:department:string}}. Classify urgency as: "
    "EMERGENCY, URGENT, STANDARD, or LOW-PRIORITY. Give rationale."
)


@pytest.fixture
def store(database: str) -> Iterator[helicone_lite.Store]:
    s = helicone_lite.Store(database)  # once per engine (SQLite, PostgreSQL)
    yield s
    s.close()


@pytest.fixture
def registry(store: helicone_lite.Store, clock: Clock) -> PromptRegistry:
    return PromptRegistry(store, clock=clock)


@pytest.fixture
def client_options(client_options: dict[str, Any], clock: Clock) -> dict[str, Any]:
    """The plugin's, on the injected clock (epoch and monotonic)."""
    return {**client_options, "clock": clock, "monotonic": clock}


@pytest.fixture
def client(make_client: MakeClient, database: str) -> helicone_lite.Client:
    """The plugin's client, once per engine (SQLite, PostgreSQL)."""
    return make_client(database_url=database)


def sent(fake: FakeProvider) -> dict[str, Any]:
    """The JSON body of the last request the provider received."""
    body: dict[str, Any] = fake.last_request.json
    return body


def prompts_layer(client: Any) -> Prompts:
    return next(layer for layer in client._helicone_runtime.stack if isinstance(layer, Prompts))
