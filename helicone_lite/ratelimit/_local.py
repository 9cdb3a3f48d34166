"""Bucket state in a SQLite file of its own, exact across threads, asyncio tasks and processes.

Every decision is one write transaction (read the call's buckets, decide, write them): SQLite's
write lock serialises all deciders on the machine, so two processes can never both take the
last token. A call with one bucket (the common case) decides in a single ``INSERT … ON CONFLICT
DO UPDATE … WHERE <enough tokens> RETURNING`` statement, which SQLite runs as its own write
transaction (the same lock as ``BEGIN IMMEDIATE``, one statement instead of four); several
buckets, and a refusal (to report the level exactly), take an explicit ``BEGIN IMMEDIATE``. The file is ``<home>/ratelimit.db``, apart from the request log, so
limiter and log writer never wait on each other. One connection per thread, never reused
after ``fork`` (as diskcache does); a bounded busy timeout, so a stuck lock is an error, not a
hang.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from .._errors import HeliconeLiteError
from .._files import private_file
from ..store._database import ensure_wal
from ._bucket import EPSILON, Bucket, BucketState, Decision, decide, full_at, refill, settle

__all__ = ["BackendError", "LocalBuckets"]

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS buckets (
    key       TEXT PRIMARY KEY,
    policy    TEXT NOT NULL,
    segment   TEXT NOT NULL,
    capacity  REAL NOT NULL,
    window_s  INTEGER NOT NULL,
    tokens    REAL NOT NULL,
    updated   REAL NOT NULL,
    full_at   REAL NOT NULL
) WITHOUT ROWID
"""
_UPSERT = """
INSERT INTO buckets (key, policy, segment, capacity, window_s, tokens, updated, full_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(key) DO UPDATE SET tokens = excluded.tokens, updated = excluded.updated,
    full_at = excluded.full_at
"""
# One bucket in one statement. In ``DO UPDATE`` every column names the stored (old) row, so
# ``_LEVEL`` is the bucket refilled to now, as ``_bucket.refill`` computes it (the same float
# operations in the same order: the stored levels equal the transactional path's). Written
# with names, run with numbered parameters (``_numbered``: binding by name costs a lookup per
# parameter); ``_params`` gives the values in this order.
# (change: the amount taken, or the delta settled)
_NAMES: tuple[str, ...] = ("key", "policy", "segment", "capacity", "window", "rate", "now")
_NAMES += ("tokens", "full_at", "change", "need")
_LEVEL = "min(:capacity, tokens + max(0.0, :now - updated) * :rate)"
_AT = "max(:now, updated)"
_TAKE_ONE = f"""
INSERT INTO buckets (key, policy, segment, capacity, window_s, tokens, updated, full_at)
VALUES (:key, :policy, :segment, :capacity, :window, :tokens, :now, :full_at)
ON CONFLICT(key) DO UPDATE SET tokens = {_LEVEL} - :change, updated = {_AT},
    full_at = {_AT} + max(0.0, :capacity - ({_LEVEL} - :change)) / :rate
WHERE {_LEVEL} >= :need
RETURNING tokens
"""
_ADJUST_ONE = f"""
INSERT INTO buckets (key, policy, segment, capacity, window_s, tokens, updated, full_at)
VALUES (:key, :policy, :segment, :capacity, :window, :tokens, :now, :full_at)
ON CONFLICT(key) DO UPDATE SET tokens = min(:capacity, {_LEVEL} - :change), updated = {_AT},
    full_at = {_AT} + max(0.0, :capacity - min(:capacity, {_LEVEL} - :change)) / :rate
RETURNING tokens
"""


def _numbered(sql: str) -> str:
    for index, name in sorted(enumerate(_NAMES, 1), key=lambda item: -len(item[1])):
        sql = sql.replace(f":{name}", f"?{index}")
    return sql


_TAKE_ONE, _ADJUST_ONE = _numbered(_TAKE_ONE), _numbered(_ADJUST_ONE)
#: forget full buckets once every this many decisions (a full bucket equals a missing one).
#: No index on full_at: it would double the pages each decision writes; pruning and listing
#: scan the (small) table instead.
_PRUNE_EVERY = 512


class BackendError(HeliconeLiteError):
    """The bucket store failed (locked past its timeout, unreachable, broken)."""


