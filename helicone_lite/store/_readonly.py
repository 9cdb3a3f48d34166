"""Read-only connections for user SQL (the CLI's ``query`` command).

Three layers, each sufficient for writes on its own:

1. the file is opened with ``mode=ro`` (SQLite refuses every write to it);
2. ``PRAGMA query_only = ON``;
3. an authorizer that allows only reading: SELECT, reading columns, functions, recursive
   CTEs and introspection pragmas. It refuses ATTACH (which could create or read other files,
   e.g. ``VACUUM INTO``), pragma assignments, transactions and every DDL/DML action, and
   names the refused action in the error.

Resources are bounded too (docs/security.md): functions that reach outside the data
(``load_extension``, ``fts3_tokenizer``, ``readfile``/``writefile``/``edit`` where built in) are
refused; strings and blobs a query builds are limited to ``MAX_VALUE_BYTES``; and a statement
running past its deadline (``Store.query(..., timeout=QUERY_SECONDS)``) is interrupted by a
progress handler, so a runaway recursive CTE ends with a clear error.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from types import MappingProxyType

from ._errors import StoreError

__all__ = ["MAX_VALUE_BYTES", "QUERY_SECONDS", "ReadOnlyConnection", "translate_error"]

#: the default time limit of one read-only query, in seconds.
QUERY_SECONDS = 30.0
#: the largest string or blob a read-only query may build (randomblob(1e9) …).
MAX_VALUE_BYTES = 64 << 20
_DENIED_FUNCTIONS = frozenset({"load_extension", "fts3_tokenizer", "readfile", "writefile", "edit"})
_PROGRESS_STEPS = 10_000  # SQLite VM instructions between two deadline checks

# Pragmas that only read, whatever their argument (table_info(requests) ...).
_PRAGMAS_ANY_ARGUMENT = frozenset(
    {
        "collation_list",
        "compile_options",
        "database_list",
        "foreign_key_check",
        "foreign_key_list",
        "function_list",
        "index_info",
        "index_list",
        "index_xinfo",
        "integrity_check",
        "module_list",
        "pragma_list",
        "quick_check",
        "table_info",
        "table_list",
        "table_xinfo",
    }
)
# Pragmas that read without an argument and write with one (user_version = 3 ...).
_PRAGMAS_NO_ARGUMENT = frozenset(
    {
        "application_id",
        "auto_vacuum",
        "cache_size",
        "data_version",
        "encoding",
        "foreign_keys",
        "freelist_count",
        "journal_mode",
        "page_count",
        "page_size",
        "query_only",
        "schema_version",
        "user_version",
    }
)
_READ_ACTIONS = frozenset(
    getattr(sqlite3, name)
    for name in ("SQLITE_SELECT", "SQLITE_READ", "SQLITE_FUNCTION", "SQLITE_RECURSIVE")
)
_SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_temp_master", "sqlite_schema"})
_ACTION_NAMES = MappingProxyType(
    {
        getattr(sqlite3, name): name.removeprefix("SQLITE_").replace("_", " ")
        for name in (
            "SQLITE_CREATE_INDEX",
            "SQLITE_CREATE_TABLE",
            "SQLITE_CREATE_TEMP_INDEX",
            "SQLITE_CREATE_TEMP_TABLE",
            "SQLITE_CREATE_TEMP_TRIGGER",
            "SQLITE_CREATE_TEMP_VIEW",
            "SQLITE_CREATE_TRIGGER",
            "SQLITE_CREATE_VIEW",
            "SQLITE_DELETE",
            "SQLITE_DROP_INDEX",
            "SQLITE_DROP_TABLE",
            "SQLITE_DROP_TEMP_INDEX",
            "SQLITE_DROP_TEMP_TABLE",
            "SQLITE_DROP_TEMP_TRIGGER",
            "SQLITE_DROP_TEMP_VIEW",
            "SQLITE_DROP_TRIGGER",
            "SQLITE_DROP_VIEW",
            "SQLITE_INSERT",
            "SQLITE_PRAGMA",
            "SQLITE_TRANSACTION",
            "SQLITE_UPDATE",
            "SQLITE_ATTACH",
            "SQLITE_DETACH",
            "SQLITE_ALTER_TABLE",
            "SQLITE_REINDEX",
            "SQLITE_ANALYZE",
            "SQLITE_CREATE_VTABLE",
            "SQLITE_DROP_VTABLE",
            "SQLITE_SAVEPOINT",
        )
        if hasattr(sqlite3, name)
    }
)


class ReadOnlyConnection(sqlite3.Connection):
    """A connection whose authorizer refuses anything but reading.

    Remembers the last refused action so the error can say what was refused.
    """

    denied: str | None = None
    #: when the running statement must stop (on ``clock``); None: no limit
    deadline: float | None = None
    clock: Callable[[], float] = time.monotonic
    timed_out: bool = False

    def install_guard(self) -> None:
        self.execute("PRAGMA query_only = ON")
        self.set_authorizer(self._authorize)
        setlimit = getattr(self, "setlimit", None)  # Python 3.11+
        if setlimit is not None:
            setlimit(getattr(sqlite3, "SQLITE_LIMIT_LENGTH", 0), MAX_VALUE_BYTES)
        self.set_progress_handler(self._progress, _PROGRESS_STEPS)

    def start(self, timeout: float | None) -> None:
        """Arm the deadline for the next statement (None: no limit, e.g. streaming exports)."""
        self.denied, self.timed_out = None, False
        self.deadline = None if timeout is None else self.clock() + timeout

    def _progress(self) -> int:
        deadline = self.deadline
        if deadline is not None and self.clock() > deadline:
            self.timed_out = True
            return 1  # SQLite interrupts the statement
        return 0

    def _authorize(
        self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None
    ) -> int:
        if action in _READ_ACTIONS:
            if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in _DENIED_FUNCTIONS:
                return self._deny(f"{(arg2 or '').lower()}()")
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in _PRAGMAS_ANY_ARGUMENT or (name in _PRAGMAS_NO_ARGUMENT and arg2 is None):
                return sqlite3.SQLITE_OK
            shown = f"PRAGMA {name}" if arg2 is None else f"PRAGMA {name} = {arg2}"
            return self._deny(shown)
        if action == sqlite3.SQLITE_UPDATE and arg1 in _SCHEMA_TABLES:
            # Table-valued pragmas (pragma_table_info(...)) declare their schema this way;
            # a real write to sqlite_master is impossible on this connection anyway.
            return sqlite3.SQLITE_OK
        return self._deny(_ACTION_NAMES.get(action, f"action {action}"))

    def _deny(self, what: str) -> int:
        self.denied = what
        return sqlite3.SQLITE_DENY


def translate_error(conn: ReadOnlyConnection, exc: Exception) -> StoreError:
    """Turn a sqlite3 error from a read-only query into a StoreError with a useful message."""
    message = str(exc)
    if conn.timed_out:
        conn.timed_out = False
        return StoreError("query took longer than its time limit and was interrupted")
    denied, conn.denied = conn.denied, None
    if denied is not None:  # "not authorized" / "authorization denied"
        return StoreError(f"query is read-only: {denied} is not allowed")
    if "readonly" in message or "read-only" in message:
        return StoreError(f"query is read-only: {message}")
    return StoreError(f"query failed: {message}")
