"""Fixtures for the core tests: a client and an async client on the fake provider (built with
the package's pytest plugin: ``make_client`` / ``make_aclient`` close them after the test)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import helicone_lite
from helicone_lite.testing.pytest_plugin import KEY

__all__ = ["KEY", "MESSAGES", "rows"]


@pytest.fixture
def client(make_client: Callable[..., helicone_lite.Client]) -> helicone_lite.Client:
    return make_client()


@pytest.fixture
async def aclient(
    make_aclient: Callable[..., helicone_lite.AsyncClient],
) -> helicone_lite.AsyncClient:
    return make_aclient()


def rows(
    client: Any, sql: str = "SELECT * FROM requests ORDER BY created_at, rowid"
) -> list[dict[str, Any]]:
    client.flush()
    result: list[dict[str, Any]] = client.store.query(sql)
    return result


MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
