"""Schema v15 ("session rollup"): one row per session, kept by the writer, for the session
list ranked by an aggregate.

``rollup_sessions`` holds, per ``session_id``: requests, cost, tokens, errors (status not
2xx), the first and last ``created_at``, the first start and last end in epoch ms (end:
start + latency) and their difference, the duration. An index per sort (cost, requests,
tokens, errors, duration; each ``(figure, session_id, first_at, last_at)``: a backward walk
yields the list's own order, ties by id, and tells where each session lies in time without
a lookup of its row) lets ``reports/_session_rank.py`` read the top of the list
instead of grouping every request of the range (408-468 ms on 1,000,000 requests).

Who keeps it:

* **the writer**, in the batch's transaction, one grouped upsert ordered by session id (the
  sums add, first/last/end combine as min/max): SQLite reads the batch by rowid (or by the
  ids really inserted, the slow path), PostgreSQL from ``pg_temp.helicone_lite_new_requests``
  with ``helicone_lite.sessions`` set so the insert trigger stands aside;
* **deletes and updates** (prune, ``delete --user/--session``, ``reprice``, any statement):
  min and max cannot be taken back, so the sessions touched are *recounted* from their rows
  (``idx_requests_session``): SQLite row triggers (the delete trigger stands aside for a
  batched deletion, which recounts the batch's sessions once, ``_retention.py``);
  PostgreSQL statement triggers over the transition tables, under the rollup lock;
* PostgreSQL inserts not made by the writer: the insert trigger adds them. A hand-written
  ``INSERT`` on SQLite is not counted (as for the other rollups since v7):
  ``store.rebuild_rollups`` recounts.

SQL text only; ``_schema.py`` and ``_pg_schema.py`` append the migrations.
"""

from __future__ import annotations

from ._rollup_names import NEW_REQUESTS, ROLLUP_LOCK_KEY
from ._rollup_sql import body

__all__ = [
    "PG_SESSIONS_ON",
    "SESSION_ROLLUP_TABLE",
    "SESSION_SORT_COLUMNS",
    "ids_batch_sessions",
    "pg_batch_sessions",
    "pg_session_rollup_migration",
    "rebuild_sessions",
    "recount_sessions",
    "sqlite_batch_sessions",
    "sqlite_session_rollup_migration",
]

#: the list's sort -> the rollup column (and its index, ``idx_rollup_sessions_<sort>``)
SESSION_SORT_COLUMNS = {
    "cost": "cost_usd",
    "requests": "requests",
    "tokens": "tokens",
    "errors": "errors",
    "duration": "duration_ms",
}

SESSION_ROLLUP_TABLE = """
CREATE TABLE rollup_sessions (
    session_id   TEXT NOT NULL PRIMARY KEY,
    requests     INTEGER NOT NULL,
    cost_usd     REAL NOT NULL,
    tokens       INTEGER NOT NULL,
    errors       INTEGER NOT NULL,
    first_at     TEXT,
    last_at      TEXT,
    first_ms     REAL,
    end_ms       REAL,
    duration_ms  REAL NOT NULL
) WITHOUT ROWID;
""" + "".join(
    f"CREATE INDEX idx_rollup_sessions_{sort} "
    f"ON rollup_sessions ({column}, session_id, first_at, last_at);\n"
    for sort, column in SESSION_SORT_COLUMNS.items()
)

_COLUMNS = (
    "session_id",
    "requests",
    "cost_usd",
    "tokens",
    "errors",
    "first_at",
    "last_at",
    "first_ms",
    "end_ms",
    "duration_ms",
)
_MS = "(julianday(r.created_at) - 2440587.5) * 86400000.0"
_END = f"{_MS} + coalesce(r.latency_ms, 0)"
_AGGREGATES = (
    "r.session_id",
    "count(*)",
    "sum(coalesce(r.cost_usd, 0))",
    "sum(coalesce(r.total_tokens, 0))",
    "sum(CASE WHEN r.status NOT BETWEEN 200 AND 299 THEN 1 ELSE 0 END)",
    "min(r.created_at)",
    "max(r.created_at)",
    f"min({_MS})",
    f"max({_END})",
    f"coalesce(max({_END}) - min({_MS}), 0)",
)


