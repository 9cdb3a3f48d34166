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
``request_properties`` and ``requests``). SQL text only: ``_rollup_property_split.py``
builds it, as for every split of ``rollup_properties``.
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_property_split import PropertySplit
from ._rollup_sql import KEYS, METRIC_COLUMNS, model_keys

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


SPLIT = PropertySplit(TABLE, keys)
backfill = SPLIT.backfill
batch_upsert = SPLIT.batch_upsert
deleted = SPLIT.deleted
loose_change = SPLIT.loose_change

PROPERTY_MODELS_MIGRATION = SPLIT.sqlite_migration(PROPERTY_MODELS_TABLE)


def pg_property_models_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, and statement triggers on ``requests`` and ``request_properties``."""
    return SPLIT.pg_migration(types(PROPERTY_MODELS_TABLE))
