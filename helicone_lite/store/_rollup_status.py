"""Status rollup (``STATUS_ROLLUP_MIGRATION``): ``rollup_models`` split by HTTP status, so a
report filtered by status (``models --status error``, ``--status 429``, ``4xx``, ``ok``) reads
hourly sums instead of every request in the range.

``rollup_status`` is keyed ``(hour, model, provider, nulls, status)``: per UTC hour, model,
provider and exact status, the figures every rollup holds (requests, cost, tokens, errors,
latency sum and count, cache hits). Any status filter is a condition on its ``status``
column: the very SQL the filter applies to raw rows. A request whose status is NULL matches
no status filter and is not counted (as ``rollup_properties`` leaves out NULL values). Cache
savings are not in it: a cache-savings report filtered by status reads the raw rows.

Who keeps it, as the other rollups (``_rollup_schema.py``, ``_rollup_batch.py``):

* the writer, per batch: a fourth grouped upsert (``_rollup_batch.batch_upserts``) in the batch's
  transaction, ordered by key;
* updates and deletes: SQLite row triggers (``rollup_status_delete`` stands aside while
  ``rollup_control.batched`` is 1: a prune's batch subtracts its rows in one grouped
  statement, ``batched_delete``), PostgreSQL statement triggers, under the rollup lock;
* hand-written inserts: a PostgreSQL statement trigger (standing aside in the writer's
  transaction); on SQLite ``store.rebuild_rollups``, as for the other rollups.

The migration backfills it from the rows already logged (one ``GROUP BY`` over
``requests``). The statements shared with the writer, prunes and ``rebuild_rollups`` are
built in ``_rollup_sql.py``; this module holds the migration. SQL text only.
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_names import PG_BATCH_SETTING, ROLLUP_LOCK_KEY
from ._rollup_schema import ROW_BY_ROW, WATCHED
from ._rollup_sql import (
    KEYS,
    METRIC_COLUMNS,
    NAMES,
    backfill_status,
    body,
    empty_status_groups,
    figures,
    grouped_status,
    status_keys,
    upsert,
)

__all__ = ["STATUS_ROLLUP_MIGRATION", "STATUS_TABLE", "pg_status_rollup_migration"]

STATUS_TABLE = f"""
CREATE TABLE rollup_status (
    hour      TEXT NOT NULL,
    model     TEXT NOT NULL,
    provider  TEXT NOT NULL,
    nulls     INTEGER NOT NULL,
    status    INTEGER NOT NULL,
    {METRIC_COLUMNS},
    PRIMARY KEY (hour, model, provider, nulls, status)
) WITHOUT ROWID;
"""


def _one(r: str, sign: str) -> str:
    """SQLite trigger statement: request ``r`` (``OLD``/``NEW``) in or out."""
    values = ", ".join((*status_keys(r), *figures(r, sign)))
    return upsert(
        "rollup_status",
        (*KEYS["rollup_status"], *NAMES),
        f"SELECT {values} WHERE {r}.status IS NOT NULL",
    )


def _cleanup(r: str) -> str:
    tests = " AND ".join(
        f"{column} = {key}"
        for column, key in zip(KEYS["rollup_status"], status_keys(r), strict=True)
    )
    return f"DELETE FROM rollup_status WHERE requests = 0 AND {tests}"


_SQLITE_TRIGGERS = f"""
CREATE TRIGGER rollup_status_delete AFTER DELETE ON requests
WHEN {ROW_BY_ROW} AND OLD.status IS NOT NULL
BEGIN
{body([_one("OLD", "-"), _cleanup("OLD")])}END;
CREATE TRIGGER rollup_status_update AFTER UPDATE OF {WATCHED} ON requests
BEGIN
{body([_one("OLD", "-"), _one("NEW", ""), _cleanup("OLD")])}END;
"""

STATUS_ROLLUP_MIGRATION = STATUS_TABLE + backfill_status() + _SQLITE_TRIGGERS

_LOCK = f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
_WRITER = f"current_setting('{PG_BATCH_SETTING}', true) = 'on'"


def _pg_trigger(event: str, statements: list[str], *, writer_counts: bool = False) -> str:
    name = f"helicone_lite_rollup_status_{event.lower()}"
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }[event]
    # in the writer's transaction its own batch upsert counts the rows (_rollup_batch.py)
    aside = f"    IF {_WRITER} THEN\n        RETURN NULL;\n    END IF;\n" if writer_counts else ""
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        f"{aside}{_LOCK}{body(statements)}    RETURN NULL;\nEND\n$fn$;\n"
        f"CREATE TRIGGER rollup_status_{event.lower()} AFTER {event} ON requests "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
    )


PG_STATUS_ROLLUP = (
    backfill_status()
    + _pg_trigger("INSERT", [grouped_status("new_rows", "")], writer_counts=True)
    + _pg_trigger("DELETE", [grouped_status("old_rows", "-"), empty_status_groups("old_rows")])
    + _pg_trigger(
        "UPDATE",
        [
            grouped_status("old_rows", "-"),
            grouped_status("new_rows", ""),
            empty_status_groups("old_rows"),
        ],
    )
)


def pg_status_rollup_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, and statement triggers for inserts (not the writer's), updates, deletes."""
    return types(STATUS_TABLE) + PG_STATUS_ROLLUP
