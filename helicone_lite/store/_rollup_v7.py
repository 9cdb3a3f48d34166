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
  counts those). Every other run takes the rollup lock (``ROLLUP_LOCK_KEY``, an advisory
  lock held to the commit) first, as the writer does before its upserts: v6's triggers let
  two transactions inserting a cache hit and its original at once each miss the other's
  uncommitted row, leaving the hit counted as unpriced (seen once under load with three
  writer processes).
"""

from __future__ import annotations

from ._rollup_names import NEW_REQUESTS, PG_BATCH_SETTING, ROLLUP_LOCK_KEY
from ._rollup_pg_v6 import pg_trigger_statements
from ._rollup_sql import (
    body,
    grouped_properties,
    hour_of,
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
    writer's batches (None: no such branch), else ``others`` under the rollup lock."""
    branch = ""
    if writer is not None:
        branch = f"    IF {_ON} THEN\n{body(writer)}        RETURN NULL;\n    END IF;\n"
    lock = f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
    return (
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN\n{branch}{lock}{body(others)}    RETURN NULL;\nEND\n$fn$;\n"
    )


#: what the writer's transaction does in the triggers it fires (others: nothing)
_WRITER = {
    "helicone_lite_rollup_requests_insert": [],
    "helicone_lite_rollup_request_properties_insert": _property_statements(
        _outside("new_rows"), None
    ),
    "helicone_lite_rollup_request_properties_update": _property_statements(
        _outside("new_rows"), _outside("old_rows")
    ),
}

PG_ROLLUP_BATCH_MIGRATION = "".join(
    _function(name, _WRITER.get(name), statements)
    for name, statements in pg_trigger_statements().items()
)
