"""Synchronous product writes: connect() and transaction()."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from helicone_lite.store import Store, StoreError


def test_connect_is_per_thread_and_configured(store: Store) -> None:
    conn = store.connect()
    assert store.connect() is conn
    other: list[sqlite3.Connection] = []
    t = threading.Thread(target=lambda: other.append(store.connect()))
    t.start()
    t.join()
    assert other[0] is not conn
    assert conn.isolation_level is None  # autocommit
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000


def test_transaction_commits(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO prompts (id, description) VALUES ('p', 'triage')")
        conn.execute("INSERT INTO prompt_versions (prompt_id, version) VALUES ('p', 1)")
    assert store.query("SELECT id FROM prompts") == [{"id": "p"}]
    assert not store.connect().in_transaction


def test_transaction_rolls_back_on_error(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO prompts (id) VALUES ('p')")
        raise RuntimeError("boom")
    assert store.query("SELECT id FROM prompts") == []
    assert not store.connect().in_transaction


def test_nested_transaction_is_a_savepoint(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO prompts (id) VALUES ('outer')")
        with pytest.raises(ValueError), store.transaction() as inner:
            inner.execute("INSERT INTO prompts (id) VALUES ('inner')")
            raise ValueError
        with store.transaction() as inner:
            inner.execute("INSERT INTO prompts (id) VALUES ('kept')")
    assert {r["id"] for r in store.query("SELECT id FROM prompts")} == {"outer", "kept"}


def test_read_modify_write_is_atomic_across_threads(store: Store) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO prompt_environments (prompt_id, environment, version) "
            "VALUES ('p', 'production', 0)"
        )

    def bump() -> None:
        for _ in range(50):
            with store.transaction() as conn:
                (version,) = conn.execute(
                    "SELECT version FROM prompt_environments WHERE prompt_id = 'p'"
                ).fetchone()
                conn.execute(
                    "UPDATE prompt_environments SET version = ? WHERE prompt_id = 'p'",
                    (version + 1,),
                )

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.query("SELECT version FROM prompt_environments") == [{"version": 200}]


def test_begin_is_retried_while_locked(db_path: Path) -> None:
    db_path.parent.mkdir()
    holder = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    backoffs: list[float] = []

    def sleep(seconds: float) -> None:
        backoffs.append(seconds)
        if len(backoffs) == 2:
            holder.execute("COMMIT")

    store = Store(db_path, busy_timeout=0.01, sleep=sleep)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        with store.transaction() as conn:
            conn.execute("INSERT INTO prompts (id) VALUES ('p')")
        assert backoffs == [0.1, 0.2]
        assert store.query("SELECT id FROM prompts") == [{"id": "p"}]
    finally:
        store.close()
        holder.close()


def test_begin_gives_up_with_store_error(db_path: Path) -> None:
    store = Store(db_path, busy_timeout=0.01, retries=2, sleep=lambda s: None)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"), store.transaction():
            pass
    finally:
        holder.close()
        store.close()


def test_connect_after_close_raises(store: Store) -> None:
    conn = store.connect()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.connect()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")  # the store closed it
