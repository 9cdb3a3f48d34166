"""Schema v6 on PostgreSQL: the hourly rollups' statement-level trigger functions.

The tables and backfill are SQLite's (``_rollup_schema``, ``_rollup_sql``) with PostgreSQL's
types; a statement trigger on ``requests`` and on ``request_properties`` (INSERT, UPDATE,
DELETE) adds and subtracts each statement's rows by group in one grouped upsert. v7
replaces the functions (``_rollup_v7.py``), which reads their statements from
:func:`pg_trigger_statements`.
"""

from __future__ import annotations

from ._rollup_sql import (
    backfill,
    empty_groups,
    grouped_models,
    grouped_properties,
    grouped_users,
    hour_of,
    moved_hits,
    pg_statement_trigger,
)

__all__ = ["PG_ROLLUP_MIGRATION", "pg_trigger_statements"]

_ORIGINAL = "id, cost_usd, total_tokens"
_PG_INSERT = [
    grouped_models("new_rows", "requests", ""),
    moved_hits("new_rows", "", "new_rows"),
    grouped_users("new_rows", ""),
    grouped_properties("new_rows", "request_properties", ""),
]
_PG_DELETE = [
    grouped_models(
        "old_rows",
        f"(SELECT {_ORIGINAL} FROM requests UNION ALL SELECT {_ORIGINAL} FROM old_rows)",
        "-",
    ),
    moved_hits("old_rows", "-", None),
    grouped_users("old_rows", "-"),
    grouped_properties("old_rows", "request_properties", "-"),
    *empty_groups("old_rows"),
]
_PG_UPDATE = [
    grouped_models(
        "old_rows",
        f"(SELECT {_ORIGINAL} FROM requests WHERE id NOT IN (SELECT id FROM old_rows) "
        f"UNION ALL SELECT {_ORIGINAL} FROM old_rows)",
        "-",
    ),
    moved_hits("old_rows", "-", "new_rows"),
    grouped_users("old_rows", "-"),
    grouped_properties("old_rows", "request_properties", "-"),
    grouped_models("new_rows", "requests", ""),
    moved_hits("new_rows", "", "new_rows"),
    grouped_users("new_rows", ""),
    grouped_properties("new_rows", "request_properties", ""),
    *empty_groups("old_rows"),
]
_PG_PROPERTY_INSERT = [grouped_properties("requests", "new_rows", "")]
_PG_PROPERTY_DELETE = [
    grouped_properties("requests", "old_rows", "-"),
    f"DELETE FROM rollup_properties WHERE requests = 0 AND (name, value, hour) IN "
    f"(SELECT p.name, p.value, {hour_of('r')} FROM old_rows p JOIN requests r "
    "ON r.id = p.request_id)",
]
_PG_PROPERTY_UPDATE = [
    grouped_properties("requests", "old_rows", "-"),
    grouped_properties("requests", "new_rows", ""),
    _PG_PROPERTY_DELETE[1],
]


def pg_trigger_statements() -> dict[str, list[str]]:
    """PostgreSQL: v6's trigger functions' statements, by function name (v7 replaces the
    functions, ``_rollup_v7.py``)."""
    return {
        "helicone_lite_rollup_requests_insert": _PG_INSERT,
        "helicone_lite_rollup_requests_delete": _PG_DELETE,
        "helicone_lite_rollup_requests_update": _PG_UPDATE,
        "helicone_lite_rollup_request_properties_insert": _PG_PROPERTY_INSERT,
        "helicone_lite_rollup_request_properties_delete": _PG_PROPERTY_DELETE,
        "helicone_lite_rollup_request_properties_update": _PG_PROPERTY_UPDATE,
    }


def _pg_trigger(table: str, event: str, statements: list[str]) -> str:
    function = f"helicone_lite_rollup_{table}_{event.lower()}"
    return pg_statement_trigger(
        function, f"rollup_{table}_{event.lower()}", event, table, statements
    )


#: PostgreSQL: the tables and backfill are SQLite's with PostgreSQL's types
#: (``_pg_schema._types``; ``total`` is defined there by v1), then statement-level triggers
#: (INSERT, UPDATE — ``ON CONFLICT DO UPDATE`` included — and DELETE) on both tables.
PG_ROLLUP_MIGRATION = (
    backfill()
    + _pg_trigger("requests", "INSERT", _PG_INSERT)
    + _pg_trigger("requests", "DELETE", _PG_DELETE)
    + _pg_trigger("requests", "UPDATE", _PG_UPDATE)
    + _pg_trigger("request_properties", "INSERT", _PG_PROPERTY_INSERT)
    + _pg_trigger("request_properties", "DELETE", _PG_PROPERTY_DELETE)
    + _pg_trigger("request_properties", "UPDATE", _PG_PROPERTY_UPDATE)
)
