"""Score rollup (``SCORE_ROLLUP_MIGRATION``): per UTC hour, model, provider, status and score
name, the sum and the number of the scores, so the mean scores of the models, providers and
summary reports (and of the same filtered by status) read hourly sums instead of every score.

``rollup_scores`` is keyed ``(hour, model, provider, nulls, status, name)``. As in the other
rollups a NULL key is stored as ``''`` (``0`` for the status) with a bit set in ``nulls``:
1 model, 2 provider, 4 status. A status filter never matches a NULL status, so the reports
test ``(nulls & 4) = 0`` with it.

It is kept from ``score_facts``, which both engines already keep exact (the writer, and
triggers for every insert, replace, update and delete of a score, a request or a property:
prune, ``delete --user``, ``reprice``, a hand-written statement):

* SQLite: row triggers on ``score_facts``. A score written again replaces its fact with
  ``INSERT OR REPLACE``, which fires no delete trigger: the ``BEFORE INSERT`` trigger takes
  the replaced fact out first. Scores are few (written by ``score()``/``feedback()``, one
  transaction each), so a row trigger per fact costs nothing that matters.
* PostgreSQL: statement triggers on ``score_facts`` (transition tables), one grouped upsert
  per statement under the rollup lock.

A group whose count reaches zero is removed. ``store.rebuild_rollups`` counts it again from
``score_facts``; ``migrate --to`` does not copy it (the target's triggers derive it).
SQL text only; ``_schema.py`` and ``_pg_schema.py`` append the migrations.
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_batch import ROLLUP_LOCK_KEY
from ._rollup_sql import body

__all__ = [
    "PG_SCORE_ROLLUP",
    "SCORE_ROLLUP_MIGRATION",
    "SCORE_ROLLUP_TABLE",
    "pg_score_rollup_migration",
    "rebuild_score_rollup",
]

SCORE_ROLLUP_TABLE = """
CREATE TABLE rollup_scores (
    hour      TEXT NOT NULL,
    model     TEXT NOT NULL,
    provider  TEXT NOT NULL,
    nulls     INTEGER NOT NULL,
    status    INTEGER NOT NULL,
    name      TEXT NOT NULL,
    total     REAL NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (hour, model, provider, nulls, status, name)
) WITHOUT ROWID;
"""

_KEYS = ("hour", "model", "provider", "nulls", "status", "name")


def _keys(f: str) -> tuple[str, ...]:
    """SQL of the rollup key of fact ``f`` (a row alias or ``NEW``/``OLD``)."""
    return (
        f"coalesce(substr({f}.created_at, 1, 13) || ':00:00.000Z', '')",
        f"coalesce({f}.model, '')",
        f"coalesce({f}.provider, '')",
        f"(CASE WHEN {f}.model IS NULL THEN 1 ELSE 0 END)"
        f" + (CASE WHEN {f}.provider IS NULL THEN 2 ELSE 0 END)"
        f" + (CASE WHEN {f}.status IS NULL THEN 4 ELSE 0 END)",
        f"coalesce({f}.status, 0)",
        f"{f}.name",
    )


def _upsert(select: str) -> str:
    return (
        f"INSERT INTO rollup_scores ({', '.join(_KEYS)}, total, n) {select} "
        f"ON CONFLICT ({', '.join(_KEYS)}) DO UPDATE SET "
        "total = rollup_scores.total + excluded.total, n = rollup_scores.n + excluded.n"
    )


def _grouped(rows: str, sign: str) -> str:
    """Add (``sign`` ``''``) or take away (``'-'``) the facts in ``rows`` (alias ``f``),
    grouped: one upsert per statement. Facts without a value count nowhere."""
    keys = _keys("f")
    return _upsert(
        f"SELECT {', '.join(keys)}, {sign}total(f.value), {sign}count(f.value) FROM {rows} f "
        f"WHERE f.value IS NOT NULL GROUP BY {', '.join(keys)}"
    )


def _empty(rows: str) -> str:
    """Remove the groups of the facts in ``rows`` whose count reached zero."""
    keys = ", ".join(_keys("f"))
    return (
        f"DELETE FROM rollup_scores WHERE n = 0 AND ({', '.join(_KEYS)}) IN "
        f"(SELECT {keys} FROM {rows} f)"
    )


def _one(f: str, sign: str) -> str:
    """SQLite: fact ``f`` (``NEW``/``OLD``) in or out."""
    keys = ", ".join(_keys(f))
    return _upsert(f"SELECT {keys}, {sign}{f}.value, {sign}1 WHERE {f}.value IS NOT NULL")


def _cleanup(f: str) -> str:
    tests = " AND ".join(f"{c} = {k}" for c, k in zip(_KEYS, _keys(f), strict=True))
    return f"DELETE FROM rollup_scores WHERE n = 0 AND {tests}"


#: the fact an ``INSERT OR REPLACE`` is about to replace (no delete trigger fires for it)
_REPLACED = "(SELECT * FROM score_facts WHERE id = NEW.id AND name = NEW.name)"
_SQLITE_TRIGGERS = f"""
CREATE TRIGGER rollup_scores_replace BEFORE INSERT ON score_facts
BEGIN
{body([_grouped(_REPLACED, "-"), _empty(_REPLACED)])}END;
CREATE TRIGGER rollup_scores_insert AFTER INSERT ON score_facts
BEGIN
{body([_one("NEW", "")])}END;
CREATE TRIGGER rollup_scores_delete AFTER DELETE ON score_facts
BEGIN
{body([_one("OLD", "-"), _cleanup("OLD")])}END;
CREATE TRIGGER rollup_scores_update AFTER UPDATE ON score_facts
BEGIN
{body([_one("OLD", "-"), _one("NEW", ""), _cleanup("OLD")])}END;
"""


def rebuild_score_rollup() -> list[str]:
    """Count ``rollup_scores`` again from ``score_facts`` (the migration's backfill too)."""
    return ["DELETE FROM rollup_scores", _grouped("score_facts", "")]


SCORE_ROLLUP_MIGRATION = (
    SCORE_ROLLUP_TABLE + "".join(f"{s};\n" for s in rebuild_score_rollup()[1:]) + _SQLITE_TRIGGERS
)


def _pg_trigger(event: str, statements: list[str]) -> str:
    name = f"helicone_lite_rollup_scores_{event.lower()}"
    tables = {
        "INSERT": "NEW TABLE AS new_rows",
        "DELETE": "OLD TABLE AS old_rows",
        "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }[event]
    rows = "new_rows" if event == "INSERT" else "old_rows"
    # nothing to count (the writer's batch facts, almost always): no lock taken
    lock = (
        f"    IF NOT EXISTS (SELECT 1 FROM {rows}) THEN\n        RETURN NULL;\n    END IF;\n"
        f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
    )
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\nBEGIN\n"
        f"{lock}{body(statements)}    RETURN NULL;\nEND\n$fn$;\n"
        f"CREATE TRIGGER rollup_scores_{event.lower()} AFTER {event} ON score_facts "
        f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
    )


PG_SCORE_ROLLUP = (
    "".join(f"{s};\n" for s in rebuild_score_rollup()[1:])
    + _pg_trigger("INSERT", [_grouped("new_rows", "")])
    + _pg_trigger("DELETE", [_grouped("old_rows", "-"), _empty("old_rows")])
    + _pg_trigger(
        "UPDATE",
        [_grouped("old_rows", "-"), _grouped("new_rows", ""), _empty("old_rows")],
    )
)


def pg_score_rollup_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, and statement triggers on ``score_facts``."""
    return types(SCORE_ROLLUP_TABLE) + PG_SCORE_ROLLUP
