"""The Store: the one object the rest of helicone_lite talks to about the database."""

from __future__ import annotations

import functools
import os
import sqlite3
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ._batching import BACKLOG_ROWS, MAX_HOLD, WriterOptions
from ._database import Database
from ._engine import Connection, is_database_url, refuse_url_as_path
from ._errors import Reporter, StoreError, is_busy
from ._ids import IdSource
from ._lifecycle import install_exit_drain, install_fork_hooks, install_sigterm_drain
from ._pool import ThreadConnections
from ._rows import DeferredRow
from ._schema import MIGRATIONS
from ._sink import SqliteSink
from ._spill import SpillJournal
from ._store_reads import StoreReads
from ._writer import BatchWriter, check_queue, preload_writer

__all__ = ["Store"]


class Store(StoreReads):
    """The SQLite file behind helicone_lite: request log and product data.

    >>> import pathlib, tempfile
    >>> store = Store(pathlib.Path(tempfile.mkdtemp()) / "helicone.db")
    >>> store.write("requests", {"id": "r1", "model": "gpt-4o-mini", "status": 200})
    >>> store.flush()
    True
    >>> store.query("SELECT model, status FROM requests")
    [{'model': 'gpt-4o-mini', 'status': 200}]
    >>> store.close()

    Log rows go through ``write()`` to a background writer (one daemon thread per store per
    process); product data (prompts, scores, alerts) is written synchronously through
    ``transaction()`` or ``connect()``; ``query()`` runs user SQL read-only.

    A store never raises because of its location: if the file cannot be opened or set up it
    is *degraded* (``store.degraded``), says so once through ``logging.getLogger
    ("helicone_lite")`` and drops writes, counting them in ``stats()``.

    Keyword options: ``busy_timeout`` (seconds SQLite waits on a lock), ``max_queue`` (rows
    buffered for the writer), ``batch_size``, ``block_timeout`` (how long ``write`` waits when
    the queue is full before dropping), ``retries`` and ``retry_backoff`` (failed batches and
    locked ``BEGIN IMMEDIATE``), ``group_rows`` and ``group_wait`` (group commit: gather up
    to this many rows or wait this long after the first), ``backlog_rows`` and ``max_hold``
    (under a backlog a batch grows up to ``backlog_rows`` while the write lock is predicted
    held at most ``max_hold`` seconds: ``_batching.py``), ``exit_timeout`` (how long exit,
    SIGTERM and ``close()`` wait for the writer before spilling the rest), ``spill_max_bytes``
    (bound of the spill journal; ``0`` turns spilling off), ``spill_fallback`` (journal
    directory when the store's own cannot be written), ``probe_interval`` (how often a failing
    store is tried again), ``handle_sigterm`` (drain on SIGTERM when the application has no
    handler of its own), ``sleep`` and ``monotonic`` (injected for tests), ``on_connect``
    (called with every new connection, e.g. to register SQL functions), ``migrations``.
    See docs/reliability.md.

    Given a ``postgresql://`` URL instead of a path, the store is a
    :class:`~helicone_lite.store._pg_store.PostgresStore`: the same interface on a database
    shared by many machines (``pip install 'helicone-lite[postgres]'``; docs/scaling.md).

    ``readonly=True``: ``connect()`` gives the read-only connection ``query()`` uses (a view
    that cannot write, e.g. the dashboard's pages), and ``write()``/``transaction()`` raise
    StoreError.
    """

    #: which engine is underneath: ``"sqlite"`` or ``"postgresql"``
    engine = "sqlite"
    #: a view that cannot write (``Store(path, readonly=True)``; PostgreSQL stores never are)
    readonly = False

    def __new__(cls, path: str | os.PathLike[str], **options: Any) -> Store:
        if cls is Store and is_database_url(path):
            from ._pg_store import PostgresStore

            return super().__new__(PostgresStore)
        return super().__new__(cls)

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 5.0,
        max_queue: int = 50_000,
        batch_size: int = 500,
        block_timeout: float = 0.1,
        retries: int = 3,
        retry_backoff: float = 0.1,
        group_rows: int = 256,
        group_wait: float = 0.1,  # docs/reliability.md, 'Group commit'
        backlog_rows: int = BACKLOG_ROWS,
        max_hold: float = MAX_HOLD,
        exit_timeout: float = 2.0,
        spill_max_bytes: int = 256 << 20,
        spill_fallback: str | os.PathLike[str] | None = None,
        probe_interval: float = 1.0,
        handle_sigterm: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_connect: Callable[[sqlite3.Connection], None] | None = None,
        migrations: Sequence[str] = MIGRATIONS,
        readonly: bool = False,
    ) -> None:
        check_queue(max_queue, batch_size, retries)
        refuse_url_as_path("path", path)
        self.path = Path(path).expanduser()
        self.readonly = readonly
        self._retries = retries
        self._retry_backoff = retry_backoff
        self._sleep = sleep
        self._closed = False
        self._reporter = Reporter()
        self._db = Database(
            self.path, busy_timeout=busy_timeout, on_connect=on_connect, migrations=migrations
        )
        self._conns = ThreadConnections(self._db.connect)
        self._readers = ThreadConnections(self._db.connect_readonly)
        self._sink = SqliteSink(
            self._db, self._reporter, retries=retries, retry_backoff=retry_backoff, sleep=sleep
        )
        fallback = Path(spill_fallback) if spill_fallback is not None else None
        spill = SpillJournal(self.path, max_bytes=spill_max_bytes, fallback=fallback)
        self._start_writer(
            spill if spill_max_bytes > 0 else None,
            WriterOptions(
                max_queue, batch_size, block_timeout, group_rows, group_wait, backlog_rows, max_hold
            ),
            probe_interval=probe_interval,
            monotonic=monotonic,
            exit_timeout=exit_timeout,
            handle_sigterm=handle_sigterm,
            # how long a fork waits for the writer's transaction to end (its lock wait + 1 s)
            fork_wait=busy_timeout + 1,
        )
        self._try_initialize()

    def _start_writer(
        self,
        journal: SpillJournal | None,
        queue: WriterOptions,
        *,
        probe_interval: float,
        monotonic: Callable[[], float],
        exit_timeout: float,
        handle_sigterm: bool,
        fork_wait: float,
    ) -> None:
        """Start the writer over ``self._sink`` and own it: drain it at exit, around forks
        and on SIGTERM (every engine)."""
        self.ids = IdSource()
        self.journal = journal
        writer = BatchWriter(
            self._sink,
            self._reporter,
            journal=journal,
            **queue._asdict(),  # (its fields are the writer's keyword options)
            probe_interval=probe_interval,
            monotonic=monotonic,
            preload=preload_writer,
            new_id=self.ids.new,
        )
        self._writer = writer
        self.exit_timeout = exit_timeout
        drain = functools.partial(writer.shutdown, exit_timeout)
        self._finalizer = install_exit_drain(self, drain)
        install_fork_hooks(self, drain)
        if handle_sigterm:
            install_sigterm_drain(self, drain)
        self._fork_locked = self._fork_paused = False
        self._fork_wait = fork_wait

    def __repr__(self) -> str:
        state = "closed" if self._closed else "degraded" if self.degraded else "open"
        return f"<Store {str(self.path)!r} {state}>"

    # --- state ---

    @property
    def location(self) -> str:
        """Where the data is, for messages: the file's path, or the URL without password."""
        return str(self.path)

    @property
    def degraded(self) -> bool:
        """True when the file cannot be used; writes are then dropped (and counted)."""
        return self._db.failure is not None

    @property
    def schema_version(self) -> int | None:
        """``PRAGMA user_version`` after migrating, None until the file has been set up."""
        return self._db.version

    def stats(self) -> dict[str, int]:
        """Writer counters: rows ``written`` to the store, ``spilled`` to the journal,
        ``replayed`` from it into the store, ``dropped`` (lost, see docs/reliability.md),
        ``queued`` (not yet handled); ``errors`` (failed write attempts), ``commits``;
        plus ``degraded`` (0/1)."""
        return {**self._writer.stats(), "degraded": int(self.degraded)}

    def _try_initialize(self) -> bool:
        try:
            self._db.initialize()
        except StoreError:
            self._reporter.warn_once(
                "unusable",
                "helicone_lite store: %s; requests will not be logged there",
                self._db.failure,
            )
            return False
        except sqlite3.Error:  # locked by another process: set up on first use instead
            return False
        return True

    # --- the log: asynchronous writes ---

    def write(self, table: str, row: Mapping[str, Any]) -> None:
        """Queue ``row`` for ``table``; returns at once and never raises for I/O problems.

        Raises ValueError for a table that does not exist (a programming error). The row is
        copied (shallowly); do not mutate nested values after the call. For ``requests``:
        ``properties`` (dict) also fills ``request_properties``; ``attempts`` (list of dicts)
        fills ``attempts`` and stores its length; ``_cost`` (a callable) fills a missing
        ``cost_usd`` on the writer thread. dict/list values are stored as JSON text.
        """
        if self._admits(table):
            self._writer.put((table, dict(row)))

    def write_deferred(self, table: str, row: DeferredRow) -> None:
        """Queue a row the writer thread builds (``row.build()``; ``row.fallback()`` if that
        raises): the caller's thread only queues one reference. As :meth:`write` otherwise."""
        columns = self._db.columns  # the common case written out (no _admits frame)
        if (columns is not None and table in columns and not self.readonly) or self._admits(table):
            self._writer.put((table, row))

    def _admits(self, table: str) -> bool:
        """Whether a row for ``table`` may be queued: False (counted as rejected) when the
        store failed to open; StoreError read-only, ValueError for an unknown table."""
        if self.readonly:
            raise StoreError(f"store {self.path} is opened read-only")
        columns = self._db.columns
        if columns is None:
            if self._db.failure is not None:
                self._writer.reject()
                return False
        elif table not in columns:
            raise ValueError(f"helicone_lite store: unknown table {table!r}")
        return True

    @property
    def clients(self) -> weakref.WeakSet[object]:
        """The live clients logging to this store (each client's runtime adds itself): the
        client that opened the store drains it on close only when no other one is left."""
        clients: weakref.WeakSet[object] | None = self.__dict__.get("_clients")
        if clients is None:  # (created on first use: PostgresStore has its own __init__)
            clients = self.__dict__["_clients"] = weakref.WeakSet()
        return clients

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every row written before this call is committed (or spilled after a
        failure). Returns False if ``timeout`` (seconds) passed first."""
        return self._writer.flush(timeout)

    def drain(self) -> None:
        """Write what is queued and stop the writer thread; reads keep working. Idempotent
        (what a closed client does to the store it opened)."""
        self._finalizer()

    def close(self) -> None:
        """Write what is queued (waiting at most ``exit_timeout``, then spilling the rest),
        stop the writer, close this store's connections. Idempotent."""
        self._finalizer()
        self._closed = True
        self._conns.close_all()
        self._readers.close_all()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- product data: synchronous writes ---

    def connect(self) -> Connection:
        """This thread's read-write connection (autocommit, WAL, busy timeout); read-only
        (``mode=ro``, ``query_only``, an authorizer) on a ``readonly`` store.

        Do not close it; the store does. Raises StoreError if the store is closed or unusable.
        """
        return self._connection()

    def _connection(self) -> sqlite3.Connection:
        self._require_ready()
        try:
            return self._readers.get() if self.readonly else self._conns.get()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on error) on this thread's
        connection. Nested use becomes a savepoint. Beginning is retried while the database
        is locked; StoreError if it stays locked."""
        if self.readonly:
            raise StoreError(f"store {self.path} is opened read-only")
        conn = self._connection()
        if conn.in_transaction:
            with _savepoint(conn):
                yield conn
            return
        self._begin_immediate(conn)
        try:
            yield conn
        except BaseException:
            _rollback_quietly(conn)
            raise
        try:
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback_quietly(conn)
            raise StoreError(f"commit to {self.path} failed: {exc}") from exc

    def _begin_immediate(self, conn: sqlite3.Connection) -> None:
        for attempt in range(self._retries + 1):
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or attempt == self._retries:
                    raise StoreError(f"cannot write to {self.path}: {exc}") from exc
            self._sleep(self._retry_backoff * 2**attempt)

    def _require_ready(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed")
        if self._db.columns is None:
            try:
                self._db.initialize()
            except sqlite3.Error as exc:
                raise StoreError(f"cannot set up {self.path}: {exc}") from exc

    # --- fork (called through weak references, see _lifecycle) ---

    def _before_fork(self) -> None:
        # Wait for the writer thread to finish its batch (its serialisers' once-cells, see
        # BatchWriter.pause_for_fork) and its transaction (a child inheriting SQLite's
        # in-process lock bookkeeping mid-transaction could never write); the writer starts
        # no batch until the fork is done. Bounded: a writer stuck on a locked database
        # must not hang the fork.
        deadline = time.monotonic() + self._fork_wait
        self._fork_paused = self._writer.pause_for_fork(self._fork_wait)
        wait = max(0.0, deadline - time.monotonic())
        self._fork_locked = self._sink.commit_lock.acquire(timeout=wait)
        self._conns.before_fork()  # after the wait: the writer may have opened a connection
        self._readers.before_fork()

    def _after_fork_parent(self) -> None:
        self._conns.after_fork_parent()
        self._readers.after_fork_parent()
        if self._fork_paused:
            self._fork_paused = False
            self._writer.resume_after_fork()
        if self._fork_locked:
            self._fork_locked = False
            self._sink.commit_lock.release()

    def _after_fork_child(self) -> None:
        self._fork_locked = self._fork_paused = False
        self._reporter.after_fork_child()
        self._db.after_fork_child()
        self._conns.after_fork_child()
        self._readers.after_fork_child()
        self._sink.after_fork_child()
        self._writer.after_fork_child()


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    conn.execute("SAVEPOINT helicone_lite_nested")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK TO helicone_lite_nested")
        conn.execute("RELEASE helicone_lite_nested")
        raise
    conn.execute("RELEASE helicone_lite_nested")


def _rollback_quietly(conn: sqlite3.Connection) -> None:
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
    except sqlite3.Error:
        pass
