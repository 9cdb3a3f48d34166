"""The SQLite writer's grouped inserts as multi-row ``INSERT ... VALUES (...), (...), ...``.

``executemany`` runs a statement once per row: a reset, the bindings, one ``sqlite3_step``
(the GIL released and taken back around it), and each step opens and closes a cursor on the
table and on every one of its indexes (``requests``: ten). One statement of ``CHUNK_ROWS``
rows binds the same values but steps once: the cursors stay open and positioned from one
row to the next. Measured on real calls' rows (benchmarks/README.md, "Writer, 6"): the
``requests`` insert and the ``request_properties`` one ~1.5-2 µs a row cheaper together.

The rows are inserted in the order given (``VALUES`` rows are inserted in order, so the
rowids are log order as with ``executemany``); ``INSERT OR IGNORE`` / ``OR REPLACE`` treat
a row exactly as its own statement would, including a repeat of an id within the chunk. A
group's last rows that do not fill a chunk go through ``executemany`` (no statement is
compiled per leftover size). A row error stops the statement as it stops ``executemany``;
the sink then replays the batch row by row.
"""

from __future__ import annotations

import sqlite3
from itertools import chain
from typing import Any

__all__ = ["CHUNK_ROWS", "MultiRowInserter"]

#: rows per statement (measured: 50, 100 and 200 alike, 8 dearer than ``executemany``)
CHUNK_ROWS = 100

#: SQLite's bound parameters per statement before 3.32 (a build may lower its limit)
_OLD_VARIABLE_LIMIT = 999


class MultiRowInserter:
    """Runs a statement group (one single-row ``INSERT ... VALUES (?, ...)`` and its rows'
    parameter tuples) as chunks of one multi-row statement; the chunk statements' text is
    made once per single-row statement and connection limit."""

    __slots__ = ("_rows", "_texts")

    def __init__(self, rows: int = CHUNK_ROWS) -> None:
        self._rows = rows
        self._texts: dict[str, tuple[str, int]] = {}  # single-row SQL -> (chunk SQL, rows)

    def insert(self, conn: sqlite3.Connection, sql: str, params: list[tuple[Any, ...]]) -> int:
        """Insert every row of ``params``; the rows the database changed (``rowcount``)."""
        text, rows = self._chunk(conn, sql, len(params[0]) if params else 1)
        count = len(params)
        done = changed = 0
        if rows > 1:
            while count - done >= rows:
                cursor = conn.execute(text, list(chain.from_iterable(params[done : done + rows])))
                changed += cursor.rowcount
                done += rows
        if done < count:
            cursor = conn.executemany(sql, params[done:] if done else params)
            changed += cursor.rowcount
        return changed

    def _chunk(self, conn: sqlite3.Connection, sql: str, width: int) -> tuple[str, int]:
        known = self._texts.get(sql)
        if known is None:
            getlimit = getattr(conn, "getlimit", None)  # Python 3.11+
            limit = (
                getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # type: ignore[attr-defined]
                if getlimit is not None
                else _OLD_VARIABLE_LIMIT
            )
            rows = max(1, min(self._rows, limit // max(width, 1)))
            head, found, values = sql.partition(" VALUES ")
            if not found or not values.startswith("(") or not values.endswith(")"):
                rows = 1  # not a single-row VALUES statement: executemany as it is
            known = self._texts[sql] = (f"{head} VALUES {', '.join([values] * rows)}", rows)
        return known
