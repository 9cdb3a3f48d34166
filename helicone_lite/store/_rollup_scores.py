"""Score rollups (``SCORE_ROLLUP_MIGRATION``): per UTC hour, model, provider, status and score
name, the sum and the number of the scores, so the mean scores of the models, providers and
summary reports (and of the same filtered by status) read hourly sums instead of every score;
and per property name, value, score name and hour (``rollup_property_scores``, from
``score_property_facts``, kept the same way) for the properties report's means per value.

``rollup_scores`` is keyed ``(hour, model, provider, nulls, status, name)``. As in the other
rollups a NULL key is stored as ``''`` (``0`` for the status) with a bit set in ``nulls``:
1 model, 2 provider, 4 status. A status filter never matches a NULL status, so the reports
test ``(nulls & 4) = 0`` with it.

It is kept from ``score_facts``, which both engines already keep exact (the writer, and
triggers for every insert, replace, update and delete of a score, a request or a property:
prune, ``delete --user``, ``reprice``, a hand-written statement):

* SQLite: row triggers on ``score_facts`` (``score_property_facts``). A score written again replaces its fact with
  ``INSERT OR REPLACE``, which fires no delete trigger: the ``BEFORE INSERT`` trigger takes
  the replaced fact out first. Scores are few (written by ``score()``/``feedback()``, one
  transaction each), so a row trigger per fact costs nothing that matters.
* PostgreSQL: statement triggers on the fact tables (transition tables), one grouped upsert
  per statement under the rollup lock.

A group whose count reaches zero is removed. ``store.rebuild_rollups`` counts it again from
``score_facts``; ``migrate --to`` does not copy it (the target's triggers derive it).
SQL text only; ``_schema.py`` and ``_pg_schema.py`` append the migrations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._rollup_names import ROLLUP_LOCK_KEY
from ._rollup_sql import body, pg_statement_trigger

__all__ = [
    "PG_SCORE_ROLLUP",
    "PROPERTY_SCORE_ROLLUP_TABLE",
    "SCORE_ROLLUP_MIGRATION",
    "SCORE_ROLLUP_TABLE",
    "ScoreRollup",
    "grouped_scores",
    "pg_score_rollup_migration",
    "pg_score_triggers",
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

PROPERTY_SCORE_ROLLUP_TABLE = """
CREATE TABLE rollup_property_scores (
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    score     TEXT NOT NULL,
    hour      TEXT NOT NULL,
    total     REAL NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (name, value, score, hour)
) WITHOUT ROWID;
"""


def _hour(f: str) -> str:
    return f"coalesce(substr({f}.created_at, 1, 13) || ':00:00.000Z', '')"


@dataclass(frozen=True, slots=True)
class ScoreRollup:
    """A score rollup: ``table`` keyed ``keys`` (SQL of them for fact ``f``: ``exprs``), the
    sums of fact table ``facts``'s ``value`` column; ``same``: the columns of its key."""

    table: str
    facts: str
    keys: tuple[str, ...]
    exprs: Callable[[str], tuple[str, ...]]
    value: str
    same: tuple[str, ...]


_SCORES = ScoreRollup(
    "rollup_scores",
    "score_facts",
    ("hour", "model", "provider", "nulls", "status", "name"),
    lambda f: (
        _hour(f),
        f"coalesce({f}.model, '')",
        f"coalesce({f}.provider, '')",
        f"(CASE WHEN {f}.model IS NULL THEN 1 ELSE 0 END)"
        f" + (CASE WHEN {f}.provider IS NULL THEN 2 ELSE 0 END)"
        f" + (CASE WHEN {f}.status IS NULL THEN 4 ELSE 0 END)",
        f"coalesce({f}.status, 0)",
        f"{f}.name",
    ),
    "value",
    ("id", "name"),
)
_PROPERTY_SCORES = ScoreRollup(
    "rollup_property_scores",
    "score_property_facts",
    ("name", "value", "score", "hour"),
    lambda f: (f"{f}.name", f"{f}.value", f"{f}.score", _hour(f)),
    "score_value",
    ("name", "value", "score", "id"),
)
_ROLLUPS = (_SCORES, _PROPERTY_SCORES)


def _upsert(r: ScoreRollup, select: str) -> str:
    return (
        f"INSERT INTO {r.table} ({', '.join(r.keys)}, total, n) {select} "
        f"ON CONFLICT ({', '.join(r.keys)}) DO UPDATE SET "
        f"total = {r.table}.total + excluded.total, n = {r.table}.n + excluded.n"
    )


