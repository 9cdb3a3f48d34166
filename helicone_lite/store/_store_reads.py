"""The Store's read-only SQL (``query``, ``query_page``, ``query_iter``, ``query_stream``): each
statement on a pooled read-only connection, under the guard of ``_readonly``."""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._errors import StoreError
from ._readonly import QUERY_SECONDS, ReadOnlyConnection, translate_error

if TYPE_CHECKING:
    from pathlib import Path

    from ._database import Database
    from ._pool import ThreadConnections

__all__ = ["Params", "StoreReads"]

Params = Sequence[Any] | Mapping[str, Any]
_FETCH_SIZE = 256


class StoreReads:
    """The read half of :class:`~helicone_lite.store.Store` (a mixin: it reads the store's
    path, database, reader pool and closed flag)."""

    path: Path
    _closed: bool
    _db: Database
    _readers: ThreadConnections[ReadOnlyConnection]

    def query(
        self, sql: str, params: Params = (), *, timeout: float | None = QUERY_SECONDS
    ) -> list[dict[str, Any]]:
        """Run one read-only SQL statement; rows as dicts (column name -> value).

        Anything that would write (INSERT/UPDATE/DELETE, DDL, ATTACH, pragma assignments,
        transactions) raises StoreError("query is read-only: ..."); so do SQL errors, a
        statement running longer than ``timeout`` seconds, and functions such as
        ``load_extension`` or ``fts3_tokenizer``. Sees committed data only: ``flush()`` first
        to include rows still queued.
        """
        conn, cursor = self._read_cursor(sql, params, timeout)
        try:
            names = _column_names(cursor)
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except sqlite3.Error as exc:
            raise translate_error(conn, exc) from exc
        finally:
            cursor.close()

    def query_page(
        self, sql: str, *, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """``(columns, rows, truncated)`` of one read-only statement (the guard of ``query``),
        at most ``max_rows`` rows, interrupted after ``timeout`` seconds: a SQL page such as
        the dashboard's, on either engine."""
        conn, cursor = self._read_cursor(sql, (), timeout)
        try:
            rows = cursor.fetchmany(max_rows + 1)
            names = _column_names(cursor)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise translate_error(conn, exc) from exc
        finally:
            cursor.close()
        return names, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows

    def query_iter(self, sql: str, params: Params = ()) -> Iterator[dict[str, Any]]:
        """Like ``query`` but streams rows (for exports). The statement runs (and fails)
        at once; rows are fetched as the iterator is consumed."""
        conn, cursor = self._read_cursor(sql, params)
        return _iterate(conn, cursor)

    def query_stream(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> tuple[list[str], Generator[tuple[Any, ...], None, None]]:
        """``(columns, rows)`` of one read-only statement (the guard of ``query``), its rows
        (tuples) fetched as the iterator is consumed, so memory stays flat whatever the
        result's size. ``timeout`` (seconds, None: no limit) bounds each fetch of rows (on
        PostgreSQL each ``FETCH`` of a server-side cursor), not a slow reader of them."""
        conn, cursor = self._read_cursor(sql, params, timeout)
        return _column_names(cursor), _tuples(conn, cursor, timeout)

    def _read_cursor(
        self, sql: str, params: Params, timeout: float | None = None
    ) -> tuple[ReadOnlyConnection, sqlite3.Cursor]:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        if self._db.failure is not None:
            raise StoreError(self._db.failure)
        try:
            conn = self._readers.get()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path} for reading: {exc}") from exc
        conn.start(timeout)
        try:
            return conn, conn.execute(sql, params)
        except (sqlite3.Error, sqlite3.Warning) as exc:
            raise translate_error(conn, exc) from exc


def _column_names(cursor: sqlite3.Cursor) -> list[str]:
    return [column[0] for column in cursor.description or ()]


def _iterate(conn: ReadOnlyConnection, cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = _column_names(cursor)
    rows = _tuples(conn, cursor)
    try:
        for row in rows:
            yield dict(zip(names, row, strict=True))
    finally:
        rows.close()


def _tuples(
    conn: ReadOnlyConnection, cursor: sqlite3.Cursor, timeout: float | None = None
) -> Generator[tuple[Any, ...], None, None]:
    """``cursor``'s rows; ``timeout`` is re-armed for each fetch (a slow reader of the rows
    is not the statement's time)."""
    try:
        while True:
            if timeout is not None:
                conn.start(timeout)
            try:
                rows = cursor.fetchmany(_FETCH_SIZE)
            except (sqlite3.Error, sqlite3.Warning) as exc:
                raise translate_error(conn, exc) from exc
            if not rows:
                return
            yield from rows
    finally:
        cursor.close()
