"""Running the reports' SQL, and the aggregate expressions they share.

Reports read through the store's per-thread connection (their SQL is fixed and
parameterised) so they can memory-map the file: a report scans a whole covering index, and
reading pages through ``mmap`` instead of ``read()`` calls saves about a third of that time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from ..store import Store
from ..store._engine import Connection
from ._batch import many_at_once
from ._filters import ERRORS_SUM, HITS_SUM

__all__ = ["METRICS", "Reader", "merge_metrics", "metrics_of", "rate"]

_MMAP_BYTES = 1 << 30
_ROLLUP_VERSION = 6  # the schema version that added the hourly rollups

#: the per-group figures every grouped report reads. Six aggregates and no min/max of text:
#: on an index ordered by time within each group, ``max(created_at)`` copies a string on every
#: row and doubles the cost of the scan; first/last times come from ordered lookups instead.
METRICS = f"""count(*) AS requests, total(cost_usd) AS cost_usd, total(total_tokens) AS tokens,
avg(latency_ms) AS avg_latency_ms, {ERRORS_SUM} AS errors,
{HITS_SUM} AS cache_hits"""


def rate(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


_SUMMED = ("requests", "cost_usd", "tokens", "errors", "cache_hits")


def merge_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Several ``METRICS`` rows as one (latency means weighted by request counts)."""
    out: dict[str, Any] = {name: sum(r[name] or 0 for r in rows) for name in _SUMMED}
    timed = [(r["avg_latency_ms"], r["requests"]) for r in rows if r["avg_latency_ms"] is not None]
    weight = sum(n for _, n in timed)
    out["avg_latency_ms"] = sum(v * n for v, n in timed) / weight if weight else None
    return out


def metrics_of(row: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a row class from a ``METRICS`` result row."""
    requests = int(row["requests"] or 0)
    errors = int(row["errors"] or 0)
    hits = int(row["cache_hits"] or 0)
    return {
        "requests": requests,
        "cost_usd": float(row["cost_usd"] or 0.0),
        "tokens": int(row["tokens"] or 0),
        "avg_latency_ms": (None if row["avg_latency_ms"] is None else float(row["avg_latency_ms"])),
        "errors": errors,
        "error_rate": rate(errors, requests),
        "cache_hits": hits,
        "cache_hit_rate": rate(hits, requests),
    }


class Reader:
    """Read-only use of a :class:`Store` for the reports (rows as dicts)."""

    def __init__(self, store: Store, *, rollups: bool = True) -> None:
        self.store = store
        self._rollups: bool | None = None if rollups else False
        self._indexes: dict[str, bool] = {}

    def rollups(self) -> bool:
        """Whether reports may read the hourly rollups (schema v6; on unless turned off)."""
        if self._rollups is None:
            if self.store.engine == "sqlite":  # (a read-only view of an older file has none)
                found = self.values(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                    ("rollup_models",),
                )
                self._rollups = bool(found and found[0])
            else:
                self._connection()  # opens (and migrates) the store: its version is known
                self._rollups = (self.store.schema_version or 0) >= _ROLLUP_VERSION
        return self._rollups

    def has_index(self, name: str) -> bool:
        """Whether index ``name`` exists (a read-only view of an older store lacks the
        newer ones); asked once per reader and name."""
        return self._in_catalog(
            name,
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?",
            "SELECT count(*) FROM pg_indexes WHERE indexname = ?",
        )

    def user_index_by_day(self) -> bool:
        """Whether SQLite's ``idx_requests_user`` is keyed by the day after the user
        (``USER_DAY_MIGRATION``; a read-only view of an older store, and PostgreSQL, have
        ``(user_id, latency_ms, …)``); asked once per reader."""
        if self.store.engine != "sqlite":
            return False
        return self._in_catalog(
            "user-index-by-day",
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' "
            "AND name = 'idx_requests_user' AND sql LIKE ?",
            "",
            "%(user_id, substr(created_at, 1, 10),%",
        )

    def has_table(self, name: str) -> bool:
        """Whether table ``name`` exists (in the store's schema; a read-only view of an older
        store lacks the newer ones); asked once per reader and name."""
        return self._in_catalog(
            f"table:{name}",
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
            "SELECT count(*) FROM (SELECT to_regclass(?) AS t) c WHERE t IS NOT NULL",
            name,
        )

    def _in_catalog(self, key: str, sqlite_sql: str, pg_sql: str, name: str = "") -> bool:
        """Whether the catalog statement for this engine counts ``name`` (default: ``key``),
        remembered under ``key``."""
        known = self._indexes.get(key)
        if known is None:
            sql = sqlite_sql if self.store.engine == "sqlite" else pg_sql
            found = self.values(sql, (name or key,))
            known = self._indexes[key] = bool(found and found[0])
        return known

    def _connection(self) -> Connection:
        self.store.flush()
        conn = self.store.connect()
        if self.store.engine == "sqlite" and not self.store.readonly:
            # (a read-only store's connections were set up when opened: no pragma changes)
            conn.execute(f"PRAGMA mmap_size = {_MMAP_BYTES}")
            conn.execute("PRAGMA temp_store = MEMORY")  # the small sorts reports do never spill
        return conn

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self._connection().execute(sql, params)
        try:
            names = [c[0] for c in cursor.description or ()]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def columns(self, table: str) -> list[str]:
        """``table``'s column names, in order (on either engine)."""
        cursor = self._connection().execute(f"SELECT * FROM {table} LIMIT 0")
        try:
            return [str(c[0]) for c in cursor.description or ()]
        finally:
            cursor.close()

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.rows(sql, params)
        return rows[0] if rows else None

    def values(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The first column of every row."""
        cursor = self._connection().execute(sql, params)
        try:
            return [row[0] for row in cursor.fetchall()]
        finally:
            cursor.close()

    def values_pairs(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, Any]]:
        """The first two columns of every row."""
        cursor = self._connection().execute(sql, params)
        try:
            return [(row[0], row[1]) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def many(self, sql: str, param_sets: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
        """Run one statement per parameter set (a prepared statement reused), first rows.

        On PostgreSQL, one statement for all the sets (``_batch.py``: a round trip each
        would cost more than the lookups).
        """
        conn = self._connection()
        if self.store.engine != "sqlite":
            yield from many_at_once(conn, sql, param_sets)
            return
        for params in param_sets:
            cursor = conn.execute(sql, params)
            try:
                yield list(cursor.fetchone() or ())
            finally:
                cursor.close()

    def iterate(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Rows as tuples, fetched as consumed (stop early: the rest is never read). On
        PostgreSQL through a server-side cursor (``Store.query_stream``): a client cursor
        would hold the whole result in memory before the first row."""
        if self.store.engine != "sqlite":
            self.store.flush()
            _, rows = self.store.query_stream(sql, params)
            yield from rows
            return
        cursor = self._connection().execute(sql, params)
        try:
            while True:
                batch = cursor.fetchmany(256)
                if not batch:
                    return
                yield from batch
        finally:
            cursor.close()

    def stream(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        """Rows one at a time (for exports; a server-side cursor on PostgreSQL)."""
        return self.store.query_iter(sql, params)
