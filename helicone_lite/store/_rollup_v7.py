"""Schema v7: the writer keeps the rollups; the insert triggers go (SQLite) or stand aside
for it (PostgreSQL).

The writer adds each batch to the rollups itself (``_rollup_batch.py``). The tables and their
contents are v6's: rollups filled under v6 stay valid, nothing is recomputed.

* SQLite: the five insert triggers (``rollup_request_insert``,
  ``rollup_request_insert_properties``, ``rollup_original_insert``,
  ``rollup_property_replace``, ``rollup_property_insert``) are dropped. A SQLite trigger
  costs its row even when its ``WHEN`` is false (measured: ~25 µs a logged request with
  three properties for ``WHEN 0``), so they could not merely stand aside. The update and
  delete triggers stay (``reprice``, prune and every ``DELETE`` keep the rollups exact); a
  hand-written ``INSERT`` into ``requests`` or ``request_properties`` is not counted: call
  :func:`~helicone_lite.store.rebuild_rollups` after one.
* PostgreSQL: statement triggers cost a batch, not a row, and keep hand-written inserts
  counted: they stay, and check ``helicone_lite.batch`` (set for the writer's transaction
  only): the requests insert trigger then does nothing, the property triggers leave out
  the properties of the requests in ``pg_temp.helicone_lite_new_requests`` (the writer
  counts those).
"""

from __future__ import annotations

from ._rollup_batch import NEW_REQUESTS, PG_BATCH_SETTING
from ._rollup_sql import (
    body,
    grouped_models,
    grouped_properties,
    grouped_users,
    hour_of,
    moved_hits,
)

__all__ = ["PG_ROLLUP_BATCH_MIGRATION", "ROLLUP_BATCH_MIGRATION"]

_INSERT_TRIGGERS = (
    "rollup_request_insert",
    "rollup_request_insert_properties",
    "rollup_original_insert",
    "rollup_property_replace",
    "rollup_property_insert",
)
ROLLUP_BATCH_MIGRATION = "".join(f"DROP TRIGGER {name};\n" for name in _INSERT_TRIGGERS)

_ON = f"current_setting('{PG_BATCH_SETTING}', true) = 'on'"


def _outside(rows: str) -> str:
    return f"(SELECT * FROM {rows} WHERE request_id NOT IN (SELECT id FROM {NEW_REQUESTS}))"


def _property_statements(new: str | None, old: str | None) -> list[str]:
    """v6's property trigger statements over the transition tables ``new``/``old``."""
    out = []
    if old is not None:
        out.append(grouped_properties("requests", old, "-"))
    if new is not None:
        out.append(grouped_properties("requests", new, ""))
    if old is not None:
        out.append(
            f"DELETE FROM rollup_properties WHERE requests = 0 AND (name, value, hour) IN "
            f"(SELECT p.name, p.value, {hour_of('r')} FROM {old} p JOIN requests r "
            "ON r.id = p.request_id)"
        )
    return out


def _function(name: str, writer: list[str] | None, others: list[str]) -> str:
    """``CREATE OR REPLACE`` of v6's trigger function ``name``: ``writer`` statements in the
    writer's batches (None: nothing), ``others`` otherwise."""
    branch = f"    IF {_ON} THEN\n{body(writer or [])}        RETURN NULL;\n    END IF;\n"
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN\n{branch}{body(others)}    RETURN NULL;\nEND\n$fn$;\n"
    )


_V6_INSERT = [
    grouped_models("new_rows", "requests", ""),
    moved_hits("new_rows", "", "new_rows"),
    grouped_users("new_rows", ""),
    grouped_properties("new_rows", "request_properties", ""),
]

PG_ROLLUP_BATCH_MIGRATION = (
    _function("helicone_lite_rollup_requests_insert", None, _V6_INSERT)
    + _function(
        "helicone_lite_rollup_request_properties_insert",
        _property_statements(_outside("new_rows"), None),
        _property_statements("new_rows", None),
    )
    + _function(
        "helicone_lite_rollup_request_properties_update",
        _property_statements(_outside("new_rows"), _outside("old_rows")),
        _property_statements("new_rows", "old_rows"),
    )
)