class LocalBuckets:
    """Token buckets in ``path`` (SQLite, WAL).

    >>> import tempfile, pathlib
    >>> store = LocalBuckets(pathlib.Path(tempfile.mkdtemp()) / "ratelimit.db")
    >>> store.states(0.0)
    []
    """

    def __init__(self, path: Path, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._inherited: list[sqlite3.Connection] = []
        self._ticks = itertools.count(1)
        self._ready = False

    def __repr__(self) -> str:
        return f"LocalBuckets({str(self.path)!r})"

    # --- connections ---

    def _connect(self) -> sqlite3.Connection:
        pid = os.getpid()
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == pid:
            return conn
        if conn is not None:  # inherited through fork: never touch it again, never close it
            self._inherited.append(conn)
        private_file(self.path)  # 0600 in a 0700 directory, whatever the umask
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            ensure_wal(conn, self._busy_timeout)
            conn.execute("PRAGMA synchronous=NORMAL")
            if not self._ready:
                self._migrate(conn)
        except BaseException:
            conn.close()  # not kept: the next call connects (and migrates) afresh
            raise
        self._local.conn, self._local.pid = conn, pid
        return conn

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if conn.execute("PRAGMA user_version").fetchone()[0] < _SCHEMA_VERSION:
                    for statement in filter(str.strip, _SCHEMA.split(";")):
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version={_SCHEMA_VERSION}")
                conn.execute("COMMIT")
            except BaseException:
                # SQLite may have rolled back already (an interrupt, an I/O error): a blind
                # ROLLBACK would then fail and hide the real error.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        self._ready = True

    @contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; any SQLite failure becomes :class:`BackendError`."""
        try:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
            raise

    # --- the backend interface ---

    def take(self, buckets: Sequence[Bucket], now: float) -> Decision:
        """Reserve every bucket's amount, or none of them."""
        if len(buckets) == 1:
            bucket, now = buckets[0], float(now)
            fresh = bucket.capacity - bucket.amount  # a missing bucket is full: always admits
            params = _params(bucket, now, fresh, bucket.amount, bucket.need - EPSILON)
            row = self._one(_TAKE_ONE, params)
            if row is not None:
                self._prune(now)
                return Decision(True, (row[0],))
            # refused, as of that statement: decide again in a transaction, for the exact
            # level and retry time (a call that freed room meanwhile is admitted after all)
        with self._immediate() as conn:
            stored = self._read(conn, buckets)
            levels = [_level(b, stored.get(b.key), now) for b in buckets]
            decision = decide(buckets, levels)
            if decision.admitted:
                self._write(conn, buckets, decision.tokens, stored, now)
            if next(self._ticks) % _PRUNE_EVERY == 0:
                conn.execute("DELETE FROM buckets WHERE full_at <= ?", (now,))
        return decision

    def _one(self, sql: str, params: tuple[object, ...]) -> tuple[float] | None:
        """Run one write statement as its own transaction; its one returned row, if any."""
        try:
            rows = self._connect().execute(sql, params).fetchall()  # all: the statement ends
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        return rows[0] if rows else None

    def _prune(self, now: float) -> None:
        """Forget full buckets now and then, after a decision committed on its own: a failure
        here is not the call's (it was admitted and charged); a later decision prunes."""
        if next(self._ticks) % _PRUNE_EVERY == 0:
            with suppress(sqlite3.Error, OSError):
                self._connect().execute("DELETE FROM buckets WHERE full_at <= ?", (now,))

    def adjust(self, changes: Sequence[tuple[Bucket, float]], now: float) -> tuple[float, ...]:
        """Charge each bucket ``delta`` more (refund when negative); the levels afterwards."""
        if len(changes) == 1:
            (bucket, delta), now = changes[0], float(now)
            fresh = settle(bucket.capacity, bucket.capacity, delta)
            row = self._one(_ADJUST_ONE, _params(bucket, now, fresh, delta))
            if row is not None:
                return (row[0],)
        buckets = [b for b, _ in changes]
        with self._immediate() as conn:
            stored = self._read(conn, buckets)
            levels = tuple(
                settle(_level(b, stored.get(b.key), now), b.capacity, delta) for b, delta in changes
            )
            self._write(conn, buckets, levels, stored, now)
        return levels

    def states(self, now: float) -> list[BucketState]:
        """Every bucket not yet full again (the live ones), for listing."""
        try:
            rows = (
                self._connect()
                .execute(
                    "SELECT key, policy, segment, capacity, window_s, tokens, updated "
                    "FROM buckets WHERE full_at > ? ORDER BY policy, segment",
                    (now,),
                )
                .fetchall()
            )
        except (sqlite3.Error, OSError) as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        return [BucketState(*row) for row in rows]

    def reset(self, policy: str | None = None, segment: str | None = None) -> int:
        """Forget (refill) the buckets of ``policy`` (and ``segment``); all when both are None."""
        clauses, params = [], []
        for column, value in (("policy", policy), ("segment", segment)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._immediate() as conn:
            return conn.execute(f"DELETE FROM buckets{where}", params).rowcount

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            self._local.conn = None
            conn.close()

    # --- helpers ---

    @staticmethod
    def _read(
        conn: sqlite3.Connection, buckets: Sequence[Bucket]
    ) -> dict[str, tuple[float, float]]:
        keys = [b.key for b in buckets]
        marks = ",".join("?" * len(keys))
        sql = f"SELECT key, tokens, updated FROM buckets WHERE key IN ({marks})"
        return {key: (tokens, updated) for key, tokens, updated in conn.execute(sql, keys)}

    @staticmethod
    def _write(
        conn: sqlite3.Connection,
        buckets: Sequence[Bucket],
        levels: Sequence[float],
        stored: dict[str, tuple[float, float]],
        now: float,
    ) -> None:
        rows = []
        for bucket, tokens in zip(buckets, levels, strict=True):
            at = max(now, stored[bucket.key][1]) if bucket.key in stored else now
            rows.append(
                (
                    bucket.key,
                    bucket.policy,
                    bucket.segment,
                    bucket.capacity,
                    bucket.window,
                    tokens,
                    at,
                    full_at(tokens, at, bucket.capacity, bucket.rate),
                )
            )
        conn.executemany(_UPSERT, rows)


def _params(bucket: Bucket, now: float, fresh: float, *change: float) -> tuple[object, ...]:
    """The parameters of ``_TAKE_ONE`` / ``_ADJUST_ONE``, in ``_NAMES`` order; ``fresh``: the
    level a missing (full) bucket gets; ``change``: the amount (and need), or the delta."""
    capacity, rate = bucket.capacity, bucket.rate
    at = full_at(fresh, now, capacity, rate)
    return (
        bucket.key,
        bucket.policy,
        bucket.segment,
        capacity,
        bucket.window,
        rate,
        now,
        fresh,
        at,
        *change,
    )


def _level(bucket: Bucket, stored: tuple[float, float] | None, now: float) -> float:
    if stored is None:
        return bucket.capacity
    tokens, updated = stored
    return refill(tokens, updated, now, bucket.capacity, bucket.rate)
