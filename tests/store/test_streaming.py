"""Streamed reads on both engines: ``Store.query_stream``, ``query_iter``, the reports'
``Reader.iterate`` and ``helicone-lite query`` piped hand over rows before the statement has
finished. The proof is a statement that fails at its 5,000th row: its first rows must arrive
(and the failure only when the stream reaches it). A client-side PostgreSQL cursor would run
the statement to the end (and fail) before giving a single row. On PostgreSQL the stream is
a named (server-side) cursor on a connection of its own, seen from the server while open."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections.abc import Iterator

import pytest

from helicone_lite.cli import main
from helicone_lite.reports._sql import Reader
from helicone_lite.store import Store, StoreError

#: 10,000 rows; the 5,000th fails (abs() of the smallest 64-bit integer overflows, on both
#: engines). No ORDER BY: nothing makes either engine read every row before the first.
FAILS_AT_5000 = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 10000) "
    "SELECT x, abs(CASE WHEN x = 5000 THEN CAST(-9223372036854775808 AS BIGINT) "
    "ELSE CAST(x AS BIGINT) END) AS y FROM n"
)


@pytest.fixture
def any_store(database: str) -> Iterator[Store]:
    s = Store(database)
    yield s
    s.close()


def test_query_stream_gives_rows_before_the_statement_fails(any_store: Store) -> None:
    names, rows = any_store.query_stream(FAILS_AT_5000)
    assert names == ["x", "y"]
    first = [next(rows) for _ in range(1000)]
    assert first[0] == (1, 1) and first[-1] == (1000, 1000)
    with pytest.raises(StoreError, match="query failed"):
        for _ in rows:
            pass


def test_query_iter_and_reader_iterate_stream(any_store: Store) -> None:
    rows = any_store.query_iter(FAILS_AT_5000)
    assert next(rows) == {"x": 1, "y": 1}
    rows.close()
    tuples = Reader(any_store).iterate(FAILS_AT_5000)
    assert [next(tuples) for _ in range(3)] == [(1, 1), (2, 2), (3, 3)]
    with pytest.raises((StoreError, sqlite3.OperationalError), match=r"overflow|out of range"):
        list(tuples)  # (the reports' own connection on SQLite: sqlite3's error)


def test_query_stream_keeps_the_read_only_guard(any_store: Store) -> None:
    with pytest.raises(StoreError, match="read-only"):
        any_store.query_stream("DELETE FROM requests")


@pytest.mark.parametrize("fmt", ["--json", "--csv", None])
def test_cli_query_piped_prints_rows_as_they_come(any_store: Store, fmt: str | None) -> None:
    """Piped (not a terminal), the rows before the failing one are printed already when the
    command reports the failure (exit 2); reading them all first would print none."""
    out, err = io.StringIO(), io.StringIO()
    location = any_store.url if any_store.engine != "sqlite" else str(any_store.path.parent)
    option = "--database-url" if any_store.engine != "sqlite" else "--home"
    argv = [option, location, "query", FAILS_AT_5000, *([fmt] if fmt else [])]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 2 and "query failed" in err.getvalue()
    lines = out.getvalue().splitlines()
    if fmt == "--json":
        assert json.loads(lines[0]) == {"x": 1, "y": 1} and len(lines) >= 4000
    else:
        sep = "," if fmt == "--csv" else "\t"
        assert lines[:2] == [f"x{sep}y", f"1{sep}1"] and len(lines) >= 4000


def test_postgresql_streams_through_a_named_cursor_on_its_own_connection(
    any_store: Store,
) -> None:
    if any_store.engine == "sqlite":
        pytest.skip("server-side cursors are PostgreSQL's")
    import psycopg

    from helicone_lite.store._pg_store import STREAM_CURSOR, STREAM_ROWS

    watch = (
        "SELECT state, query FROM pg_stat_activity "
        "WHERE starts_with(query, 'FETCH') AND strpos(query, %s) > 0 "
        "AND pid <> pg_backend_pid()"
    )
    names, rows = any_store.query_stream("SELECT x FROM generate_series(1, 100000) AS x")
    assert next(rows) == (1,)
    with psycopg.connect(any_store.url, autocommit=True) as observer:
        [(state, query)] = observer.execute(watch, (STREAM_CURSOR,)).fetchall()
        assert state == "idle in transaction"  # the cursor is open, between two FETCHes
        assert f"FETCH FORWARD {STREAM_ROWS}" in query
    assert names == ["x"] and sum(1 for _ in rows) == 100000 - 1