def grouped_scores(r: ScoreRollup, rows: str, sign: str) -> str:
    """Add (``sign`` ``''``) or take away (``'-'``) the facts in ``rows`` (alias ``f``),
    grouped: one upsert per statement. Facts without a value count nowhere."""
    keys = ", ".join(r.exprs("f"))
    v = f"f.{r.value}"
    return _upsert(
        r,
        f"SELECT {keys}, {sign}total({v}), {sign}count({v}) FROM {rows} f "
        f"WHERE {v} IS NOT NULL GROUP BY {keys}",
    )


def _empty(r: ScoreRollup, rows: str) -> str:
    """Remove the groups of the facts in ``rows`` whose count reached zero."""
    keys = ", ".join(r.exprs("f"))
    return (
        f"DELETE FROM {r.table} WHERE n = 0 AND ({', '.join(r.keys)}) IN "
        f"(SELECT {keys} FROM {rows} f)"
    )


def _one(r: ScoreRollup, f: str, sign: str) -> str:
    """SQLite: fact ``f`` (``NEW``/``OLD``) in or out."""
    keys = ", ".join(r.exprs(f))
    v = f"{f}.{r.value}"
    return _upsert(r, f"SELECT {keys}, {sign}{v}, {sign}1 WHERE {v} IS NOT NULL")


def _cleanup(r: ScoreRollup, f: str) -> str:
    tests = " AND ".join(f"{c} = {k}" for c, k in zip(r.keys, r.exprs(f), strict=True))
    return f"DELETE FROM {r.table} WHERE n = 0 AND {tests}"


def _sqlite_triggers(r: ScoreRollup) -> str:
    # the fact an ``INSERT OR REPLACE`` is about to replace (no delete trigger fires for it)
    same = " AND ".join(f"{c} = NEW.{c}" for c in r.same)
    replaced = f"(SELECT * FROM {r.facts} WHERE {same})"
    return f"""
CREATE TRIGGER {r.table}_replace BEFORE INSERT ON {r.facts}
BEGIN
{body([grouped_scores(r, replaced, "-"), _empty(r, replaced)])}END;
CREATE TRIGGER {r.table}_insert AFTER INSERT ON {r.facts}
BEGIN
{body([_one(r, "NEW", "")])}END;
CREATE TRIGGER {r.table}_delete AFTER DELETE ON {r.facts}
BEGIN
{body([_one(r, "OLD", "-"), _cleanup(r, "OLD")])}END;
CREATE TRIGGER {r.table}_update AFTER UPDATE ON {r.facts}
BEGIN
{body([_one(r, "OLD", "-"), _one(r, "NEW", ""), _cleanup(r, "OLD")])}END;
"""


def rebuild_score_rollup() -> list[str]:
    """Count the score rollups again from their facts (the migration's backfill too)."""
    out = []
    for r in _ROLLUPS:
        out += [f"DELETE FROM {r.table}", grouped_scores(r, r.facts, "")]
    return out


_BACKFILL = "".join(f"{s};\n" for s in rebuild_score_rollup() if not s.startswith("DELETE"))
_TABLES = SCORE_ROLLUP_TABLE + PROPERTY_SCORE_ROLLUP_TABLE
SCORE_ROLLUP_MIGRATION = _TABLES + _BACKFILL + "".join(_sqlite_triggers(r) for r in _ROLLUPS)


def _pg_trigger(r: ScoreRollup, event: str, statements: list[str]) -> str:
    rows = "new_rows" if event == "INSERT" else "old_rows"
    # nothing to count (the writer's batch facts, almost always): no lock taken
    lock = (
        f"    IF NOT EXISTS (SELECT 1 FROM {rows}) THEN\n        RETURN NULL;\n    END IF;\n"
        f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
    )
    function = f"helicone_lite_{r.table}_{event.lower()}"
    trigger = f"{r.table}_{event.lower()}"
    return pg_statement_trigger(function, trigger, event, r.facts, statements, lock)


def pg_score_triggers(r: ScoreRollup) -> str:
    return (
        _pg_trigger(r, "INSERT", [grouped_scores(r, "new_rows", "")])
        + _pg_trigger(r, "DELETE", [grouped_scores(r, "old_rows", "-"), _empty(r, "old_rows")])
        + _pg_trigger(
            r,
            "UPDATE",
            [
                grouped_scores(r, "old_rows", "-"),
                grouped_scores(r, "new_rows", ""),
                _empty(r, "old_rows"),
            ],
        )
    )


PG_SCORE_ROLLUP = _BACKFILL + "".join(pg_score_triggers(r) for r in _ROLLUPS)


def pg_score_rollup_migration(types: Callable[[str], str]) -> str:
    """PostgreSQL's twin: the table in PostgreSQL's types (``types``: ``_pg_schema._types``),
    the backfill, and statement triggers on ``score_facts``."""
    return types(_TABLES) + PG_SCORE_ROLLUP
