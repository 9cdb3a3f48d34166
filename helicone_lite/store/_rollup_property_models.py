"""Property rollup per model (``PROPERTY_MODELS_MIGRATION``): ``rollup_properties`` split by
model and provider, so the properties report filtered by model or provider (``properties
agent --model gpt-4o``) reads hourly sums instead of every fact of the property.

``rollup_property_models`` is keyed ``(name, model, provider, nulls, value, hour)``: per
property name, model, provider, property value and UTC hour, the figures every rollup holds.
As in ``rollup_models`` a NULL model or provider is stored as ``''`` with a bit set in
``nulls`` (1 model, 2 provider); NULL property values are not counted (as in
``rollup_properties``). The model leads the value so a report filtered by model reads one
contiguous range of the key per property name.

Who keeps it: exactly who keeps ``rollup_properties``, statement for statement:

* the writer, per batch: one more grouped upsert (both engines), ordered by key, in the
  batch's transaction under the rollup lock (``batch_upsert``); a property written on its
  own moves its figures as ``rollup_properties``' (SQLite: ``loose_change``; PostgreSQL:
  the insert trigger's writer branch);
* deletions and updates: SQLite row triggers (the delete triggers stand aside while
  ``rollup_control.batched`` is 1: a batched deletion subtracts its rows in grouped
  statements, ``deleted``), PostgreSQL statement triggers under the rollup lock, on
  ``requests`` and ``request_properties``;
* ``store.rebuild_rollups`` and ``migrate --to`` (a derived table, not copied: the target's
  writer and triggers count it).

The migration backfills it from the rows already logged (one ``GROUP BY`` over the join of
``request_properties`` and ``requests``). SQL text only.
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_names import NEW_REQUESTS, PG_BATCH_SETTING, ROLLUP_LOCK_KEY
from ._rollup_sql import (
    BACKFILL_SUMS,
    KEYS,
    METRIC_COLUMNS,
    NAMES,
    body,
    figures,
    model_keys,
    pg_statement_trigger,
    sums,
    upsert,
)

__all__ = [
    "PROPERTY_MODELS_MIGRATION",
    "PROPERTY_MODELS_TABLE",
    "TABLE",
    "backfill",
    "batch_upsert",
    "deleted",
    "loose_change",
    "pg_property_models_migration",
]

TABLE = "rollup_property_models"
KEY = KEYS[TABLE]

PROPERTY_MODELS_TABLE = f"""
CREATE TABLE {TABLE} (
    name      TEXT NOT NULL,
    model     TEXT NOT NULL,
    provider  TEXT NOT NULL,
    nulls     INTEGER NOT NULL,
    value     TEXT NOT NULL,
    hour      TEXT NOT NULL,
    {METRIC_COLUMNS},
    PRIMARY KEY ({", ".join(KEY)})
) WITHOUT ROWID;
"""


def keys(r: str, p: str) -> tuple[str, ...]:
    """SQL of the key of property row ``p`` of request ``r``, in the order of ``KEY``."""
    hour, model, provider, nulls = model_keys(r)  # rollup_models' key expressions
    return (f"{p}.name", model, provider, nulls, f"{p}.value", hour)


def grouped(requests: str, properties: str, sign: str) -> str:
    """Add (``sign`` ``''``) or take away (``'-'``) the properties in ``properties`` of the
    requests in ``requests`` (tables or subqueries), one grouped upsert."""
    k = ", ".join(keys("r", "p"))
    return upsert(
        TABLE,
        (*KEY, *NAMES),
        f"SELECT {k}, {', '.join(sums('r', sign))} FROM {requests} r "
        f"JOIN {properties} p ON p.request_id = r.id WHERE p.value IS NOT NULL GROUP BY {k}",
    )


def empty(requests: str, properties: str) -> str:
    """Remove the groups of those properties left with no request."""
    return (
        f"DELETE FROM {TABLE} WHERE requests = 0 AND ({', '.join(KEY)}) IN "
        f"(SELECT {', '.join(keys('r', 'p'))} FROM {requests} r "
        f"JOIN {properties} p ON p.request_id = r.id)"
    )


def backfill() -> str:
    """Count the table from the rows already logged (the migration, ``rebuild_rollups``)."""
    positions = ", ".join(str(i + 1) for i in range(len(KEY)))
    return (
        f"INSERT INTO {TABLE} SELECT {', '.join(keys('r', 'p'))}, {', '.join(BACKFILL_SUMS)} "
        "FROM request_properties p JOIN requests r ON r.id = p.request_id "
        f"WHERE p.value IS NOT NULL GROUP BY {positions}"
    )


def batch_upsert(batch: str) -> str:
    """The writer's upsert for the requests of ``batch`` (``_rollup_batch.NEW_COLUMNS``),
    grouped and ordered by key (concurrent writers lock the hot rows in one order)."""
    positions = ", ".join(str(i + 1) for i in range(len(KEY)))
    figures_sum = ", ".join(f"sum({f})" for f in figures("r", ""))
    return upsert(
        TABLE,
        (*KEY, *NAMES),
        f"SELECT {', '.join(keys('r', 'p'))}, {figures_sum} FROM {batch} r "
        "JOIN request_properties p ON p.request_id = r.id WHERE p.value IS NOT NULL "
        f"GROUP BY {positions} ORDER BY {positions}",
    )


def deleted(rows: str) -> list[str]:
    """SQLite's batched deletion: the requests in ``rows`` (still with their properties)
    leave the table, and their emptied groups go."""
    return [grouped(rows, "request_properties", "-"), empty(rows, "request_properties")]


def loose_change() -> tuple[list[str], list[str]]:
    """SQLite: a ``request_properties`` row written on its own (named parameters
    ``:request_id``, ``:name``, ``:value``): (before it is written: the value it replaces
    leaves; after: its value enters), as ``_rollup_batch.property_change`` does for
    ``rollup_properties``."""
    same = "p.request_id = :request_id AND p.name = :name"
    replaced = f"(SELECT * FROM request_properties p WHERE {same})"
    written = "(SELECT :request_id AS request_id, :name AS name, :value AS value)"
    return (
        [grouped("requests", replaced, "-"), empty("requests", replaced)],
        [grouped("requests", written, "")],
    )


# --- SQLite: row triggers for updates and deletions (inserts are the writer's) ---

_ROW_BY_ROW = "(SELECT batched FROM rollup_control) = 0"
_WATCHED = "created_at, model, provider, status, cost_usd, total_tokens, latency_ms, cache_status"
_OLD_PROPS = "(SELECT * FROM request_properties WHERE request_id = OLD.id)"
_NEW_PROPS = "(SELECT * FROM request_properties WHERE request_id = NEW.id)"
_OLD_REQUEST = "(SELECT * FROM requests WHERE id = OLD.request_id)"
_OLD_ROW = "(SELECT OLD.request_id AS request_id, OLD.name AS name, OLD.value AS value)"
_REQUEST_COLUMNS = (
    "id", "created_at", "model", "provider", "status", "cost_usd", "total_tokens",
    "latency_ms", "cache_status",
)  # fmt: skip
_ONE_OLD = f"(SELECT {', '.join(f'OLD.{c} AS {c}' for c in _REQUEST_COLUMNS)})"
_ONE_NEW = f"(SELECT {', '.join(f'NEW.{c} AS {c}' for c in _REQUEST_COLUMNS)})"

_SQLITE_TRIGGERS = f"""
CREATE TRIGGER {TABLE}_request_delete AFTER DELETE ON requests WHEN {_ROW_BY_ROW}
BEGIN
{body([grouped(_ONE_OLD, _OLD_PROPS, "-"), empty(_ONE_OLD, _OLD_PROPS)])}END;
CREATE TRIGGER {TABLE}_request_update AFTER UPDATE OF {_WATCHED} ON requests
BEGIN
{body([grouped(_ONE_OLD, _OLD_PROPS, "-"), grouped(_ONE_NEW, _NEW_PROPS, ""), empty(_ONE_OLD, _OLD_PROPS)])}END;
CREATE TRIGGER {TABLE}_property_delete AFTER DELETE ON request_properties WHEN {_ROW_BY_ROW}
BEGIN
{body([grouped(_OLD_REQUEST, _OLD_ROW, "-"), empty(_OLD_REQUEST, _OLD_ROW)])}END;
"""

PROPERTY_MODELS_MIGRATION = PROPERTY_MODELS_TABLE + backfill() + ";\n" + _SQLITE_TRIGGERS


# --- PostgreSQL: statement triggers, as v6/v7's for rollup_properties ---

_WRITER = f"current_setting('{PG_BATCH_SETTING}', true) = 'on'"


def _outside(rows: str) -> str:
    """The property rows of ``rows`` whose request is not in the writer's batch."""
    return f"(SELECT * FROM {rows} WHERE request_id NOT IN (SELECT id FROM {NEW_REQUESTS}))"


