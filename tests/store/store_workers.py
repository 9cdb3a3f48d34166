"""Helpers shared by the store tests, importable by spawned child processes."""

from __future__ import annotations

import multiprocessing.synchronize
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

from helicone_lite.store import Store


def request_row(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "created_at": "2026-11-26T23:55:17.123Z",
        "kind": "chat",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "status": 200,
        "prompt_tokens": 12,
        "completion_tokens": 30,
        "total_tokens": 42,
        "latency_ms": 412.5,
        "user_id": "patient-7829",
        "session_id": "s-1",
        "request_body": {"messages": [{"role": "user", "content": "What is diabetes?"}]},
        "response_body": {"choices": [{"message": {"content": "A condition..."}}]},
    }
    row.update(overrides)
    return row


def blocked_writer(store: Store, **overrides: Any) -> threading.Event:
    """Park the store's writer thread inside a row's cost hook until the event is set.

    The parked row is in a batch of its own; rows written meanwhile queue up behind it and
    are taken together as the next batch.
    """
    gate, entered = threading.Event(), threading.Event()

    def cost() -> None:
        entered.set()
        gate.wait()

    store.write("requests", request_row(_cost=cost, **overrides))
    assert entered.wait(60)
    return gate


def write_rows(path: str, count: int, tag: str, start: Any = None, flush: bool = True) -> int:
    """Child process body: open the store, write ``count`` rows tagged ``tag``."""
    if start is not None:
        start.wait()
    store = Store(path)
    for i in range(count):
        store.write("requests", request_row(user_id=tag, properties={"i": i}))
    if flush:
        drained = store.flush()
        store.close()
        return 0 if drained and store.stats()["dropped"] == 0 else 1
    return 0


def open_store(path: str, start: multiprocessing.synchronize.Event, results: Any) -> None:
    """Child process body for the migration race: open (and so migrate) at the same moment."""
    start.wait()
    store = Store(path)
    results.put((store.degraded, store.schema_version))
    store.close()


def count(path: Path, table: str = "requests") -> int:
    """Rows in ``table``, read through a fresh connection (not the store's)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        conn.close()
