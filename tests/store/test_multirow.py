"""The SQLite writer's multi-row inserts (``_multirow.py``): the same stored rows as one
``executemany`` per shape, in fewer statements."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helicone_lite.store import Store
from helicone_lite.store._database import Database
from helicone_lite.store._errors import Reporter
from helicone_lite.store._multirow import CHUNK_ROWS, MultiRowInserter
from helicone_lite.store._sink import SqliteSink

RowFactory = Callable[..., dict[str, Any]]

#: every table the writer writes or counts into, each in a stable order
_TABLES = {
    "requests": "rowid",
    "request_properties": "request_id, name",
    "property_facts": "name, value, created_at, id",
    "rollup_models": "hour, model, provider, nulls",
    "rollup_users": "user_id, nulls, hour",
    "rollup_properties": "name, value, hour",
    "rollup_status": "hour, model, provider, nulls, status",
    "rollup_sessions": "session_id",
    "rollup_property_models": "name, model, provider, nulls, value, hour",
}


def _batch(make_row: RowFactory, count: int) -> list[tuple[str, dict[str, Any]]]:
    """``count`` rows of three shapes (a cache hit's row lacks a miss's columns), varied
    users, sessions, properties, latencies and costs."""
    items = []
    for n in range(count):
        row = make_row(
            id=f"r{n:05d}",
            user_id=f"u{n % 7}",
            session_id=f"s{n % 5}",
            latency_ms=1.5 * n,
            cost_usd=n / 3e5,
            properties={"team": f"t{n % 3}", "n": str(n)},
        )
        if n % 50 == 7:
            row["cache_status"] = "HIT"
        items.append(("requests", row))
    return items


def _written(path: Path, items: list[tuple[str, dict[str, Any]]], rows: int) -> dict[str, Any]:
    """Every table after ``items`` went through a sink whose chunks are ``rows`` rows
    (1: one ``executemany`` per shape, as before the multi-row inserts)."""
    db = Database(path, busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=lambda _: None)
    sink._multirow = MultiRowInserter(rows, frozenset({"requests", "request_properties"}))
    outcome = sink.write_batch([(t, dict(r)) for t, r in items])
    sink.close()
    assert (outcome.written, outcome.dropped) == (len(items), 0)
    reader = Store(path)
    try:
        return {
            table: [
                tuple(r) for r in reader.query(f"SELECT {rowid}* FROM {table} ORDER BY {order}")
            ]
            for table, order in _TABLES.items()
            for rowid in ["rowid, " if table == "requests" else ""]
        }
    finally:
        reader.close()


def test_chunks_store_what_executemany_stores(tmp_path: Path, make_row: RowFactory) -> None:
    """A batch of 2.5 chunks of three shapes (``requests`` chunked too, here): the same rows, rowids (log order), side rows,
    facts and rollups as one ``executemany`` per shape."""
    items = _batch(make_row, CHUNK_ROWS * 5 // 2)
    chunked = _written(tmp_path / "chunked.db", items, CHUNK_ROWS)
    single = _written(tmp_path / "single.db", items, 1)
    assert chunked == single
    assert len(chunked["requests"]) == len(items)
    assert len(chunked["request_properties"]) == 2 * len(items)


def test_a_batch_steps_once_per_chunk(tmp_path: Path, make_row: RowFactory) -> None:
    """250 requests of one property: the ``request_properties`` insert runs as two
    statements of 100 rows and 50 single-row ones (the leftover), not 250 (what
    ``executemany`` would step); the ``requests`` insert stays one step a row."""
    db = Database(tmp_path / "log.db", busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=lambda _: None)
    sink.write_batch([("requests", make_row())])  # created and migrated
    traced: list[str] = []
    sink._connection().set_trace_callback(traced.append)
    rows = [("requests", make_row(id=f"r{n:03d}", properties={"a": "1"})) for n in range(250)]
    assert sink.write_batch(rows).written == 250
    sink.close()
    inserts = [sql for sql in traced if sql.startswith("INSERT OR IGNORE INTO requests")]
    properties = [sql for sql in traced if sql.startswith("INSERT OR REPLACE INTO request_prop")]
    assert len(inserts) == 250
    assert len(properties) == 2 + 50


def test_duplicates_in_a_chunk_as_separate_statements() -> None:
    """``INSERT OR IGNORE`` within one chunk: a repeated key keeps its first row and is not
    counted, as with ``executemany``; ``OR REPLACE`` keeps the last."""
    results = []
    for rows in (4, 1):
        conn = sqlite3.connect(":memory:")
        conn.execute("CREATE TABLE t (k TEXT PRIMARY KEY, v INTEGER)")
        inserter = MultiRowInserter(rows, frozenset({"t"}))
        params = [("a", 1), ("b", 2), ("a", 3), ("c", 4), ("b", 5), ("d", 6)]
        ignored = inserter.insert(conn, "INSERT OR IGNORE INTO t (k, v) VALUES (?, ?)", params)
        kept = conn.execute("SELECT k, v FROM t ORDER BY rowid").fetchall()
        conn.execute("DELETE FROM t")
        inserter.insert(conn, "INSERT OR REPLACE INTO t (k, v) VALUES (?, ?)", params)
        replaced = conn.execute("SELECT k, v FROM t ORDER BY k").fetchall()
        results.append((ignored, kept, replaced))
    assert results[0] == results[1]
    assert results[0] == (
        4,
        [("a", 1), ("b", 2), ("c", 4), ("d", 6)],
        [("a", 3), ("b", 5), ("c", 4), ("d", 6)],
    )


def test_chunks_stay_under_the_connection_variable_limit() -> None:
    """A connection that allows 10 bound parameters: chunks of 3 three-column rows."""
    conn = sqlite3.connect(":memory:")
    if not hasattr(conn, "setlimit"):  # Python 3.10: the limit is not readable either
        return
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)
    conn.execute("CREATE TABLE t (a, b, c)")
    traced: list[str] = []
    conn.set_trace_callback(traced.append)
    sql = "INSERT INTO t (a, b, c) VALUES (?, ?, ?)"
    assert (
        MultiRowInserter(tables=frozenset({"t"})).insert(conn, sql, [(n, n, n) for n in range(8)])
        == 8
    )
    inserts = [s for s in traced if s.startswith("INSERT")]
    assert [s.count("(") for s in inserts] == [4, 4, 2, 2]  # 3 + 3 rows, then 2 alone
    assert conn.execute("SELECT a FROM t ORDER BY rowid").fetchall() == [(n,) for n in range(8)]


def test_a_rejected_row_drops_alone(tmp_path: Path, make_row: RowFactory) -> None:
    """A value SQLite cannot bind in the middle of a chunk (``requests`` chunked here): the
    batch is replayed row by row and only that row is dropped."""
    db = Database(tmp_path / "log.db", busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=lambda _: None)
    sink._multirow = MultiRowInserter(tables=frozenset({"requests", "request_properties"}))
    items = [("requests", make_row(id=f"r{n:03d}")) for n in range(CHUNK_ROWS + 20)]
    items[42][1]["status"] = 2**70  # too large for SQLite's integers
    outcome = sink.write_batch(items)
    sink.close()
    assert (outcome.written, outcome.dropped) == (len(items) - 1, 1)
    reader = Store(tmp_path / "log.db")
    try:
        ids = [r["id"] for r in reader.query("SELECT id FROM requests ORDER BY rowid")]
    finally:
        reader.close()
    assert ids == [f"r{n:03d}" for n in range(CHUNK_ROWS + 20) if n != 42]
