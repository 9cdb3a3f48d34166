"""Property rollup per user (``PROPERTY_USERS_MIGRATION``): ``rollup_properties`` split by
user, so the users report of one property value (``users --property department=cardiology``)
groups hourly sums instead of every fact of the value (1,250,000 at 10,000,000 requests).

``rollup_property_users`` is keyed ``(name, value, user_id, nulls, hour)``: per property
name, property value, user and UTC hour, the figures every rollup holds. As in
``rollup_users`` a NULL user is stored as ``''`` with ``nulls`` 1; NULL property values are
not counted. Name and value lead: one value's users are one contiguous range of the key, a
user's hours within it another (the report's first and last hours).

**PostgreSQL only** (since ``PROPERTY_USERS_OFF_MIGRATION``): on SQLite the report reads the
value's facts, as before (under a second at 1,000,000 requests), and the writer and the prune
skip the table. Kept exactly as ``rollup_properties`` and ``rollup_property_models`` are
(``_rollup_property_split.py``: the writer per batch, PostgreSQL's statement triggers,
``rebuild_rollups``); ``migrate --to`` derives it. A request whose user changes moves its figures (SQLite's update trigger
watches ``user_id`` too). The migration counts what was logged from ``property_facts`` (one
table holding every key column and figure: no join of 30,000,000 property rows with their
requests), plus the properties of requests without a time from the base tables.

PostgreSQL also gets ``idx_property_facts_user_latency``: ``property_facts (name, value,
user_id, latency_ms) INCLUDE (created_at)``, on which a shown user's exact p95 within one
value is ``ORDER BY latency_ms DESC OFFSET k`` in one contiguous range, index-only (no heap
probe). SQLite ranks the value's facts in Python, as before.
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_property_split import PropertySplit
from ._rollup_sql import KEYS, METRIC_COLUMNS, hour_of

__all__ = [
    "PG_PROPERTY_USERS_OFF_MIGRATION",
    "PG_USER_LATENCY_INDEX",
    "PROPERTY_USERS_MIGRATION",
    "PROPERTY_USERS_OFF_MIGRATION",
    "PROPERTY_USERS_TABLE",
    "SPLIT",
    "TABLE",
    "pg_property_users_migration",
]

TABLE = "rollup_property_users"
KEY = KEYS[TABLE]

PROPERTY_USERS_TABLE = f"""
CREATE TABLE {TABLE} (
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    nulls     INTEGER NOT NULL,
    hour      TEXT NOT NULL,
    {METRIC_COLUMNS},
    PRIMARY KEY ({", ".join(KEY)})
) WITHOUT ROWID;
"""


def keys(r: str, p: str) -> tuple[str, ...]:
    """SQL of the key of property row ``p`` of request ``r``, in the order of ``KEY``."""
    return (
        f"{p}.name",
        f"{p}.value",
        f"coalesce({r}.user_id, '')",
        f"(CASE WHEN {r}.user_id IS NULL THEN 1 ELSE 0 END)",
        hour_of(r),
    )


_WATCHED = (
    "created_at, model, provider, status, cost_usd, total_tokens, latency_ms, cache_status, user_id"
)
SPLIT = PropertySplit(TABLE, keys, _WATCHED, from_facts=True)

#: SQLite: nothing. The table is PostgreSQL's (below): on SQLite the users report of one value
#: reads the value's facts (under a second at 1,000,000 requests), and the table's upsert cost
#: the writer 2.2-2.4 us a row and its rows' pages the prune (benchmarks/README.md, "End of
#: session, 2026-12-07 06:12"). ``PROPERTY_USERS_OFF_MIGRATION`` drops it from SQLite stores
#: a first version of this migration had made.
PROPERTY_USERS_MIGRATION = "SELECT 20;  -- rollup_property_users: PostgreSQL's only\n"

#: SQLite: the table and its row triggers, where an earlier v20 made them
PROPERTY_USERS_OFF_MIGRATION = "".join(
    f"DROP TRIGGER IF EXISTS {TABLE}_{name};\n"
    for name in ("request_delete", "request_update", "property_delete")
) + f"DROP TABLE IF EXISTS {TABLE};\n"
PG_PROPERTY_USERS_OFF_MIGRATION = "SELECT 22;  -- nothing: SQLite's drop of rollup_property_users\n"

#: PostgreSQL only: a user's latencies within one property value, in order, index-only
PG_USER_LATENCY_INDEX = (
    "CREATE INDEX idx_property_facts_user_latency ON property_facts "
    "(name, value, user_id, latency_ms) INCLUDE (created_at);\n"
)


def pg_property_users_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, the statement triggers, and the p95 index on ``property_facts``."""
    return SPLIT.pg_migration(types(PROPERTY_USERS_TABLE)) + PG_USER_LATENCY_INDEX
