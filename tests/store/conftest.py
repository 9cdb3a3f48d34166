"""Fixtures for the store tests: real SQLite files under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from store_workers import request_row

from helicone_lite.store import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "home" / "helicone.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def make_row() -> Callable[..., dict[str, Any]]:
    return request_row


@pytest.fixture
def scripts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[Any, str]]]:
    """Every statement text the store's PostgreSQL connections send, with its connection."""
    from helicone_lite.store._postgres import PgDatabase

    seen: list[tuple[Any, str]] = []
    connect = PgDatabase.raw_connect

    def recording(self: PgDatabase) -> Any:
        raw = connect(self)
        execute = raw.execute

        def run(query: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append((raw, str(query)))
            return execute(query, *args, **kwargs)

        raw.execute = run  # type: ignore[method-assign]
        return raw

    monkeypatch.setattr(PgDatabase, "raw_connect", recording)
    yield seen
