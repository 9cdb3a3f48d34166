"""Committing batches of rows to SQLite, with retries and per-row isolation of bad rows."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._database import Database
from ._errors import Reporter, StoreError, is_busy
from ._multirow import MultiRowInserter
from ._pacing import no_pace
from ._rows import Item, PreparedRow, RowPreparer, group_in_order
from ._schema import (
    FACTS_BY_WRITER_VERSION,
    PROPERTY_MODELS_VERSION,
    ROLLUP_BATCH_VERSION,
    SESSION_ROLLUP_VERSION,
    STATUS_ROLLUP_VERSION,
)
from ._sink_rollups import SqliteRollups, split_loose, table_of

__all__ = ["Outcome", "SqliteSink"]

# Errors caused by one row's content; retrying the batch cannot help, isolating the row does.
_ROW_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.IntegrityError,
    sqlite3.InterfaceError,
    sqlite3.ProgrammingError,
    sqlite3.DataError,
    ValueError,
    TypeError,
    OverflowError,
)


# The writer's page cache. Inserts touch the right edge of every index plus random pages of
# (user_id, created_at); keeping those in memory saves reads once the file outgrows SQLite's
# default 2 MiB. Bounded, so memory stays flat under sustained load.
WRITER_CACHE_KIB = 16 * 1024

# Pages the WAL may hold before the writer's commit checkpoints it into the database file
# (SQLite's default: 1,000). A sustained load dirties ~4-5 pages per row, most of them
# leaves of indexes with random keys (user, latency, cost, tokens) and the same interior and
# right-edge pages batch after batch: a checkpoint copies each page once however many
# commits wrote it since the last one, so checkpointing 8x less often copies fewer pages
# (COMMIT ~35 -> ~30 µs a row at 100,000 rows, benchmarks/README.md). The WAL file then
# stays up to ~32 MiB (plus the largest batch) on disk, reused from its start after each
# checkpoint; memory is not affected (its index in the -shm file: ~8 bytes a page).
WRITER_CHECKPOINT_PAGES = 8_000


@dataclass(frozen=True)
class Outcome:
    written: int
    dropped: int
    errors: int
    failed: bool  # the whole batch was dropped after its attempts
    held: float = 0.0  # seconds the committed transaction held the write lock (0: unknown)


class SqliteSink:
    """Writes batches on the writer thread through the writer's own connection.

    A batch is one ``BEGIN IMMEDIATE`` transaction with one ``executemany`` per statement
    shape (``request_properties`` in multi-row chunks: ``_multirow.py``), then (schema v7)
    grouped upserts that add the requests it inserted to the hourly rollups and (v11) one
    insert of their property facts (``_sink_rollups.py``). "Database is locked" (beyond the
    busy timeout), a read-only file, a full disk and other failures are retried ``retries``
    times with exponential backoff, then the batch is reported as failed (the writer spills
    it). A row the database rejects (constraint, unbindable value) is dropped alone: the
    batch is replayed row by row, each under a savepoint.

    The file's identity (device, inode) is checked before and after every commit: a store
    deleted or replaced underneath the writer is reopened (and re-created and migrated), and
    a batch that went to the orphaned file is committed again to the new one.
    """

    def __init__(
        self,
        db: Database,
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
        self._conn: sqlite3.Connection | None = None
        self._preparer: RowPreparer | None = None
        self._inherited: list[sqlite3.Connection] = []
        self._identity: tuple[int, int] | None = None
        self._rollups: SqliteRollups | None = None  # from schema v7: the writer counts
        self._multirow = MultiRowInserter()
        self._held = 0.0  # seconds the last commit held the write lock (BEGIN to COMMIT)
        # Held while a transaction is open; fork waits for it (see Store._before_fork).
        self.commit_lock = threading.Lock()

    def write_batch(
        self, items: list[Item], *, retry: bool = True, pace: Callable[[], None] = no_pace
    ) -> Outcome:
        """Store ``items``; never raises for database trouble. One attempt if not ``retry``.
        ``pace()`` runs between the rows prepared in Python (the writer's release points)."""
        attempts = 1 + self._retries if retry else 1
        prepared: list[PreparedRow] | None = None
        rejected = errors = 0
        last: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                self._sleep(self._backoff * 2 ** (attempt - 1))
            try:
                if prepared is None:
                    prepared, rejected = self._prepare(items, pace)
                dropped = rejected + self._commit(prepared)
                if self._conn is not None and self._identity != _identity(self._db.path):
                    self._report_moved()
                    self.close()  # committed to a file no longer there: again, to the new one
                    errors += 1
                    continue
            except StoreError as exc:  # the store is unusable: retrying cannot help
                errors, last = errors + 1, exc
                break
            except sqlite3.Error as exc:
                errors, last = errors + 1, exc
                self._after_error(exc)
                continue
            return Outcome(len(items) - dropped, dropped, errors, False, self._held)
        self._reporter.warn_once(
            "write-failed",
            "helicone_lite store: could not write to %s (%s); %d row(s) go to the spill journal"
            " and are written when it works again. Later failures are counted in"
            " Store.stats() and not logged again.",
            self._db.path,
            last,
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
            if version >= ROLLUP_BATCH_VERSION:
                self._rollups = SqliteRollups(
                    facts=version >= FACTS_BY_WRITER_VERSION,
                    status=version >= STATUS_ROLLUP_VERSION,
                    sessions=version >= SESSION_ROLLUP_VERSION,
                    property_models=version >= PROPERTY_MODELS_VERSION,
                    # (rollup_property_users is PostgreSQL's: PROPERTY_USERS_OFF_MIGRATION)
                )
        prepared: list[PreparedRow] = []
        rejected = 0
        for table, row in items:
            try:
                prepared.append(self._preparer.prepare(table, row))
            except Exception as exc:  # user data that cannot be stored: drop that row only
                rejected += 1
                self._report_rejected(exc)
            pace()
        return prepared, rejected

    def _commit(self, prepared: list[PreparedRow]) -> int:
        self._held = 0.0
        if not prepared:
            return 0
        conn = self._connection()
        rollups = self._rollups
        main, loose = split_loose(prepared) if rollups is not None else (prepared, [])
        with self.commit_lock:
            try:
                conn.execute("BEGIN IMMEDIATE")
                locked = time.perf_counter()  # (BEGIN may have waited: not held yet)
                mark = rollups.first_rowid(conn) if rollups is not None else 0
                if mark is not None and self._insert_grouped(conn, main, rollups is not None):
                    rejected = 0
                    if rollups is not None:
                        rollups.count_range(conn, mark)
                else:  # a row rejected or (with rollups) a request skipped: row by row
                    conn.execute("ROLLBACK")
                    conn.execute("BEGIN IMMEDIATE")
                    rejected, inserted = self._insert_one_by_one(conn, main)
                    if rollups is not None:
                        rollups.count_ids(conn, inserted)
                if rollups is not None and loose:
                    rejected += rollups.write_loose(conn, loose, _ROW_ERRORS, self._report_rejected)
                conn.execute("COMMIT")
                self._held = time.perf_counter() - locked
            except BaseException:
                _rollback_quietly(conn)
                raise
        return rejected

    def _insert_grouped(
        self, conn: sqlite3.Connection, prepared: list[PreparedRow], whole: bool
    ) -> bool:
        """One ``executemany`` (or multi-row chunks: ``_multirow.py``) per run of one shape;
        False if a row was rejected or, when ``whole``, a request row was skipped
        (``INSERT OR IGNORE``: already logged)."""
        wanted = inserted = 0
        insert = self._multirow.insert
        try:
            for sql, params in group_in_order(prepared):
                changed = insert(conn, sql, params)
                if whole and table_of(sql) == "requests":
                    wanted += len(params)
                    inserted += changed
        except _ROW_ERRORS:
            return False
        return inserted == wanted

    def _insert_one_by_one(
        self, conn: sqlite3.Connection, prepared: list[PreparedRow]
    ) -> tuple[int, list[str]]:
        """Each row under a savepoint; (rows rejected, ids of the requests inserted). A
        request already logged keeps its row and side rows: this one's are not written."""
        rejected = 0
        inserted: list[str] = []
        rollups = self._rollups
        for statements in prepared:
            conn.execute("SAVEPOINT row")
            try:
                new_id = None
                for i, (sql, params) in enumerate(statements):
                    cursor = conn.execute(sql, params)
                    if i == 0 and rollups is not None:
                        new_id = rollups.request_id(sql, params)
                        if new_id is not None and cursor.rowcount == 0:
                            new_id = None
                            break
                if new_id is not None:
                    inserted.append(new_id)
            except _ROW_ERRORS as exc:
                conn.execute("ROLLBACK TO row")
                rejected += 1
                self._report_rejected(exc)
            conn.execute("RELEASE row")
        return rejected, inserted

    def _report_rejected(self, exc: Exception) -> None:
        self._reporter.warn_once(
            "row-rejected",
            "helicone_lite store: a row could not be stored and was dropped (%s: %s); later"
            " ones are counted in Store.stats()['dropped'] and not logged again.",
            type(exc).__name__,
            exc,
        )

    def _report_moved(self) -> None:
        self._reporter.warn_once(
            "file-moved",
            "helicone_lite store: %s was deleted or replaced while in use; reopened it",
            self._db.path,
        )

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None and self._identity != _identity(self._db.path):
            self._report_moved()
            self.close()
        if self._conn is None:
            conn = self._db.connect(cache_kib=WRITER_CACHE_KIB)
            try:
                self._db.prepare_file(conn)
                conn.execute(f"PRAGMA wal_autocheckpoint = {WRITER_CHECKPOINT_PAGES}")
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            self._identity = _identity(self._db.path)
        return self._conn

    def _after_error(self, exc: sqlite3.Error) -> None:
        # A busy database is fine to retry on the same connection; after anything else
        # (I/O error, file replaced, connection closed) start again with a fresh one.
        if not is_busy(exc):
            self.close()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    def after_fork_child(self) -> None:
        if self._conn is not None:
            self._inherited.append(self._conn)  # never used nor closed in the child
            self._conn = None
        self.commit_lock = threading.Lock()


def _identity(path: os.PathLike[str]) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass
