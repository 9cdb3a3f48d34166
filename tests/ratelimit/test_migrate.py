"""The bucket file's migration fails cleanly: the real error, never "cannot rollback - no
transaction is active" (seen as a flake in test_race[local]), and the next call migrates."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from helicone_lite.ratelimit import LocalBuckets
from helicone_lite.ratelimit._bucket import Bucket


def _interrupt_create(conn: sqlite3.Connection) -> None:
    """Interrupt the migration's CREATE TABLE (inside its transaction): SQLite then rolls
    the whole transaction back itself, as it does after an I/O error or an interrupt."""
    state = {"armed": False, "fired": False}

    def trace(statement: str) -> None:
        state["armed"] = state["armed"] or statement.lstrip().startswith("CREATE TABLE")

    def handler() -> int:
        if state["armed"] and not state["fired"]:
            state["fired"] = True
            return 1
        return 0

    conn.set_trace_callback(trace)
    conn.set_progress_handler(handler, 1)


def test_a_migration_rolled_back_by_sqlite_raises_its_own_error(tmp_path: Path) -> None:
    path = tmp_path / "ratelimit.db"
    conn = sqlite3.connect(path, isolation_level=None)
    buckets = LocalBuckets(path)
    _interrupt_create(conn)
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        buckets._migrate(conn)
    assert not conn.in_transaction
    conn.close()
    # not marked ready: the next connection migrates and decisions work
    bucket = Bucket(
        key="k", policy="10;w=60", shown="10;w=60", segment="global", unit="request",
        capacity=10, window=60, amount=1,
    )  # fmt: skip
    assert buckets.take([bucket], 0.0).admitted
    assert [s.policy for s in buckets.states(0.0)] == ["10;w=60"]