def _select(source: str, where: str, hint: str = "") -> str:
    """The figures of the sessions of requests ``r`` in ``source`` matching ``where``
    (``hint``: SQLite's ``NOT INDEXED``, see :func:`sqlite_batch_sessions`)."""
    return (
        f"SELECT {', '.join(_AGGREGATES)} FROM {source} r {hint}{' ' if hint else ''}"
        f"WHERE r.session_id IS NOT NULL AND {where} GROUP BY r.session_id"
    )


def _least(a: str, b: str) -> str:
    return _pick(a, b, "<")


def _greatest(a: str, b: str) -> str:
    return _pick(a, b, ">")


def _pick(a: str, b: str, better: str) -> str:
    """``b`` if it is ``better`` than ``a`` (or ``a`` is NULL), else ``a``: NULL-skipping
    min/max the same on both engines (SQLite's two-argument min/max return NULL)."""
    return f"(CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {b} {better} {a} THEN {b} ELSE {a} END)"


def _upsert(source: str, where: str, hint: str = "") -> str:
    """Add the sessions of ``source``'s rows (in session order: concurrent writers lock the
    rollup rows in one order) to the rollup."""
    t, x = "rollup_sessions", "excluded"
    sums = [f"{c} = {t}.{c} + {x}.{c}" for c in ("requests", "cost_usd", "tokens", "errors")]
    first_ms, end_ms = (
        _least(f"{t}.first_ms", f"{x}.first_ms"),
        _greatest(f"{t}.end_ms", f"{x}.end_ms"),
    )
    sets = [
        *sums,
        f"first_at = {_least(f'{t}.first_at', f'{x}.first_at')}",
        f"last_at = {_greatest(f'{t}.last_at', f'{x}.last_at')}",
        f"first_ms = {first_ms}",
        f"end_ms = {end_ms}",
        f"duration_ms = coalesce({end_ms} - {first_ms}, 0)",
    ]
    return (
        f"INSERT INTO {t} ({', '.join(_COLUMNS)}) {_select(source, where, hint)} ORDER BY 1 "
        f"ON CONFLICT (session_id) DO UPDATE SET {', '.join(sets)}"
    )


def sqlite_batch_sessions() -> list[str]:
    """SQLite: add the requests with ``rowid >= :mark`` (the batch just inserted).

    ``NOT INDEXED``: left to itself, SQLite's planner read the batch through
    ``idx_requests_session`` (its order spares the ``GROUP BY`` a sort), i.e. walked every
    request with a session in the store to keep the batch's, once per batch: the writer's
    cost grew with the store (12-13 µs a row at 100,000 rows, one session; more with many).
    The rowid range reads the batch's rows only (the rowid stays usable: ``NOT INDEXED``
    rules out indexes, not the table's own key)."""
    return [_upsert("requests", "r.rowid >= :mark", "NOT INDEXED")]


def ids_batch_sessions() -> list[str]:
    """SQLite: add the requests whose ids are the JSON array ``:ids``."""
    return [_upsert("requests", "r.id IN (SELECT value FROM json_each(:ids))")]


def pg_batch_sessions() -> list[str]:
    """PostgreSQL: add the writer's batch (the requests in ``NEW_REQUESTS``)."""
    return [_upsert(NEW_REQUESTS, "TRUE")]


def recount_sessions(sessions: str) -> list[str]:
    """Both engines: the sessions ``session_id IN (sessions)`` counted again from their
    rows (after some of them were deleted or changed)."""
    return [
        f"DELETE FROM rollup_sessions WHERE session_id IN ({sessions})",
        f"INSERT INTO rollup_sessions ({', '.join(_COLUMNS)}) "
        + _select("requests", f"r.session_id IN ({sessions})"),
    ]


