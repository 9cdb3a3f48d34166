"""SQLite: the writer's share of the hourly rollups (schema v7), per batch.

``SqliteSink`` writes a batch in one transaction; this adds what the batch inserted:

* **fast path** (every request row of the batch was new): the batch's requests are the
  rows with ``rowid >= mark`` (``mark``: ``max(rowid) + 1`` read under the write lock
  before the inserts), counted in grouped upserts (one per rollup);
* **slow path** (a request row was skipped by ``INSERT OR IGNORE``: a replayed spill
  journal, an id logged twice; or a row rejected): the batch is written again row by row,
  a skipped request's side rows (properties, attempts) are not written (the logged row
  stands as it was, with its own), and the ids really inserted are counted;
* a ``request_properties`` row written on its own (``Store.write("request_properties",
  ...)``) is written after that, each with v6's trigger logic as plain statements: its old
  value leaves the rollup, its new one enters.

From schema v11 each path also writes the fact rows (``property_facts``) of what it wrote,
with the same batch bounds (``_facts_schema.py``).

Rollups then equal a recount from ``requests`` after any mix of batches, replays and
rejections (tests/reports/test_rollups.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from typing import Any

from ._facts_schema import ids_batch_facts, loose_property_facts, sqlite_batch_facts
from ._rollup_batch import (
    ROWID_LIMIT,
    SQLITE_IDS,
    SQLITE_RANGE,
    ids_batch_upserts,
    property_change,
    sqlite_batch_upserts,
)
from ._rollup_property_models import SPLIT as PROPERTY_MODELS
from ._rollup_property_users import SPLIT as PROPERTY_USERS
from ._rollup_sessions import ids_batch_sessions, sqlite_batch_sessions
from ._rows import PreparedRow, Statement

__all__ = ["SqliteRollups", "columns_of", "first_of_each", "split_loose", "table_of"]

#: errors one row's content causes (the sink's list, repeated: the sink imports this module)
RowErrors = tuple[type[Exception], ...]


def table_of(sql: str) -> str:
    """The table of an ``INSERT [OR ...] INTO t (...)`` statement."""
    return sql.split(" INTO ", 1)[1].split(" ", 1)[0].split("(", 1)[0]


def columns_of(sql: str) -> list[str]:
    """The column list of an ``INSERT ... INTO t (a, b, ...)`` statement."""
    return [c.strip() for c in sql.split("(", 1)[1].split(")", 1)[0].split(",")]


def split_loose(prepared: list[PreparedRow]) -> tuple[list[PreparedRow], list[Statement]]:
    """(the batch without its standalone ``request_properties`` rows, those rows)."""
    main: list[PreparedRow] = []
    loose: list[Statement] = []
    for statements in prepared:
        if len(statements) == 1 and table_of(statements[0][0]) == "request_properties":
            loose.append(statements[0])
        else:
            main.append(statements)
    return main, loose


def _id_position(sql: str, cache: dict[str, int]) -> int:
    """Where a ``requests`` insert has its id among its parameters (-1: another table)."""
    at = cache.get(sql)
    if at is None:
        names = columns_of(sql) if table_of(sql) == "requests" else []
        at = cache[sql] = names.index("id") if "id" in names else -1
    return at


def first_of_each(
    prepared: list[PreparedRow], logged: Callable[[list[str]], set[str]]
) -> list[PreparedRow]:
    """The batch without the request rows (and their side rows) whose id ``logged(ids)``
    reports as already stored, nor the repeats of an id within the batch: the logged (or
    first) row stands with its own properties and attempts, as on SQLite's slow path."""
    cache: dict[str, int] = {}
    ids: list[str | None] = []
    for statements in prepared:
        sql, params = statements[0]
        at = _id_position(sql, cache)
        ids.append(None if at < 0 else params[at])
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return prepared
    seen = set(logged(wanted))
    if not seen and len(set(wanted)) == len(wanted):
        return prepared
    kept: list[PreparedRow] = []
    for request_id, statements in zip(ids, prepared, strict=True):
        if request_id is not None:
            if request_id in seen:
                continue
            seen.add(request_id)
        kept.append(statements)
    return kept


class SqliteRollups:
    """The statements of the three paths above, built once per sink; with ``facts`` (schema
    v11) each path also adds the fact rows of what it wrote (``_facts_schema.py``); with
    ``status`` (``STATUS_ROLLUP_VERSION``) it counts ``rollup_status`` too, with
    ``sessions`` (``SESSION_ROLLUP_VERSION``) the batch's sessions (``_rollup_sessions.py``),
    with ``property_models`` (``PROPERTY_MODELS_VERSION``) ``rollup_property_models``, with
    ``property_users`` (``PROPERTY_USERS_VERSION``) ``rollup_property_users``."""

    def __init__(
        self,
        facts: bool = False,
        status: bool = False,
        sessions: bool = False,
        property_models: bool = False,
        property_users: bool = False,
    ) -> None:
        self._range = sqlite_batch_upserts(status=status)
        self._ids = ids_batch_upserts(status=status)
        if sessions:
            self._range += sqlite_batch_sessions()
            self._ids += ids_batch_sessions()
        self._before, self._after = property_change()
        splits = [(property_models, PROPERTY_MODELS), (property_users, PROPERTY_USERS)]
        for split in (split for kept, split in splits if kept):
            self._range.append(split.batch_upsert(SQLITE_RANGE))
            self._ids.append(split.batch_upsert(SQLITE_IDS))
            before, after = split.loose_change()
            self._before, self._after = self._before + before, self._after + after
        if facts:
            before, after = loose_property_facts()
            self._range += sqlite_batch_facts()
            self._ids += ids_batch_facts()
            self._before, self._after = self._before + before, self._after + after
        self._id_at: dict[str, int] = {}

    @staticmethod
    def first_rowid(conn: sqlite3.Connection) -> int | None:
        """The rowid the batch's first request will get (None near SQLite's limit, where
        rowids are chosen at random: the slow path counts such a batch)."""
        top = conn.execute("SELECT max(rowid) FROM requests").fetchone()[0] or 0
        return None if top >= ROWID_LIMIT else int(top) + 1

    def count_range(self, conn: sqlite3.Connection, mark: int) -> None:
        params = {"mark": mark}
        for sql in self._range:
            conn.execute(sql, params)

    def count_ids(self, conn: sqlite3.Connection, ids: list[str]) -> None:
        if ids:
            params = {"ids": json.dumps(ids)}
            for sql in self._ids:
                conn.execute(sql, params)

    def request_id(self, sql: str, params: tuple[Any, ...]) -> str | None:
        """The id in the parameters of a ``requests`` insert (None for other tables)."""
        at = _id_position(sql, self._id_at)
        return None if at < 0 else params[at]

    def write_loose(
        self,
        conn: sqlite3.Connection,
        loose: list[Statement],
        errors: RowErrors,
        on_reject: Callable[[Exception], None],
    ) -> int:
        """Write standalone property rows, each moving its rollup figures; rejected count."""
        rejected = 0
        for sql, params in loose:
            row = dict(zip(columns_of(sql), params, strict=True))
            named = {k: row.get(k) for k in ("request_id", "name", "value")}
            conn.execute("SAVEPOINT loose")
            try:
                for statement in self._before:
                    conn.execute(statement, named)
                conn.execute(sql, params)
                for statement in self._after:
                    conn.execute(statement, named)
            except errors as exc:
                conn.execute("ROLLBACK TO loose")
                rejected += 1
                on_reject(exc)
            conn.execute("RELEASE loose")
        return rejected