def _pg_trigger(
    table: str, event: str, statements: list[str], writer: list[str] | None = None
) -> str:
    """A statement trigger on ``table``: ``statements`` under the rollup lock; in the
    writer's transaction ``writer`` instead (when given: the writer counts its batch)."""
    prologue = f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
    if writer is not None:
        branch = body(writer).replace("    ", "        ")
        prologue = f"    IF {_WRITER} THEN\n{branch}        RETURN NULL;\n    END IF;\n{prologue}"
    name = f"{TABLE}_{table}_{event.lower()}"
    return pg_statement_trigger(f"helicone_lite_{name}", name, event, table, statements, prologue)


def _property_statements(new: str | None, old: str | None) -> list[str]:
    out = [grouped("requests", old, "-")] if old is not None else []
    out += [grouped("requests", new, "")] if new is not None else []
    out += [empty("requests", old)] if old is not None else []
    return out


PG_PROPERTY_MODELS = (
    backfill()
    + ";\n"
    + _pg_trigger("requests", "INSERT", [grouped("new_rows", "request_properties", "")], [])
    + _pg_trigger(
        "requests",
        "DELETE",
        [grouped("old_rows", "request_properties", "-"), empty("old_rows", "request_properties")],
    )
    + _pg_trigger(
        "requests",
        "UPDATE",
        [
            grouped("old_rows", "request_properties", "-"),
            grouped("new_rows", "request_properties", ""),
            empty("old_rows", "request_properties"),
        ],
    )
    + _pg_trigger(
        "request_properties",
        "INSERT",
        _property_statements("new_rows", None),
        _property_statements(_outside("new_rows"), None),
    )
    + _pg_trigger("request_properties", "DELETE", _property_statements(None, "old_rows"))
    + _pg_trigger(
        "request_properties",
        "UPDATE",
        _property_statements("new_rows", "old_rows"),
        _property_statements(_outside("new_rows"), _outside("old_rows")),
    )
)


def pg_property_models_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, and statement triggers on ``requests`` and ``request_properties``."""
    return types(PROPERTY_MODELS_TABLE) + PG_PROPERTY_MODELS
