"""PostgreSQL connections for the store (psycopg 3, imported only when a URL is used).

``PgDatabase`` knows the URL and how every connection is configured, runs the migrations once
(under an advisory lock) and reads the tables' columns and primary keys back.
``PgConnection`` runs the store's SQL, written once in SQLite's spelling, through the
dialect (``_dialect.py``), so the prompt registry, scores and alerts use one code path.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._dialect import PostgresDialect
from ._engine import Params, describe_url
from ._errors import StoreError
from ._pg_schema import LOCK_KEY, PG_MIGRATIONS, VERSION_TABLE

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgConnection", "PgDatabase", "import_psycopg"]

Columns = dict[str, tuple[str, ...]]
_CREDENTIALS = re.compile(r"(://[^:/@\s\"']*):[^@\s\"']*@")  # a URL's user:password@


def import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise StoreError(
            "a postgresql:// database URL needs psycopg 3: pip install 'helicone-lite[postgres]'"
        ) from exc
    return psycopg


def _number_loader() -> type[Any]:
    """``numeric`` results (``sum``/``avg`` of integers) as int or float, as SQLite gives."""
    from psycopg.adapt import Loader

    class NumberLoader(Loader):
        def load(self, data: Any) -> int | float:
            text = bytes(data).decode()
            if "." in text or "e" in text or "N" in text:  # NaN, Infinity
                return float(text)
            return int(text)

    return NumberLoader


def _plain(value: Any) -> Any:
    # SQLite stores booleans as integers; so do the INTEGER (BIGINT) columns here.
    return int(value) if type(value) is bool else value


def bind(parameters: Params | None) -> Sequence[Any] | dict[str, Any] | None:
    """Parameters as psycopg takes them (None: nothing is bound, ``%`` is literal)."""
    if parameters is None:
        return None
    if isinstance(parameters, dict) or hasattr(parameters, "keys"):
        return {str(k): _plain(v) for k, v in dict(parameters).items()}
    return [_plain(v) for v in parameters]


class PgConnection:
    """One psycopg connection in autocommit mode, speaking the store's SQL.

    ``execute("SELECT ... WHERE id = ?", (x,))`` works as on ``sqlite3``; ``BEGIN``,
    ``COMMIT``, ``SAVEPOINT`` and ``ROLLBACK`` are passed through.
    """

    def __init__(self, raw: psycopg.Connection[Any], db: PgDatabase) -> None:
        self.raw = raw
        self._db = db

    @property
    def dialect(self) -> PostgresDialect:
        return self._db.dialect  # read each time: set up (primary keys known) on first use

    def execute(self, sql: str, parameters: Params = (), /) -> Any:
        sql, params = self.dialect.prepare(sql, bind(parameters))
        cursor = self.raw.cursor()
        cursor.execute(sql, params)
        return cursor

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Any:
        cursor = self.raw.cursor()
        rows = [self.dialect.prepare(sql, bind(p)) for p in parameters]
        start = 0
        while start < len(rows):  # runs of one spelling, in order (``x IS ?`` and None differ)
            text = rows[start][0]
            end = start + 1
            while end < len(rows) and rows[end][0] == text:
                end += 1
            cursor.executemany(text, [p for _, p in rows[start:end]])
            start = end
        return cursor

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    @property
    def broken(self) -> bool:
        return bool(self.raw.closed or self.raw.broken)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.raw.close()


class PgDatabase:
    """Where the database is and how to use it; migrated once per instance.

    Raises StoreError from the constructor if the URL is malformed or the server cannot be
    reached, naming the host (never the password).
    """

    def __init__(
        self,
        url: str,
        *,
        connect_timeout: float = 5.0,
        statement_timeout: float = 30.0,
        migrations: Sequence[str] = PG_MIGRATIONS,
        readonly: bool = False,
    ) -> None:
        self.psycopg = import_psycopg()
        self.readonly = readonly
        self.url = url
        self.location = describe_url(url)
        self._password = _password(url)
        self.connect_timeout = max(1, round(connect_timeout))
        self.statement_timeout_ms = int(statement_timeout * 1000)
        self._migrations = tuple(migrations)
        self._lock = threading.Lock()
        self.columns: Columns | None = None
        self.primary_keys: dict[str, tuple[str, ...]] = {}
        self.dialect = PostgresDialect({})
        self.failure: str | None = None
        self.version: int | None = None
        self._loader = _number_loader()

    # --- connections ---

    def raw_connect(self) -> psycopg.Connection[Any]:
        """A new autocommit connection; StoreError naming the server if that fails."""
        try:
            raw = self.psycopg.connect(
                self.url, autocommit=True, connect_timeout=self.connect_timeout
            )
        except self.psycopg.ProgrammingError as exc:  # malformed URL / options
            raise StoreError(f"invalid PostgreSQL URL {self.location}: {self.scrub(exc)}") from exc
        except self.psycopg.Error as exc:
            raise StoreError(
                f"cannot connect to PostgreSQL at {self.location}: {self.scrub(exc)}"
            ) from exc
        raw.adapters.register_loader("numeric", self._loader)
        return raw  # type: ignore[no-any-return]

    def connect(self) -> PgConnection:
        return PgConnection(self.raw_connect(), self)

    def connect_readonly(self) -> PgConnection:
        """A connection whose transactions are read-only and time-limited by default."""
        conn = self.connect()
        try:
            conn.raw.execute("SET default_transaction_read_only = on")
            conn.raw.execute(f"SET statement_timeout = {self.statement_timeout_ms}")
        except BaseException:
            conn.close()
            raise
        return conn

    def scrub(self, exc: BaseException) -> str:
        """An error message, with the password removed should the driver repeat it."""
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if self._password:
            message = message.replace(self._password, "***")
        return _CREDENTIALS.sub(r"\1:***@", message)

    # --- schema ---

    def initialize(self) -> Columns:
        """Migrate once; return every table's (and view's) columns."""
        columns = self.columns
        if columns is not None:
            return columns
        with self._lock:
            if self.columns is not None:
                return self.columns
            if self.failure is not None:
                raise StoreError(self.failure)
            conn = self.raw_connect()
            try:
                self.version = (
                    self._check_version(conn) if self.readonly else migrate(conn, self._migrations)
                )
                self.columns, self.primary_keys = read_catalog(conn)
            except self.psycopg.Error as exc:
                raise StoreError(
                    f"cannot set up PostgreSQL at {self.location}: {self.scrub(exc)}"
                ) from exc
            finally:
                conn.close()
            self.dialect = PostgresDialect(self.primary_keys)
            return self.columns

    def _check_version(self, conn: psycopg.Connection[Any]) -> int:
        """A read-only store migrates nothing (its role may only SELECT): the schema must be
        current already."""
        found = conn.execute("SELECT to_regclass(%s)", (VERSION_TABLE,)).fetchone()
        row = conn.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone() if (
            found and found[0]
        ) else None
        version = int(row[0]) if row and row[0] is not None else 0
        if version < len(self._migrations):
            raise StoreError(
                f"the schema at {self.location} is at version {version}, not"
                f" {len(self._migrations)}: open it read-write once (any helicone_lite"
                " client or command does) before opening it read-only"
            )
        return version

    def after_fork_child(self) -> None:
        self._lock = threading.Lock()


def _password(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def migrate(conn: psycopg.Connection[Any], migrations: Sequence[str]) -> int:
    """Run missing migrations in one transaction under an advisory lock; return the version."""
    target = len(migrations)
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_KEY,))
        conn.execute(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
        row = conn.execute(f"SELECT max(version) FROM {VERSION_TABLE}").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        if current >= target:
            return current
        for script in migrations[current:]:
            conn.execute(script)
        conn.execute(f"DELETE FROM {VERSION_TABLE}")
        conn.execute(f"INSERT INTO {VERSION_TABLE} (version) VALUES (%s)", (target,))
    return target


_COLUMNS_SQL = """
SELECT c.table_name, c.column_name FROM information_schema.columns c
JOIN information_schema.tables t
  ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema = current_schema() AND t.table_name <> %s
ORDER BY c.table_name, c.ordinal_position
"""
_KEYS_SQL = """
SELECT t.relname, a.attname FROM pg_index i
JOIN pg_class t ON t.oid = i.indrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position) ON true
JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
WHERE i.indisprimary AND n.nspname = current_schema()
ORDER BY t.relname, k.position
"""


def read_catalog(
    conn: psycopg.Connection[Any],
) -> tuple[Columns, dict[str, tuple[str, ...]]]:
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(_COLUMNS_SQL, (VERSION_TABLE,)):
        columns.setdefault(table, []).append(column)
    keys: dict[str, list[str]] = {}
    for table, column in conn.execute(_KEYS_SQL):
        keys.setdefault(table, []).append(column)
    return (
        {t: tuple(c) for t, c in columns.items()},
        {t: tuple(c) for t, c in keys.items()},
    )
