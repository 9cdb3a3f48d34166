"""Committing batches of log rows to PostgreSQL (the writer's ``Sink`` for a database URL).

Rows are prepared exactly as for SQLite (``RowPreparer``: side tables, JSON text, cost) and
grouped by statement; each group is ``COPY``'d into a session-local staging table and moved
with one ``INSERT ... SELECT`` (``_dialect.StagedInsert``): one statement per table and no
client-side parsing of a 500-row statement (which took 60 % of the writer's time with
multi-row ``INSERT ... VALUES``; those remain the fallback for a batch COPY refuses, then row
by row for a bad row). Requests end in ``ON CONFLICT DO NOTHING`` (SQLite's ``INSERT OR
IGNORE``: a logged row is never overwritten), side tables in
``ON CONFLICT (<primary key>) DO UPDATE`` (``INSERT OR REPLACE``): a batch written twice (a
replayed spill journal, a retry after a lost COMMIT acknowledgement) leaves the same rows,
once.

From schema v7 the transaction also keeps the hourly rollups: the requests insert records
the rows it really inserted (``RETURNING``, so not the ones ``DO NOTHING`` skipped) in a
session-local table, and four grouped upserts, ordered by key, add them to the rollups
just before the commit (``_rollup_batch.py``), under a transaction-scoped advisory lock that
the rollup triggers take too: a cache hit and its original logged by two processes at once
are then counted as one would count them in turn. From v11 the same table of new requests
feeds three inserts of the batch's fact rows, before the lock (``_facts_schema.py``).

A batch's fixed server cost (benchmarks/README.md, "The PostgreSQL batch's fixed cost"):
its closing statements are prepared once per session (``_pg_plans.py``), those without
input skipped and the insert triggers not called when the batch counts everything itself
(``_pg_batch.py``), its temporary tables emptied by the kind that suits its pace
(``_pg_temp.py``).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from ._dialect import StagedInsert
from ._errors import Reporter, StoreError
from ._facts_schema import PG_FACTS_ON
from ._pacing import no_pace
from ._pg_batch import (
    PG_WRITER_ON,
    Needs,
    closing_statements,
    only_new,
    outside_properties,
    wanted,
)
from ._pg_plans import ALL, BatchPlans
from ._pg_temp import TempTables
from ._postgres import PgDatabase, bind
from ._rollup_batch import (
    NEW_REQUESTS,
    PG_BATCH_JOINS,
    PG_BATCH_NO_JIT,
    PG_BATCH_ON,
    PG_NEW_REQUESTS_TABLE,
    capture,
    capture_counted,
)
from ._rollup_sessions import PG_SESSIONS_ON
from ._rows import Item, PreparedRow, RowPreparer, group_by_sql
from ._schema import (
    FACTS_BY_WRITER_VERSION,
    ROLLUP_BATCH_VERSION,
    SESSION_ROLLUP_VERSION,
)
from ._sink import Outcome
from ._sink_rollups import first_of_each, table_of

__all__ = ["PostgresSink"]

_MAX_PARAMS = 65_535


class PostgresSink:
    """Writes batches on the writer thread through its own connection.

    One transaction per batch. A lost connection or a server error is retried ``retries``
    times with exponential backoff on a fresh connection, then the batch is dropped (counted,
    reported once). A row the server refuses (a value out of range, text with NUL) is dropped
    alone: the batch is replayed row by row, each row under a savepoint.
    """

    def __init__(
        self,
        db: PgDatabase,
        reporter: Reporter,
        *,
        retries: int,
        retry_backoff: float,
        sleep: Callable[[float], None],
    ) -> None:
        self._db = db
        self._reporter = reporter
        self._retries = retries
        self._backoff = retry_backoff
        self._sleep = sleep
        self._raw: Any = None
        self._preparer: RowPreparer | None = None
        self._inherited: list[Any] = []
        errors = db.psycopg
        self._row_errors: tuple[type[BaseException], ...] = (
            errors.DataError,
            errors.IntegrityError,
            errors.ProgrammingError,
            ValueError,
            TypeError,
            OverflowError,
        )
        self._rollups = False  # the schema has v7 (the writer keeps the rollups)
        self._plans = BatchPlans([])  # the schema's statements: set by _prepare
        self._present: Needs | None = ALL  # the closing statements' inputs (None: no rows)
        self._quiet = False  # the batch sets helicone_lite.writer (``_pg_batch.py``)
        self._temp = TempTables()  # how its temporary tables are emptied (``_pg_temp.py``)
        self._lost_plans = errors.errors.InvalidSqlStatementName
        self._begin = f"{PG_BATCH_NO_JIT}; {PG_NEW_REQUESTS_TABLE}; {PG_BATCH_ON}"
        self.commit_lock = threading.Lock()
        self._held = 0.0  # seconds the last batch's transaction took

    def write_batch(
        self, items: list[Item], *, retry: bool = True, pace: Callable[[], None] = no_pace
    ) -> Outcome:
        """Store ``items``; never raises for database trouble. One attempt if not ``retry``.
        ``pace()`` runs between the rows prepared in Python (the writer's release points)."""
        attempts = 1 + self._retries if retry else 1
        prepared: list[PreparedRow] | None = None
        rejected = errors = 0
        last: BaseException | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                if prepared is None:
                    prepared, rejected = self._prepare(items, pace)
                dropped = rejected + self._commit(prepared)
            except StoreError as exc:
                errors, last = errors + 1, exc
                self.close()
                continue
            except self._db.psycopg.Error as exc:
                errors, last = errors + 1, exc
                self.close()
                continue
            return Outcome(len(items) - dropped, dropped, errors, False, self._held)
        self._reporter.warn_once(
            "write-failed",
            "helicone_lite store: could not write to %s (%s); dropped %d row(s). Later failures"
            " are counted in Store.stats()['dropped'] and not logged again.",
            self._db.location,
            self._db.scrub(last) if last is not None else "unknown error",
            len(items),
        )
        return Outcome(0, len(items), errors, failed=True)

    def _prepare(
        self, items: list[Item], pace: Callable[[], None] = no_pace
    ) -> tuple[list[PreparedRow], int]:
        columns = self._db.initialize()
        if self._preparer is None:
            self._preparer = RowPreparer(columns, self._reporter)
            version = self._db.version or 0
            self._rollups = version >= ROLLUP_BATCH_VERSION
            self._plans.set_statements(closing_statements(version))
            if version >= FACTS_BY_WRITER_VERSION:
                self._begin += f"; {PG_FACTS_ON}"
            if version >= SESSION_ROLLUP_VERSION:
                self._begin += f"; {PG_SESSIONS_ON}"
        prepared: list[PreparedRow] = []
        rejected = 0
        for table, row in items:
            try:
                prepared.append(self._preparer.prepare(table, row))
            except Exception as exc:
                rejected += 1
                self._report_rejected(exc)
            pace()
        return prepared, rejected

    def _commit(self, prepared: list[PreparedRow]) -> int:
        self._held = 0.0
        if not prepared:
            return 0
        raw = self._connection()
        if self._rollups:  # (before taking the lock: a read)
            prepared = first_of_each(prepared, lambda ids: self._logged(raw, ids))
        groups = group_by_sql(prepared)
        self._quiet = self._rollups and not outside_properties(prepared)
        with self.commit_lock:
            try:
                return self._write(raw, prepared, groups)
            except self._lost_plans:  # prepared statements gone: prepare anew, or text
                self._plans.lost()
                return self._write(raw, prepared, groups)

    def _write(
        self, raw: Any, prepared: list[PreparedRow], groups: dict[str, list[tuple[Any, ...]]]
    ) -> int:
        """One transaction for the batch (COPY, else multi-row INSERTs, else row by row);
        the number of rows rejected."""
        began = time.perf_counter()
        rows = len(prepared)
        try:
            for write in (self._copy_all, self._insert_all):
                try:
                    self._present = ALL  # (the COPY path finds out)
                    with raw.transaction():
                        self._begin_batch(raw, rows, quiet=write == self._copy_all)
                        write(raw, groups)
                        self._finish(raw, rows)
                    self._committed(began)
                    return 0
                except self._lost_plans:
                    raise
                except self._row_errors:
                    self._plans.forget()
                    continue  # a value COPY cannot take, or a bad row: the next way
            self._present = ALL
            with raw.transaction():
                self._begin_batch(raw, rows)
                rejected = self._insert_one_by_one(raw, prepared)
                self._finish(raw, rows)
        except BaseException:
            self._plans.forget()
            raise
        self._committed(began)
        return rejected

    def _committed(self, began: float) -> None:
        self._held = time.perf_counter() - began
        self._temp.committed()
        if self._temp.renew:  # the batches changed pace: a session of the other kind
            self.close()

    @staticmethod
    def _logged(raw: Any, ids: list[str]) -> set[str]:
        """The ids already in ``requests``. Not prepared: a generic plan made while the
        store was small (a scan of ``requests``) would be kept while it grows."""
        sql = "SELECT id FROM requests WHERE id = ANY(%s)"
        return {row[0] for row in raw.execute(sql, [ids], prepare=False).fetchall()}

    def _begin_batch(self, raw: Any, rows: int, *, quiet: bool = False) -> None:
        """The batch's transaction keeps the rollups: the insert triggers stand aside (with
        ``quiet``, when the batch allows it, they are not even called: ``_pg_batch.py``)."""
        self._temp.begin(raw, rows, [NEW_REQUESTS] if self._rollups else [])
        if self._rollups:
            begin = f"{self._begin}; {PG_WRITER_ON}" if quiet and self._quiet else self._begin
            raw.execute(self._temp.create(begin))

    def _finish(self, raw: Any, rows: int) -> None:
        """The batch's fact and rollup statements, prepared once (``_pg_plans.py``), those
        with input only; its temporary tables emptied if the session's kind wants it."""
        script = [self._temp.closing()]
        if self._rollups and self._present is not None:  # (joins by index: PG_BATCH_JOINS)
            first, closing = self._plans.script(raw, rows, self._present)
            for statement in first:
                raw.execute(statement)
            script[:0] = [PG_BATCH_JOINS, closing]
        if any(script):
            raw.execute(";\n".join(part for part in script if part))

    def _inserting(self, table: str, statement: str) -> str:
        """``statement``, recording the requests it inserts when the writer keeps the rollups."""
        return capture(statement) if self._rollups and table == "requests" else statement

    def _copy_all(self, raw: Any, groups: dict[str, list[tuple[Any, ...]]]) -> None:
        """Each statement shape: COPY into its staging table, then one INSERT ... SELECT.

        The staging table is created in the transaction when missing (a session-local
        table, so this also works behind a transaction-pooling proxy) and emptied by the
        commit or by the batch's last statement (``_pg_temp.py``). COPY parses text with
        the column's type, stricter than a bound parameter (a float for an integer column
        is refused): such a batch takes ``_insert_all``.
        """
        properties = any(table_of(sql) == "request_properties" for sql in groups)
        inserted, scored, with_properties = 0, False, properties
        with raw.cursor() as cursor:
            for sql, rows in sorted(groups.items(), key=_requests_first):
                plan = self._copy(cursor, sql, rows)
                self._temp.touch(f"pg_temp.{plan.stage}")
                if self._rollups and plan.table == "requests":  # (sorted: before the rest)
                    cursor.execute(capture_counted(plan.insert, properties=not properties))
                    count, scores, *earlier = cursor.fetchone()
                    inserted, scored = inserted + count, scored or scores
                    with_properties = with_properties or any(earlier)
                elif self._quiet and plan.table == "request_properties":
                    cursor.execute(only_new(plan))
                else:
                    cursor.execute(plan.insert)
        self._present = wanted(inserted, scored, with_properties)

    def _copy(self, cursor: Any, sql: str, rows: list[tuple[Any, ...]]) -> StagedInsert:
        """``rows`` of statement ``sql`` COPY'd into its staging table; its plan."""
        plan = self._db.dialect.staged(sql)
        if plan.keys:
            rows = _last_per_key(rows, plan.keys)
        cursor.execute(self._temp.create(plan.create_stage))
        with cursor.copy(plan.copy) as copy:
            for row in rows:
                copy.write_row(bind(row))
        return plan

    def _insert_all(self, raw: Any, groups: dict[str, list[tuple[Any, ...]]]) -> None:
        for sql, rows in groups.items():
            self._insert_many(raw, sql, rows)

    def _insert_many(self, raw: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
        width = max(1, len(rows[0]))
        chunk = max(1, _MAX_PARAMS // width)
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            statement, keys = self._db.dialect.multirow(sql, len(part))
            if keys:
                unique = {tuple(r[i] for i in keys): r for r in part}
                if len(unique) < len(part):
                    part = list(unique.values())
                    statement, _ = self._db.dialect.multirow(sql, len(part))
            params = [value for row in part for value in bind(row) or ()]
            raw.execute(self._inserting(table_of(sql), statement), params)

    def _insert_one_by_one(self, raw: Any, prepared: list[PreparedRow]) -> int:
        rejected = 0
        for statements in prepared:
            try:
                with raw.transaction():  # a savepoint
                    for sql, params in statements:
                        self._insert_many(raw, sql, [params])
            except self._row_errors as exc:
                rejected += 1
                self._report_rejected(exc)
        return rejected

    def _report_rejected(self, exc: BaseException) -> None:
        self._reporter.warn_once(
            "row-rejected",
            "helicone_lite store: a row could not be stored and was dropped (%s: %s); later"
            " ones are counted in Store.stats()['dropped'] and not logged again.",
            type(exc).__name__,
            self._db.scrub(exc),
        )

    def _connection(self) -> Any:
        raw = self._raw
        if raw is None or raw.closed or raw.broken:
            self.close()
            raw = self._raw = self._db.raw_connect()
        return raw

    def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()

    def after_fork_child(self) -> None:
        if self._raw is not None:
            self._inherited.append(self._raw)  # closing it here would end the parent's session
            self._raw = None
        self.commit_lock = threading.Lock()


def _requests_first(group: tuple[str, list[Any]]) -> bool:
    """Sort key: the requests' inserts first (they capture the new requests the others
    read)."""
    return table_of(group[0]) != "requests"


def _last_per_key(rows: list[tuple[Any, ...]], keys: tuple[int, ...]) -> list[tuple[Any, ...]]:
    unique = {tuple(row[i] for i in keys): row for row in rows}
    return rows if len(unique) == len(rows) else list(unique.values())
