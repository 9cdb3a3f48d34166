"""Read-only SQL over the store (what the CLI's ``query`` command runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from store_workers import count

from helicone_lite.store import SCHEMA_VERSION, Store, StoreError

RowFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def filled(store: Store, make_row: RowFactory) -> Store:
    for i in range(5):
        store.write("requests", make_row(id=f"r{i}", model="gpt-4o" if i % 2 else "claude"))
    store.flush()
    return store


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO requests (id) VALUES ('x')",
        "UPDATE requests SET model = 'x'",
        "DELETE FROM requests",
        "DROP TABLE requests",
        "CREATE TABLE t (a)",
        "CREATE TEMP TABLE t (a)",
        "CREATE INDEX i ON requests (error)",
        "ALTER TABLE requests ADD COLUMN x",
        "REPLACE INTO prompts (id) VALUES ('x')",
        "ATTACH DATABASE ':memory:' AS other",
        "VACUUM INTO 'copy.db'",
        "VACUUM",
        "REINDEX",
        "ANALYZE",
        "PRAGMA user_version = 99",
        "PRAGMA query_only = OFF",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA writable_schema = ON",
        "BEGIN",
        "SAVEPOINT s",
        "WITH x AS (SELECT 1) DELETE FROM requests",
    ],
)
def test_query_refuses_writes(filled: Store, sql: str, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="read-only"):
        filled.query(sql)
    assert count(filled.path) == 5
    assert not (tmp_path / "copy.db").exists()
    assert filled.query("PRAGMA user_version") == [{"user_version": SCHEMA_VERSION}]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT count(*) AS n FROM requests", [{"n": 5}]),
        (
            "WITH m AS (SELECT model, count(*) AS n FROM requests GROUP BY model) "
            "SELECT * FROM m ORDER BY model",
            [{"model": "claude", "n": 3}, {"model": "gpt-4o", "n": 2}],
        ),
        (
            "SELECT json_extract(request_body, '$.messages[0].role') AS r FROM requests LIMIT 1",
            [{"r": "user"}],
        ),
        ("PRAGMA user_version", [{"user_version": SCHEMA_VERSION}]),
    ],
)
def test_query_reads(filled: Store, sql: str, expected: list[dict[str, Any]]) -> None:
    assert filled.query(sql) == expected


def test_introspection_is_allowed(filled: Store) -> None:
    columns = {r["name"] for r in filled.query("PRAGMA table_info(requests)")}
    assert {"id", "created_at", "cost_usd", "reply_headers"} <= columns
    same = {r["name"] for r in filled.query("SELECT name FROM pragma_table_info('requests')")}
    assert same == columns
    plan = filled.query("EXPLAIN QUERY PLAN SELECT * FROM requests WHERE user_id = 'u'")
    assert "idx_requests_user" in " ".join(str(r["detail"]) for r in plan)


def test_query_parameters(filled: Store) -> None:
    assert filled.query("SELECT id FROM requests WHERE id = ?", ["r3"]) == [{"id": "r3"}]
    assert filled.query("SELECT id FROM requests WHERE id = :id", {"id": "r4"}) == [{"id": "r4"}]


def test_query_errors_are_store_errors(filled: Store) -> None:
    with pytest.raises(StoreError, match="syntax error"):
        filled.query("SELEC 1")
    with pytest.raises(StoreError, match="no such table"):
        filled.query("SELECT * FROM nope")
    with pytest.raises(StoreError, match="one statement"):
        filled.query("SELECT 1; DELETE FROM requests")
    assert count(filled.path) == 5


def test_query_iter_streams_rows(filled: Store) -> None:
    rows = filled.query_iter("SELECT id FROM requests ORDER BY id")
    assert next(rows) == {"id": "r0"}
    assert [r["id"] for r in rows] == ["r1", "r2", "r3", "r4"]


def test_query_iter_refuses_at_once(filled: Store) -> None:
    with pytest.raises(StoreError, match="read-only"):
        filled.query_iter("DELETE FROM requests")


def test_query_sees_committed_rows_only(store: Store, make_row: RowFactory) -> None:
    store.write("requests", make_row())
    store.flush()
    assert store.query("SELECT count(*) AS n FROM requests") == [{"n": 1}]


def test_query_after_close_raises(filled: Store) -> None:
    filled.close()
    with pytest.raises(StoreError, match="closed"):
        filled.query("SELECT 1")
