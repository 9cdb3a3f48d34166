"""The SQLite writer's side-table inserts as multi-row ``INSERT ... VALUES (...), (...), ...``.

``executemany`` runs a statement once per row: a reset, the bindings, one ``sqlite3_step``
(the GIL released and taken back around it), and each step opens and closes a cursor on the
table and on each of its indexes. One statement of ``CHUNK_ROWS`` rows binds the same values
but steps once: the cursors stay open and positioned from one row to the next.

Only for the tables in ``CHUNKED_TABLES`` (``request_properties``): measured on real calls'
rows and on ``bench_writer``'s growing store (benchmarks/README.md, "Writer, 6"), its insert
is ~0.5-0.8 µs a request cheaper. **Not for ``requests``**: on a fresh store whose batch
keys append to a few pages its insert is ~1.5 µs a row cheaper, but on a growing store with
random keys (users, latencies, costs) +5 to +11 µs a row dearer. A table with an expression
index (``requests``: ``substr(created_at, 1, 10)``) shows the same in isolation (random keys,
OR IGNORE: chunks of 100 +3 to +10 µs a row with such an index, ±1 without); our reading: a
statement that writes several rows and may fail half-way keeps a statement journal, which
copies every page the statement changes before its first change. Small chunks (4-16 rows)
are dearer than ``executemany`` on real rows; 50-200 rows alike.

The rows are inserted in the order given (``VALUES`` rows are inserted in order); ``INSERT
OR IGNORE`` / ``OR REPLACE`` treat a row exactly as its own statement would, including a
repeat of a key within the chunk. A group's last rows that do not fill a chunk go through
``executemany`` (no statement is compiled per leftover size). A row error stops the
statement as it stops ``executemany``; the sink then replays the batch row by row.
"""

from __future__ import annotations

import sqlite3
from itertools import chain
from typing import Any

__all__ = ["CHUNKED_TABLES", "CHUNK_ROWS", "MultiRowInserter"]

#: rows per statement (measured: 50, 100 and 200 alike, 8 dearer than ``executemany``)
CHUNK_ROWS = 100

#: the tables whose groups go in chunks (see above for why not ``requests``)
CHUNKED_TABLES = frozenset({"request_properties"})

#: SQLite's bound parameters per statement before 3.32 (a build may lower its limit)
_OLD_VARIABLE_LIMIT = 999


class MultiRowInserter:
    """Runs a statement group (one single-row ``INSERT ... VALUES (?, ...)`` and its rows'
    parameter tuples) as chunks of one multi-row statement; the chunk statements' text is
    made once per single-row statement and connection limit. Statements of other tables
    than ``tables`` run as one ``executemany``."""

    __slots__ = ("_rows", "_tables", "_texts")

    def __init__(self, rows: int = CHUNK_ROWS, tables: frozenset[str] = CHUNKED_TABLES) -> None:
        self._rows, self._tables = rows, tables
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
            table = head.partition(" INTO ")[2].partition(" ")[0]
            single = not (found and values.startswith("(") and values.endswith(")"))
            if single or table not in self._tables or rows == 1:
                known = (sql, 1)  # executemany as it is
            else:
                known = (f"{head} VALUES {', '.join([values] * rows)}", rows)
            self._texts[sql] = known
        return known