def rebuild_sessions() -> list[str]:
    """Both engines: the rollup emptied and counted again from ``requests``."""
    return [
        "DELETE FROM rollup_sessions",
        f"INSERT INTO rollup_sessions ({', '.join(_COLUMNS)}) " + _select("requests", "TRUE"),
    ]


#: a change of these columns changes a session's figures
_WATCHED = "session_id, created_at, status, cost_usd, total_tokens, latency_ms"
#: the delete trigger stands aside for a batched deletion (``_retention.py`` recounts)
_ROW_BY_ROW = "(SELECT batched FROM rollup_control) = 0"


def sqlite_session_rollup_migration() -> str:
    """SQLite: the table, its backfill, and the delete and update triggers."""
    old = recount_sessions("OLD.session_id")
    # the new session only when it is another one: a reprice recounts its session once
    new = recount_sessions("SELECT NEW.session_id WHERE NEW.session_id IS NOT OLD.session_id")
    return (
        SESSION_ROLLUP_TABLE
        + f"{rebuild_sessions()[1]};\n"
        + "CREATE TRIGGER rollup_sessions_delete AFTER DELETE ON requests "
        + f"WHEN OLD.session_id IS NOT NULL AND {_ROW_BY_ROW}\nBEGIN\n{body(old)}END;\n"
        + f"CREATE TRIGGER rollup_sessions_update AFTER UPDATE OF {_WATCHED} ON requests "
        + "WHEN OLD.session_id IS NOT NULL OR NEW.session_id IS NOT NULL\n"
        + f"BEGIN\n{body(old)}{body(new)}END;\n"
    )


#: set (transaction-local) by a writer that adds its batch's sessions itself
PG_SESSIONS_SETTING = "helicone_lite.sessions"
PG_SESSIONS_ON = f"SELECT set_config('{PG_SESSIONS_SETTING}', 'on', true)"
_PG_ON = f"current_setting('{PG_SESSIONS_SETTING}', true) = 'on'"
_TRANSITION = {
    "INSERT": "NEW TABLE AS new_rows",
    "DELETE": "OLD TABLE AS old_rows",
    "UPDATE": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
}


def _pg_trigger(event: str, statements: list[str], writer_skips: bool = False) -> str:
    name = f"helicone_lite_sessions_requests_{event.lower()}"
    skip = f"    IF {_PG_ON} THEN\n        RETURN NULL;\n    END IF;\n" if writer_skips else ""
    lock = f"    PERFORM pg_advisory_xact_lock({ROLLUP_LOCK_KEY});\n"
    return (
        f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$\n"
        f"BEGIN\n{skip}{lock}{body(statements)}    RETURN NULL;\nEND\n$fn$;\n"
        f"CREATE TRIGGER rollup_sessions_{event.lower()} AFTER {event} ON requests "
        f"REFERENCING {_TRANSITION[event]} FOR EACH STATEMENT EXECUTE FUNCTION {name}();\n"
    )


def pg_session_rollup_migration(types: str) -> str:
    """PostgreSQL: ``types`` (the table in PostgreSQL's spelling), the backfill, and
    statement triggers: inserts not made by the writer are added; deletes and updates
    recount the sessions they touched (under the rollup lock, as the writer's upserts)."""
    changed = (
        "SELECT session_id FROM old_rows WHERE session_id IS NOT NULL "
        "UNION SELECT session_id FROM new_rows WHERE session_id IS NOT NULL"
    )
    deleted = "SELECT session_id FROM old_rows WHERE session_id IS NOT NULL"
    return (
        types
        + f"{rebuild_sessions()[1]};\n"
        + _pg_trigger("INSERT", [_upsert("new_rows", "TRUE")], writer_skips=True)
        + _pg_trigger("DELETE", recount_sessions(deleted))
        + _pg_trigger("UPDATE", recount_sessions(changed))
        + "ANALYZE rollup_sessions;\n"
    )
