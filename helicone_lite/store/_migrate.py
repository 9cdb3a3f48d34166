"""Copying a store into another (SQLite into PostgreSQL): ``helicone-lite migrate --to URL``.

Every table the source has (requests, their properties and attempts, scores, prompts and their
versions, environments and deployment history, alerts and their events) is copied in batches
with ``INSERT OR REPLACE``, so running it again copies nothing twice. Derived report tables
(``*_facts``, ``rollup_*``) are not copied: the target derives them. Afterwards the counts are compared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ._store import Store

__all__ = ["TableCopy", "copy_store", "copy_tables"]

_DERIVED = frozenset(
    {
        "property_facts",
        "score_facts",
        "score_property_facts",
        "rollup_models",
        "rollup_users",
        "rollup_properties",
        "rollup_status",
        "rollup_sessions",
        "rollup_scores",
        "rollup_property_scores",
        "rollup_property_models",
        "rollup_property_users",
        "rollup_user_scores",
        "rollup_control",  # (SQLite's batched deletions; PostgreSQL does not read it)
    }
)
_IDENTITY = {"prompt_deployments": "id", "alert_events": "id"}
_BATCH = 1000


@dataclass(frozen=True)
class TableCopy:
    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.target >= self.source


def copy_tables(source: Store, target: Store) -> list[tuple[str, list[str], int]]:
    """(table, columns both stores have, source row count) for every table to copy."""
    source_cols = source._db.initialize()
    target_cols = target._db.initialize()
    plan = []
    for table, columns in source_cols.items():
        if table in _DERIVED or table not in target_cols:
            continue
        shared = [c for c in columns if c in target_cols[table]]
        [row] = source.query(f"SELECT count(*) AS n FROM {table}")
        plan.append((table, shared, int(row["n"])))
    return plan


def copy_store(
    source: Store, target: Store, progress: Callable[[str, int], None] | None = None
) -> list[TableCopy]:
    """Copy every table of ``source`` into ``target``; ``progress(table, rows_done)``."""
    results = []
    for table, columns, total in copy_tables(source, target):
        sql = (
            f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        batch: list[tuple[Any, ...]] = []
        for row in source.query_iter(f"SELECT {', '.join(columns)} FROM {table}"):
            batch.append(tuple(row[c] for c in columns))
            if len(batch) >= _BATCH:
                _write(target, sql, batch, table, progress)
                batch = []
        _write(target, sql, batch, table, progress)
        if target.engine == "postgresql" and table in _IDENTITY:
            column = _IDENTITY[table]
            with target.transaction() as conn:
                conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                    f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
                )
        [row] = target.query(f"SELECT count(*) AS n FROM {table}")
        results.append(TableCopy(table, total, int(row["n"])))
    return results


def _write(
    target: Store,
    sql: str,
    batch: list[tuple[Any, ...]],
    table: str,
    progress: Callable[[str, int], None] | None,
) -> None:
    if not batch:
        return
    with target.transaction() as conn:
        conn.executemany(sql, batch)
    if progress is not None:
        progress(table, len(batch))
