"""Score rollup per user and day (``USER_SCORES_MIGRATION``): the users report's mean scores
of every user (``users -n 0``: more users than ``reports._scores`` narrows to a list) read
daily sums instead of every score fact (1,000,000 at 10,000,000 requests: 390-475 ms of
server CPU grouped, 266,114 daily rows instead).

``rollup_user_scores`` is keyed ``(user_id, nulls, name, day)``: per user, score name and
UTC day (``YYYY-MM-DD``; ``''`` for a request without a time), the sum and the number of the
scores' values. As in ``rollup_users`` a NULL user is stored as ``''`` with ``nulls`` 1. The
user leads, so the grouping by user and score follows the key (no sort). Keyed by the hour it
would not shrink (763,604 distinct (user, score, hour) of 1,000,000 facts at 10M); the
partial days at either end of a range are read from ``score_facts`` off
``idx_score_facts_time`` (``created_at`` with the user, name and value: index-only; about
11,000 scores a day at 10M) (``reports/_score_rollup.py``).

**PostgreSQL only**: on SQLite the same means over 1,000,000 requests take ~0.1 s from
``score_facts``, and every score written or pruned would pay a row trigger and the table's
pages (benchmarks/README.md, branch ``pg10m7``). Kept exactly as ``rollup_scores`` is (its
``ScoreRollup``): PostgreSQL's statement triggers on ``score_facts`` (the writer's batch facts, a
later ``score()``, every deletion and update through the fact triggers), counted again by
``store.rebuild_rollups``; ``migrate --to`` derives it (the target's triggers).
"""

from __future__ import annotations

from collections.abc import Callable

from ._rollup_scores import ScoreRollup, grouped_scores, pg_score_triggers

__all__ = [
    "PG_SCORE_TIME_INDEX",
    "TABLE",
    "USER_SCORES_MIGRATION",
    "USER_SCORES_TABLE",
    "pg_user_scores_migration",
    "rebuild_user_scores",
]

TABLE = "rollup_user_scores"

USER_SCORES_TABLE = f"""
CREATE TABLE {TABLE} (
    user_id   TEXT NOT NULL,
    nulls     INTEGER NOT NULL,
    name      TEXT NOT NULL,
    day       TEXT NOT NULL,
    total     REAL NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (user_id, nulls, name, day)
) WITHOUT ROWID;
"""

_USER_SCORES = ScoreRollup(
    TABLE,
    "score_facts",
    ("user_id", "nulls", "name", "day"),
    lambda f: (
        f"coalesce({f}.user_id, '')",
        f"(CASE WHEN {f}.user_id IS NULL THEN 1 ELSE 0 END)",
        f"{f}.name",
        f"coalesce(substr({f}.created_at, 1, 10), '')",
    ),
    "value",
    ("id", "name"),
)


def rebuild_user_scores() -> list[str]:
    """PostgreSQL: count the table again from ``score_facts`` (the migration's backfill too)."""
    return [f"DELETE FROM {TABLE}", grouped_scores(_USER_SCORES, "score_facts", "")]


#: SQLite: nothing (the table is PostgreSQL's: see the module's docstring)
USER_SCORES_MIGRATION = "SELECT 23;  -- rollup_user_scores: PostgreSQL's only\n"


#: the scores of a short time range (the partial days at either end of a range), index-only
PG_SCORE_TIME_INDEX = (
    "CREATE INDEX idx_score_facts_time ON score_facts (created_at) "
    "INCLUDE (user_id, name, value);\n"
)


def pg_user_scores_migration(types: Callable[[str], str]) -> str:
    """The table in PostgreSQL's types (``types``: ``_pg_schema._types``), its backfill from
    ``score_facts``, the statement triggers on ``score_facts`` that keep it, and
    ``idx_score_facts_time`` for the partial days."""
    backfill = f"{rebuild_user_scores()[1]};\n"
    return (
        types(USER_SCORES_TABLE) + backfill + pg_score_triggers(_USER_SCORES) + PG_SCORE_TIME_INDEX
    )
