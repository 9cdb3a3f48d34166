"""One SQL for both engines: statements are written once, in SQLite's spelling, and translated
for PostgreSQL here.

What differs, and how each difference is handled:

* placeholders: ``?`` and ``:name`` become ``%s`` and ``%(name)s`` (outside literals,
  identifiers and comments); a literal ``%`` becomes ``%%`` when parameters are bound;
* ``INSERT OR REPLACE INTO t (...) VALUES (...)`` (and ``REPLACE INTO``) becomes
  ``INSERT ... ON CONFLICT (<t's primary key>) DO UPDATE SET c = EXCLUDED.c, ...``;
  ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
* ``x IS ?`` becomes ``x = %s``, or ``x IS NULL`` when the value bound is None (see
  ``PostgresDialect.bind``; without parameters, ``IS NOT DISTINCT FROM``); ``rowid`` becomes ``ctid``;
* SQLite's index hints (``INDEXED BY``, ``NOT INDEXED``) are dropped;
* functions SQLite has and PostgreSQL lacks (``json_extract``, ``julianday``, ``total``,
  ``group_concat``, ``sum`` over a comparison) are *defined* in PostgreSQL by the first
  migration (see ``_pg_schema.py``), so report SQL uses them unchanged.

Leaf module: pure string work, no database driver imported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["PostgresDialect", "StagedInsert", "null_safe", "placeholders"]

_INSERT_OR = re.compile(
    r"^\s*(?:INSERT\s+OR\s+(?P<verb>REPLACE|IGNORE)|(?P<replace>REPLACE))\s+INTO\s+"
    r"(?P<table>\w+)\s*\((?P<columns>[^)]*)\)",
    re.IGNORECASE,
)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(?P<table>\w+)\s*\((?P<columns>[^)]*)\)", re.I)
#: SQLite's index hints (PostgreSQL's planner chooses for itself)
_HINTS = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)
#: SQLite's ``x IS ?`` (NULL-safe equality) is PostgreSQL's ``IS NOT DISTINCT FROM``
_IS_PARAM = re.compile(r"\bIS\s+(NOT\s+)?\?", re.IGNORECASE)
#: insertion order: SQLite's rowid; a PostgreSQL row's physical position (ctid) is the same
#: order for rows never updated, which log rows are not
_NUMBERED = re.compile(r"\?\d")
_ROWID = re.compile(r"\browid\b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_IDENT = re.compile(r"[A-Za-z_]\w*")


def placeholders(sql: str, *, escape_percent: bool, order: list[int] | None = None) -> str:
    """``?`` -> ``%s``, ``:name`` -> ``%(name)s``; ``%`` -> ``%%`` if ``escape_percent``.

    >>> placeholders("SELECT '?', x FROM t WHERE a = ? AND b LIKE 'a%' AND c = :c", escape_percent=True)
    "SELECT '?', x FROM t WHERE a = %s AND b LIKE 'a%%' AND c = %(c)s"
    """
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = _literal_end(sql, i, ch)
            out.append(_escape(sql[i:end], escape_percent))
            i = end
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(_escape(sql[i:end], escape_percent))
            i = end
        elif ch == "?":
            out.append("%s")
            i += 1
            digits = _DIGITS.match(sql, i)
            if digits is not None and order is not None:  # ?NNN: SQLite's numbered parameter
                order.append(int(digits.group()) - 1)
                i = digits.end()
            elif order is not None:
                order.append(len(order))
        elif ch == ":" and i + 1 < n and sql[i + 1] == ":":
            out.append("::")
            i += 2
        elif ch == ":" and (match := _IDENT.match(sql, i + 1)) is not None:
            out.append(f"%({match.group()})s")
            i = match.end()
        elif ch == "%" and escape_percent:
            out.append("%%")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def null_safe(sql: str, params: list[Any]) -> tuple[str, list[Any]]:
    """SQLite's ``x IS ?`` / ``x IS NOT ?`` for these ``params``, in a form both engines read
    the same way: ``x = ?`` (``x IS NOT ?`` stays: PostgreSQL's ``IS DISTINCT FROM``) for a
    value, ``x IS NULL`` / ``x IS NOT NULL`` without the parameter for None.

    >>> null_safe("SELECT 1 WHERE a IS ? AND b IS ? AND c = '?' AND d IS NOT ?", ["x", None, None])
    ("SELECT 1 WHERE a = ? AND b IS NULL AND c = '?' AND d IS NOT NULL", ['x'])
    """
    index = {position: i for i, position in enumerate(_marks(sql))}
    out: list[str] = []
    dropped: set[int] = set()
    last = 0
    for match in _IS_PARAM.finditer(sql):
        which = index.get(match.end() - 1)
        if which is None or which >= len(params):
            continue  # inside a literal or a comment, or a parameter missing (driver's error)
        negated = bool(match.group(1))
        if params[which] is None:
            replacement = "IS NOT NULL" if negated else "IS NULL"
            dropped.add(which)
        elif negated:
            continue
        else:
            replacement = "= ?"
        out.append(sql[last : match.start()] + replacement)
        last = match.end()
    if not out:
        return sql, params
    out.append(sql[last:])
    return "".join(out), [p for i, p in enumerate(params) if i not in dropped]


def _marks(sql: str) -> list[int]:
    """Positions of the ``?`` placeholders of ``sql`` (not those in literals or comments)."""
    found: list[int] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            i = _literal_end(sql, i, ch)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
        else:
            if ch == "?":
                found.append(i)
            i += 1
    return found


def _is_distinct(match: re.Match[str]) -> str:
    return "IS DISTINCT FROM ?" if match.group(1) else "IS NOT DISTINCT FROM ?"


def _literal_end(sql: str, start: int, quote: str) -> int:
    i = start + 1
    while True:
        found = sql.find(quote, i)
        if found < 0:
            return len(sql)
        if found + 1 < len(sql) and sql[found + 1] == quote:  # doubled quote: an escape
            i = found + 2
            continue
        return found + 1


def _escape(text: str, escape_percent: bool) -> str:
    return text.replace("%", "%%") if escape_percent else text


@dataclass(frozen=True)
class StagedInsert:
    """One statement shape of a batch, written as ``COPY`` + ``INSERT ... SELECT``.

    The rows are copied into ``stage`` (a session-local table with ``table``'s column
    types and no constraints, emptied at every commit), then moved with ``insert``, which
    keeps the statement's conflict rule (``ON CONFLICT DO NOTHING`` for ``INSERT OR
    IGNORE``, ``DO UPDATE`` for ``INSERT OR REPLACE``). ``keys``: positions of the primary
    key in a row, when rows must be made unique first (``DO UPDATE`` cannot touch a row
    twice in one statement; the last row wins, as with SQLite's ``REPLACE``).
    """

    table: str
    columns: tuple[str, ...]
    tail: str
    keys: tuple[int, ...]

    @property
    def stage(self) -> str:
        return f"helicone_lite_stage_{self.table}"

    @property
    def create_stage(self) -> str:
        return (
            f"CREATE TEMP TABLE IF NOT EXISTS {self.stage} ON COMMIT DELETE ROWS"
            f" AS SELECT * FROM {self.table} WITH NO DATA"
        )

    @property
    def copy(self) -> str:
        return f"COPY {self.stage} ({', '.join(self.columns)}) FROM STDIN"

    @property
    def insert(self) -> str:
        names = ", ".join(self.columns)
        return f"INSERT INTO {self.table} ({names}) SELECT {names} FROM {self.stage}{self.tail}"


class PostgresDialect:
    """Translates SQLite-spelled statements for PostgreSQL; results cached per statement.

    ``primary_keys`` maps each table to its primary-key columns (read from the catalog), for
    the ``ON CONFLICT`` target of ``INSERT OR REPLACE``.
    """

    name = "postgresql"

    def __init__(self, primary_keys: Mapping[str, tuple[str, ...]]) -> None:
        self._keys = dict(primary_keys)
        self._cache: dict[tuple[str, bool], tuple[str, tuple[int, ...]]] = {}

    def translate(self, sql: str, *, bound: bool = True) -> str:
        """``sql`` for PostgreSQL; ``bound``: parameters will be passed (``%`` is escaped)."""
        return self._translated(sql, bound)[0]

    def bind(self, sql: str, params: list[Any]) -> tuple[str, list[Any]]:
        """``sql`` translated, with positional ``params`` reordered for ``?NNN`` placeholders.

        ``x IS ?`` is spelled for the value bound: ``x = %s`` when it is not NULL (the form
        an index serves; ``IS NOT DISTINCT FROM`` is never an index condition, so a report
        probing one user at a time read the whole table per user) and ``x IS NULL`` when it
        is (the parameter is then not sent).
        """
        if "?" in sql and _IS_PARAM.search(sql) and not _NUMBERED.search(sql):
            sql, params = null_safe(sql, params)
        text, order = self._translated(sql, True)
        if order and order != tuple(range(len(order))):
            params = [params[i] for i in order]
        return text, params

    def prepare(self, sql: str, params: Any) -> tuple[str, Any]:
        """``sql`` and ``params`` (as psycopg takes them: list, dict or None) for PostgreSQL."""
        if not params:
            return self.translate(sql, bound=False), None
        if isinstance(params, list):
            return self.bind(sql, params)
        return self.translate(sql), params

    def _translated(self, sql: str, bound: bool) -> tuple[str, tuple[int, ...]]:
        key = (sql, bound)
        found = self._cache.get(key)
        if found is None:
            order: list[int] = []
            plain = _IS_PARAM.sub(_is_distinct, _HINTS.sub("", self._conflicts(sql)))
            plain = _ROWID.sub("ctid", plain)
            text = placeholders(plain, escape_percent=bound, order=order)
            found = (text, tuple(order))
            if len(self._cache) < 4096:
                self._cache[key] = found
        return found

    def _conflicts(self, sql: str) -> str:
        match = _INSERT_OR.match(sql)
        if match is None:
            return sql
        table = match.group("table")
        columns = [c.strip() for c in match.group("columns").split(",") if c.strip()]
        head = f"INSERT INTO {table} ({', '.join(columns)})"
        rest = sql[match.end() :].rstrip().rstrip(";")
        if (match.group("verb") or "").upper() == "IGNORE":
            return f"{head}{rest} ON CONFLICT DO NOTHING"
        return head + rest + self.upsert_clause(table, columns)

    def multirow(self, sql: str, rows: int) -> tuple[str, tuple[int, ...]]:
        """``sql`` (one SQLite ``INSERT [OR REPLACE|IGNORE] ... VALUES (?, ...)``) as one
        PostgreSQL statement inserting ``rows`` rows; and the positions of the primary-key
        columns in a row (for removing duplicates, which one statement cannot update twice).
        """
        match = _INSERT_OR.match(sql) or _INSERT.match(sql)
        if match is None:
            raise ValueError(f"not an INSERT statement: {sql[:60]!r}")
        table = match.group("table")
        columns = [c.strip() for c in match.group("columns").split(",") if c.strip()]
        row = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([row] * rows)
        head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}"
        verb = (match.groupdict().get("verb") or "").upper()
        if verb == "IGNORE":
            return head + " ON CONFLICT DO NOTHING", ()
        if verb == "REPLACE" or match.groupdict().get("replace"):
            keys = self._keys.get(table, ())
            positions = tuple(columns.index(k) for k in keys if k in columns)
            return head + self.upsert_clause(table, columns), (
                positions if len(positions) == len(keys) else ()
            )
        return head, ()

    def staged(self, sql: str) -> StagedInsert:
        """``sql`` (one SQLite ``INSERT [OR REPLACE|IGNORE] ... VALUES (?, ...)``) as a COPY
        into a staging table and one ``INSERT ... SELECT`` from it (see ``StagedInsert``).
        """
        match = _INSERT_OR.match(sql) or _INSERT.match(sql)
        if match is None:
            raise ValueError(f"not an INSERT statement: {sql[:60]!r}")
        table = match.group("table")
        columns = tuple(c.strip() for c in match.group("columns").split(",") if c.strip())
        verb = (match.groupdict().get("verb") or "").upper()
        tail = ""
        keys: tuple[int, ...] = ()
        if verb == "IGNORE":
            tail = " ON CONFLICT DO NOTHING"
        elif verb == "REPLACE" or match.groupdict().get("replace"):
            tail = self.upsert_clause(table, list(columns))
            wanted = self._keys.get(table, ())
            keys = tuple(columns.index(k) for k in wanted if k in columns)
            keys = keys if len(keys) == len(wanted) else ()
        return StagedInsert(table, columns, tail, keys)

    def upsert_clause(self, table: str, columns: list[str]) -> str:
        """`` ON CONFLICT (pk) DO UPDATE SET ...``: SQLite's REPLACE, for a row's columns."""
        keys = self._keys.get(table)
        if not keys:
            raise ValueError(f"INSERT OR REPLACE into {table!r}, which has no primary key")
        updates = [c for c in columns if c not in keys]
        if not updates:
            return f" ON CONFLICT ({', '.join(keys)}) DO NOTHING"
        assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in updates)
        return f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {assignments}"
