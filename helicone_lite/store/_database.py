"""Opening the SQLite file: connection settings, one-time setup and migrations."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from .._files import private_file
from ._errors import StoreError, is_busy
from ._readonly import ReadOnlyConnection
from ._schema import MIGRATIONS

__all__ = [
    "NEW_PAGE_SIZE",
    "READ_MMAP_BYTES",
    "Columns",
    "Database",
    "ensure_wal",
    "migrate",
    "read_columns",
    "split_statements",
]

#: bytes of the file a read-only connection memory-maps.
READ_MMAP_BYTES = 1 << 30

#: page size of a new store file (SQLite's default: 4,096). Fixed when the file is made: a
#: store made before keeps its pages (``PRAGMA page_size`` cannot change a WAL file; see
#: docs/schema.md, "Page size"). The writer's transaction is 2-3 µs a row cheaper on a fresh
#: store, more on a growing one with the backlog batches of ``_batching.py``; no read or
#: deletion on 1,000,000 rows was dearer (benchmarks/README.md, "8 KiB pages for new stores").
NEW_PAGE_SIZE = 8192

# table name -> column names, in declaration order
Columns = Mapping[str, tuple[str, ...]]
OnConnect = Callable[[sqlite3.Connection], None]


class Database:
    """Knows where the file is and how every connection to it is configured.

    ``initialize()`` creates the file (0600, its directory 0700: :mod:`helicone_lite._files`), switches the file to WAL and runs missing
    migrations, once per instance. A failure that will not go away (the path is a directory,
    its parent is a file, the file is not a database) is kept in ``failure``; "database is
    locked" is raised again so the caller can retry later.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float,
        on_connect: OnConnect | None = None,
        migrations: Sequence[str] = MIGRATIONS,
    ) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._on_connect = on_connect
        self._migrations = tuple(migrations)
        self._lock = threading.Lock()
        self.columns: Columns | None = None
        self.failure: str | None = None
        self.version: int | None = None

    def connect(self, *, cache_kib: int | None = None) -> sqlite3.Connection:
        """A new read-write connection: autocommit, synchronous=NORMAL, temp_store=MEMORY,
        busy timeout.

        ``cache_kib`` sets the page cache size (SQLite's default is 2 MiB).
        """
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            conn.execute("PRAGMA synchronous = NORMAL")
            # temporary b-trees (a DELETE's IN list, DISTINCT, the sorts of reports and
            # triggers) in memory, not in a temporary file
            conn.execute("PRAGMA temp_store = MEMORY")
            if cache_kib is not None:
                conn.execute(f"PRAGMA cache_size = {-int(cache_kib)}")
            if self._on_connect is not None:
                self._on_connect(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def connect_readonly(self) -> ReadOnlyConnection:
        """A new connection that cannot write (mode=ro, query_only, authorizer)."""
        uri = self.path.absolute().as_uri() + "?mode=ro"
        conn = sqlite3.connect(
            uri,
            uri=True,
            timeout=self.busy_timeout,
            isolation_level=None,
            check_same_thread=False,
            factory=ReadOnlyConnection,
        )
        assert isinstance(conn, ReadOnlyConnection)
        try:
            if self._on_connect is not None:
                self._on_connect(conn)
            # Before the guard (it refuses pragma assignments): reads go through mmap, and the
            # small sorts of reports and user queries stay in memory.
            conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")
            conn.execute("PRAGMA temp_store = MEMORY")
            conn.install_guard()
        except BaseException:
            conn.close()
            raise
        return conn

    def initialize(self) -> Columns:
        """Set the file up once; return its tables' columns.

        Raises StoreError if the store is unusable, sqlite3.OperationalError if it is locked.
        """
        columns = self.columns
        if columns is not None:
            return columns
        with self._lock:
            if self.columns is not None:
                return self.columns
            if self.failure is not None:
                raise StoreError(self.failure)
            try:
                self.columns = self._setup()
            except sqlite3.Error as exc:
                if is_busy(exc):
                    raise
                self.failure = f"cannot use SQLite database {self.path}: {exc}"
                raise StoreError(self.failure) from exc
            except OSError as exc:
                self.failure = f"cannot create directory for {self.path}: {exc}"
                raise StoreError(self.failure) from exc
            except Exception as exc:  # e.g. a broken migration: still never break the app
                self.failure = f"cannot set up SQLite database {self.path}: {exc!r}"
                raise StoreError(self.failure) from exc
            return self.columns

    def _setup(self) -> Columns:
        """Prepare the file, retrying "locked" until ``busy_timeout`` runs out.

        Switching a new file to WAL answers SQLITE_BUSY at once, without SQLite's busy
        handler, while another process is doing the same; so two processes opening a new
        file together would otherwise leave one of them not set up.
        """
        private_file(self.path)  # 0600 in a 0700 directory; SQLite's -wal/-shm copy its mode
        deadline = time.monotonic() + self.busy_timeout
        delay = 0.002
        while True:
            conn = self.connect()
            try:
                self.version = self.prepare_file(conn)
                return read_columns(conn)
            except sqlite3.OperationalError as exc:
                if not is_busy(exc) or time.monotonic() + delay > deadline:
                    raise
            finally:
                conn.close()
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def prepare_file(self, conn: sqlite3.Connection) -> int:
        """Put the file behind ``conn`` in WAL mode and migrate it; return its version.

        Cheap when already done (two pragma reads). The writer calls it again whenever it
        reconnects, so a file deleted and re-created underneath it gets its tables back.
        A new (empty) file gets ``NEW_PAGE_SIZE`` pages first: it must be set before the
        first write, WAL mode included.
        """
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal" and not page_count(conn):
            conn.execute(f"PRAGMA page_size = {NEW_PAGE_SIZE}")
        if str(mode).lower() != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        return migrate(conn, self._migrations)

    def after_fork_child(self) -> None:
        self._lock = threading.Lock()


def ensure_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Put the file behind ``conn`` in WAL mode (a read when it already is), retrying "locked"
    for up to ``timeout`` seconds: switching the journal mode answers SQLITE_BUSY at once,
    without SQLite's busy handler, while other connections open the same new file."""
    deadline = time.monotonic() + timeout
    delay = 0.002
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
            if str(mode).lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if not is_busy(exc) or time.monotonic() + delay > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def split_statements(script: str) -> Iterator[str]:
    """Split an SQL script into complete statements (triggers' inner ``;`` included)."""
    pending = ""
    for piece in script.split(";"):
        pending += piece + ";"
        if sqlite3.complete_statement(pending):
            statement = pending.strip()
            pending = ""
            if not _is_blank(statement):
                yield statement
    if not _is_blank(pending):
        raise ValueError(f"incomplete SQL statement in migration: {pending.strip()[:80]!r}")


def _is_blank(statement: str) -> bool:
    """Only whitespace, ``--`` comment lines and semicolons."""
    lines = (line.strip() for line in statement.splitlines())
    return not "".join(line for line in lines if not line.startswith("--")).strip(";")


def page_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA page_count").fetchone()[0])


def user_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(conn: sqlite3.Connection, migrations: Sequence[str]) -> int:
    """Run the migrations the file lacks, under BEGIN IMMEDIATE; return the final version.

    The version is read again once the write lock is held: of two processes racing to set up
    a new file, the second finds the work done. A database from a newer release (higher
    ``user_version``) is left alone.
    """
    target = len(migrations)
    if user_version(conn) >= target:
        return user_version(conn)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = user_version(conn)
        for script in migrations[current:]:
            for statement in split_statements(script):
                conn.execute(statement)
        if current < target:
            conn.execute(f"PRAGMA user_version = {int(target)}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return max(current, target)


def read_columns(conn: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Every user table and its columns, read from the file (so later migrations count)."""
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {
        table: tuple(row[1] for row in conn.execute("SELECT * FROM pragma_table_info(?)", (table,)))
        for table in tables
    }
