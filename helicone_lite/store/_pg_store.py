"""The store on PostgreSQL: ``Store("postgresql://...")`` builds one of these.

The same interface and behaviour as the SQLite store (``_store.py``), with PostgreSQL's
machinery underneath:

* log rows go through the same ``BatchWriter`` to a :class:`PostgresSink`;
* ``connect()`` gives this thread's connection (autocommit) speaking the store's SQL;
* ``transaction()`` is ``BEGIN`` plus a transaction-scoped advisory lock: product writes
  (prompt deploys, scores, alert state) are serialised across every process and machine, as
  SQLite's ``BEGIN IMMEDIATE`` serialises them across processes on one machine, so a
  read-modify-write inside it is atomic;
* ``query()`` runs one statement (the extended protocol refuses a second one) that must start
  with SELECT/WITH/VALUES/TABLE/EXPLAIN/SHOW, inside a ``READ ONLY`` transaction that is rolled
  back, on a connection whose transactions default to read-only, under ``statement_timeout``.
  For untrusted users also connect with a role that has only SELECT (docs/scaling.md).

``PostgresStore(url, readonly=True)`` (the dashboard's view) migrates nothing (the schema
must be current), refuses ``write()``/``transaction()``, and its ``connect()`` gives a
connection whose transactions default to read-only.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from ._batching import MAX_HOLD, WriterOptions
from ._engine import Params, describe_url
from ._errors import Reporter, StoreError
from ._pg_sink import PostgresSink
from ._pool import ThreadConnections
from ._postgres import PgConnection, PgDatabase, bind
from ._readonly import QUERY_SECONDS
from ._spill import SpillJournal, fallback_directory
from ._store import Store
from ._writer import check_queue

__all__ = ["PostgresStore"]

#: pg_advisory_xact_lock key held by every ``transaction()`` ("hl-write" folded into a bigint)
TRANSACTION_LOCK = 0x686C2D7772697465
_READ_STATEMENTS = frozenset({"select", "with", "values", "table", "explain", "show"})
_FIRST_WORD = re.compile(r"^(?:\s+|--[^\n]*\n?|/\*.*?\*/|\()*([A-Za-z]+)", re.S)
#: the server-side cursor of ``query_stream`` (each on a connection of its own)
STREAM_CURSOR = "helicone_lite_stream"
#: rows per ``FETCH`` of a stream: one round trip each (fewer round trips than the 256 it
#: was; not measured against it), and at most this many rows held at a time
STREAM_ROWS = 2000


class PostgresStore(Store):
    """A :class:`Store` on a PostgreSQL database; see the module docstring.

    ``busy_timeout`` is the connect timeout (seconds); ``statement_timeout`` bounds each
    read-only query. ``on_connect`` is a SQLite hook and is ignored here.
    """

    engine = "postgresql"

    def __init__(
        self,
        path: Any,
        *,
        busy_timeout: float = 5.0,
        max_queue: int = 50_000,
        batch_size: int = 500,
        block_timeout: float = 0.1,
        retries: int = 3,
        retry_backoff: float = 0.1,
        group_rows: int = 256,
        group_wait: float = 0.2,
        backlog_rows: int = 0,  # (bigger batches under a backlog: measured on SQLite only)
        max_hold: float = MAX_HOLD,
        exit_timeout: float = 2.0,
        spill_max_bytes: int = 256 << 20,
        spill_fallback: str | os.PathLike[str] | None = None,
        probe_interval: float = 1.0,
        handle_sigterm: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_connect: Any = None,
        migrations: Sequence[str] | None = None,
        statement_timeout: float = 30.0,
        readonly: bool = False,
    ) -> None:
        check_queue(max_queue, batch_size, retries)
        url = str(path)
        extra = {} if migrations is None else {"migrations": migrations}
        self._pg = PgDatabase(
            url,
            connect_timeout=busy_timeout,
            statement_timeout=statement_timeout,
            readonly=readonly,
            **extra,
        )
        self.readonly = readonly
        self.url = url
        self.path = Path(self._pg.location)  # for messages only: there is no file
        self._retries = retries
        self._retry_backoff = retry_backoff
        self._sleep = sleep
        self._closed = False
        self._reporter = Reporter()
        self._pg.initialize()  # a bad URL or an unreachable server: StoreError, at once
        # The base class's attributes, typed for SQLite there; the same roles here.
        self._db = cast(Any, self._pg)
        self._conns = cast(Any, ThreadConnections(self._pg.connect))
        self._readers = cast(Any, ThreadConnections(self._pg.connect_readonly))
        self._sink = cast(
            Any,
            PostgresSink(
                self._pg, self._reporter, retries=retries, retry_backoff=retry_backoff, sleep=sleep
            ),
        )
        self._start_writer(
            _journal(url, spill_fallback, spill_max_bytes),
            WriterOptions(
                max_queue, batch_size, block_timeout, group_rows, group_wait, backlog_rows, max_hold
            ),
            probe_interval=probe_interval,
            monotonic=monotonic,
            exit_timeout=exit_timeout,
            handle_sigterm=handle_sigterm,
            # a fork waits for the writer's batch at most this long (PgDatabase has no busy
            # timeout: reading the SQLite one here made every fork's hook fail)
            fork_wait=busy_timeout + 1,
        )

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return f"<Store {self._pg.location!r} {state}>"

    @property
    def location(self) -> str:
        return self._pg.location

    # --- product data ---

    def connect(self) -> PgConnection:
        """This thread's connection (autocommit), speaking the store's SQL; see Store.connect.
        On a ``readonly`` store, one whose transactions are read-only
        (``default_transaction_read_only``) and time-limited (``statement_timeout``)."""
        self._require_ready()
        conns: ThreadConnections[Any] = self._readers if self.readonly else self._conns
        conn: PgConnection = conns.get()
        if conn.broken:
            conns.discard()
            conn = conns.get()
        return conn

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        """``BEGIN`` + the store's advisory lock ... ``COMMIT``; nested use is a savepoint."""
        if self.readonly:
            raise StoreError(f"store {self.location} is opened read-only")
        conn = self.connect()
        if conn.in_transaction:
            with self._savepoint(conn):
                yield conn
            return
        errors = self._pg.psycopg.Error
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT pg_advisory_xact_lock(?)", (TRANSACTION_LOCK,))
        except errors as exc:
            self._rollback(conn)
            raise StoreError(f"cannot write to {self.location}: {self._pg.scrub(exc)}") from exc
        try:
            yield conn
        except BaseException:
            self._rollback(conn)
            raise
        try:
            conn.execute("COMMIT")
        except errors as exc:
            self._rollback(conn)
            raise StoreError(f"commit to {self.location} failed: {self._pg.scrub(exc)}") from exc

    @contextmanager
    def _savepoint(self, conn: PgConnection) -> Iterator[None]:
        conn.execute("SAVEPOINT helicone_lite_nested")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK TO SAVEPOINT helicone_lite_nested")
            conn.execute("RELEASE SAVEPOINT helicone_lite_nested")
            raise
        conn.execute("RELEASE SAVEPOINT helicone_lite_nested")

    def _rollback(self, conn: PgConnection) -> None:
        try:
            if conn.in_transaction:
                conn.raw.execute("ROLLBACK")
        except self._pg.psycopg.Error:
            self._conns.discard()

    # --- read-only SQL ---

    def query(
        self, sql: str, params: Params = (), *, timeout: float | None = QUERY_SECONDS
    ) -> list[dict[str, Any]]:
        """One read-only statement; rows as dicts. See the module docstring for the guard.
        ``timeout`` (seconds) bounds it; None leaves the store's ``statement_timeout``."""
        conn = self._reader()
        raw = conn.raw
        try:
            raw.execute("BEGIN READ ONLY")
            if timeout is not None:
                raw.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            cursor = self._execute(raw, conn, sql, params)
            names = _names(cursor)
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except self._pg.psycopg.Error as exc:
            raise self._query_error(exc) from exc
        finally:
            self._end_read(conn)
        return rows

    def query_page(
        self, sql: str, *, timeout: float, max_rows: int
    ) -> tuple[list[str], list[tuple[Any, ...]], bool]:
        """``(columns, rows, truncated)`` of one read-only statement, at most ``max_rows``
        rows, stopped by the server after ``timeout`` seconds; see Store.query_page."""
        conn = self._reader()
        raw = conn.raw
        try:
            raw.execute("BEGIN READ ONLY")
            raw.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            cursor = self._execute(raw, conn, sql, ())
            names = _names(cursor)
            rows = [tuple(row) for row in cursor.fetchmany(max_rows + 1)]
        except self._pg.psycopg.errors.QueryCanceled:
            raise StoreError(f"query stopped after the {timeout:g} s time limit") from None
        except self._pg.psycopg.Error as exc:
            raise self._query_error(exc) from exc
        finally:
            self._end_read(conn)
        return names, rows[:max_rows], len(rows) > max_rows

    def query_iter(self, sql: str, params: Params = ()) -> Iterator[dict[str, Any]]:
        """Like ``query`` but streamed (``query_stream``), one dict per row."""
        names, rows = self.query_stream(sql, params)
        return _dicts(names, rows)

    def query_stream(
        self, sql: str, params: Params = (), *, timeout: float | None = None
    ) -> tuple[list[str], Generator[tuple[Any, ...], None, None]]:
        """``(columns, rows)`` of one read-only statement, its rows fetched as the iterator is
        consumed: a server-side (named) cursor on a connection of its own, in a ``READ ONLY``
        transaction, read ``STREAM_ROWS`` rows per ``FETCH`` (client memory stays flat
        whatever the result's size); the connection closes when the iterator ends or is
        closed. The statement is parsed and planned at once (a bad one fails here); errors
        while running arrive from the iterator. ``timeout`` (seconds) bounds each ``FETCH``;
        None leaves the store's ``statement_timeout``."""
        self._check_statement(sql)
        self._check_open()
        conn = self._pg.connect_readonly()
        try:
            conn.raw.execute("BEGIN READ ONLY")
            if timeout is not None:
                conn.raw.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            cursor = conn.raw.cursor(name=STREAM_CURSOR)
            cursor.execute(*conn.dialect.prepare(sql, bind(params)))
            names = _names(cursor)
        except self._pg.psycopg.Error as exc:
            conn.close()
            raise self._query_error(exc) from exc
        except BaseException:
            conn.close()
            raise
        return names, self._stream(conn, cursor)

    def _stream(self, conn: PgConnection, cursor: Any) -> Generator[tuple[Any, ...], None, None]:
        try:
            while True:
                try:
                    rows = cursor.fetchmany(STREAM_ROWS)
                except self._pg.psycopg.errors.QueryCanceled:
                    raise StoreError("query stopped by its time limit") from None
                except self._pg.psycopg.Error as exc:
                    raise self._query_error(exc) from exc
                if not rows:
                    return
                yield from rows
        finally:
            conn.close()

    def _reader(self) -> PgConnection:
        self._check_open()
        readers: ThreadConnections[Any] = self._readers
        conn: PgConnection = readers.get()
        if conn.broken or conn.in_transaction:
            readers.discard()
            conn = readers.get()
        return conn

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.location} is closed")

    def _execute(self, raw: Any, conn: PgConnection, sql: str, params: Params) -> Any:
        self._check_statement(sql)
        cursor = raw.cursor()
        # prepare=True: the extended protocol, which refuses more than one statement
        cursor.execute(*conn.dialect.prepare(sql, bind(params)), prepare=True)
        return cursor

    @staticmethod
    def _check_statement(sql: str) -> None:
        match = _FIRST_WORD.match(sql)
        word = match.group(1).lower() if match else ""
        if word not in _READ_STATEMENTS:
            shown = word.upper() or "an empty statement"
            raise StoreError(f"query is read-only: {shown} is not allowed")

    def _end_read(self, conn: PgConnection) -> None:
        try:
            conn.raw.execute("ROLLBACK")
        except self._pg.psycopg.Error:
            self._readers.discard()

    def _query_error(self, exc: BaseException) -> StoreError:
        errors = self._pg.psycopg.errors
        message = self._pg.scrub(exc)
        if isinstance(exc, (errors.ReadOnlySqlTransaction, errors.InsufficientPrivilege)):
            return StoreError(f"query is read-only: {message}")
        if "multiple commands" in message:
            return StoreError("query failed: only one statement at a time is allowed")
        return StoreError(f"query failed: {message}")


def _names(cursor: Any) -> list[str]:
    return [column[0] for column in cursor.description or ()]


def _dicts(
    names: list[str], rows: Generator[tuple[Any, ...], None, None]
) -> Iterator[dict[str, Any]]:
    try:
        for row in rows:
            yield dict(zip(names, row, strict=True))
    finally:
        rows.close()


def _journal(
    url: str, fallback: str | os.PathLike[str] | None, max_bytes: int
) -> SpillJournal | None:
    """The spill journal of a database URL: in the fallback directory (there is no store
    directory), named after the URL without its password; None when spilling is off."""
    if max_bytes <= 0:
        return None
    tag = hashlib.sha256(describe_url(url).encode()).hexdigest()[:16]
    spill_dir = Path(fallback) if fallback is not None else fallback_directory()
    return SpillJournal(spill_dir / f"pg-{tag}.db", max_bytes=max_bytes, fallback=spill_dir)
