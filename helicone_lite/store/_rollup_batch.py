"""Schema v7: the writer keeps the hourly rollups itself, per batch, set-based.

v6 kept ``rollup_*`` in step with row triggers (SQLite) and statement triggers (PostgreSQL)
on every insert: ~80-100 µs a row on SQLite, and on PostgreSQL rollup rows locked from the
middle of each batch to its commit, in no particular order (four writers waited on each
other). From v7 the writer's own transaction adds a batch's figures after inserting it, in
grouped upserts (models, users, properties; status from ``_rollup_status.py``), each
ordered by its key so concurrent writers lock the hot rows in one order, just before the
commit:

* **SQLite**: before the inserts the writer reads ``max(rowid)`` of ``requests`` (under the
  write lock, so the rows with a larger rowid are exactly those the batch inserts: not the
  ones ``INSERT OR IGNORE`` skipped, not the ones rolled back). A batch that skipped or lost
  a row is written row by row and counted by the ids really inserted (``:ids``, JSON).
  ``_sink_rollups.py`` drives this; v7 dropped the insert triggers (``_rollup_v7.py``).
* **PostgreSQL**: ``helicone_lite.batch = 'on'`` (transaction-local) makes the insert
  triggers stand aside; the requests insert is wrapped in
  ``WITH i AS (INSERT ... ON CONFLICT DO NOTHING RETURNING ...)``, whose rows (only those
  really inserted) go to a session-local table, ``pg_temp.helicone_lite_new_requests``,
  emptied at commit. The upserts read that table, after taking the rollup lock.

Updates and deletions (``reprice``, prune, any ``DELETE``) still go through v6's triggers, as
do hand-written inserts on PostgreSQL; on SQLite those need :func:`rebuild` (through
``store.rebuild_rollups``). SQL text only.
"""

from __future__ import annotations

import re

from ._rollup_names import NEW_REQUESTS, PG_BATCH_SETTING, ROLLUP_LOCK_KEY
from ._rollup_property_models import SPLIT as PROPERTY_MODELS
from ._rollup_property_users import SPLIT as PROPERTY_USERS
from ._rollup_schema import property_triggers
from ._rollup_sql import (
    KEYS,
    NAMES,
    SAVED,
    backfill,
    backfill_status,
    figures,
    hour_of,
    model_keys,
    status_keys,
    upsert,
)

__all__ = [
    "NEW_REQUESTS",
    "PG_BATCH_JOINS",
    "PG_BATCH_NO_JIT",
    "PG_BATCH_ON",
    "PG_NEW_REQUESTS_TABLE",
    "PG_ROLLUP_LOCK",
    "ROLLUP_LOCK_KEY",
    "ROWID_LIMIT",
    "SQLITE_IDS",
    "SQLITE_RANGE",
    "batch_upserts",
    "capture",
    "capture_counted",
    "ids_batch_upserts",
    "pg_batch_upserts",
    "property_change",
    "rebuild",
    "sqlite_batch_upserts",
]

#: the columns of a request the rollups read
NEW_COLUMNS = (
    "id, created_at, model, provider, status, cost_usd, total_tokens, latency_ms, user_id, "
    "cache_status, cache_reference_id"
)
#: PostgreSQL captures these too: the fact tables (schema v11) copy them
_PG_COLUMNS = f"{NEW_COLUMNS}, session_id, session_path, prompt_id, prompt_version"
PG_NEW_REQUESTS_TABLE = (
    f"CREATE TEMP TABLE IF NOT EXISTS helicone_lite_new_requests ON COMMIT DELETE ROWS "
    f"AS SELECT {_PG_COLUMNS} FROM requests WITH NO DATA"
)
PG_BATCH_ON = f"SELECT set_config('{PG_BATCH_SETTING}', 'on', true)"
PG_ROLLUP_LOCK = f"SELECT pg_advisory_xact_lock({ROLLUP_LOCK_KEY})"
#: Before the batch's fact and rollup statements (the last of its transaction): each joins
#: the batch's new requests (the temporary table, no statistics: estimated at ~200-400 rows)
#: to ``requests``/``request_properties``/``scores`` by an indexed key. Left to itself the
#: planner hashes the batch and reads the whole other table (a seq scan per statement and
#: batch, growing with the store until it is ~10x the batch); index lookups per batch row
#: are what these statements need at any store size. ``SET LOCAL``: until the commit only
#: (benchmarks/README.md, "PostgreSQL writer: the batch's joins", 2026-12-07).
PG_BATCH_JOINS = "SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off"
#: First in the batch's transaction: no JIT compilation for any of its statements. The
#: statements that join the batch's new requests (no statistics: estimated at ~850 rows)
#: to ``request_properties`` not analyzed yet, or analyzed when much smaller (0.5 % of its
#: rows a key), are estimated above ``jit_above_cost`` from ~60,000-120,000 properties: the
#: server then compiled each of them again for every batch (15 functions, 17-46 ms a
#: statement, for a few thousand rows) until the next autoanalyze. ``SET LOCAL``: until the
#: commit (benchmarks/README.md, "PostgreSQL writer from one process", 2026-12-07).
PG_BATCH_NO_JIT = "SET LOCAL jit = off"
#: above this rowid SQLite may choose rowids at random: the triggers count such batches
ROWID_LIMIT = 2**62


def capture(insert: str) -> str:
    """PostgreSQL: ``insert`` (into ``requests``, ending in ``ON CONFLICT DO NOTHING``) that
    also records the rows it really inserted in :data:`NEW_REQUESTS`."""
    return (
        f"WITH helicone_lite_inserted AS ({insert} RETURNING {_PG_COLUMNS}) "
        f"INSERT INTO {NEW_REQUESTS} ({_PG_COLUMNS}) "
        f"SELECT {_PG_COLUMNS} FROM helicone_lite_inserted"
    )


def capture_counted(insert: str, *, properties: bool = True) -> str:
    """:func:`capture`, answering one row: how many requests it inserted, whether any of them
    has a score already (scored before it was logged), and (``properties``) whether any has a
    property already (written on its own before its request). Each a probe of an index per
    inserted request (a subquery per row: never a scan of ``scores``). The writer skips the
    batch's statements that would find nothing (``_pg_batch.py``)."""
    probes = [("scores", "s")] + ([("request_properties", "p")] if properties else [])
    flags = "".join(
        f", coalesce(bool_or(EXISTS (SELECT 1 FROM {t} {a} WHERE {a}.request_id = c.id)), false)"
        for t, a in probes
    )
    return (
        f"WITH helicone_lite_inserted AS ({insert} RETURNING {_PG_COLUMNS}), "
        f"helicone_lite_captured AS (INSERT INTO {NEW_REQUESTS} ({_PG_COLUMNS}) "
        f"SELECT {_PG_COLUMNS} FROM helicone_lite_inserted RETURNING id) "
        f"SELECT count(*){flags} FROM helicone_lite_captured c"
    )


def _ordered(table: str, columns: tuple[str, ...], select: str) -> str:
    keys = ", ".join(str(i + 1) for i in range(len(KEYS[table])))
    return upsert(table, columns, f"{select} GROUP BY {keys} ORDER BY {keys}")


def _models_upsert(batch: str, is_old: str, hits: str) -> str:
    """``rollup_models``' upsert of :func:`batch_upserts`: the batch's figures, its hits'
    savings, and the move from ``unpriced`` to ``saved_*`` of earlier hits of its requests."""
    hit = "r.cache_status = 'HIT'"
    own = ", ".join(
        (
            *(f"{k} AS k{i}" for i, k in enumerate(model_keys("r"))),
            *(f"{f} AS {n}" for f, n in zip(figures("r", ""), NAMES, strict=True)),
            f"(CASE WHEN {hit} THEN coalesce(o.cost_usd, 0) ELSE 0 END) AS saved_usd",
            f"(CASE WHEN {hit} AND o.cost_usd IS NOT NULL THEN coalesce(o.total_tokens, 0) "
            "ELSE 0 END) AS saved_tokens",
            f"(CASE WHEN {hit} AND o.cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced",
        )
    )
    zeros = ", ".join("0" for _ in NAMES)
    moved = ", ".join((*model_keys("h"), zeros, "r.cost_usd", "coalesce(r.total_tokens, 0)", "-1"))
    columns = ("k0", "k1", "k2", "k3", *NAMES, *SAVED)
    return _ordered(
        "rollup_models",
        (*KEYS["rollup_models"], *NAMES, *SAVED),
        f"SELECT {', '.join(columns[:4])}, "
        f"{', '.join(f'sum({c})' for c in columns[4:])} FROM ("
        f"SELECT {own} FROM {batch} r LEFT JOIN requests o "
        f"ON o.id = r.cache_reference_id AND {hit} AND o.id <> r.id "
        f"UNION ALL SELECT {moved} FROM {batch} r {hits} "
        "ON h.cache_reference_id = r.id AND h.cache_status = 'HIT' AND h.id <> r.id "
        f"WHERE r.cost_usd IS NOT NULL AND {is_old}) d WHERE 1 = 1",
    )


def batch_upserts(
    batch: str, is_old: str, hits: str = "JOIN requests h", *, status: bool = True
) -> list[str]:
    """The four upserts that add the requests of ``batch`` (a table or ``(SELECT ...)`` of
    :data:`NEW_COLUMNS`) to the rollups; ``is_old``: SQL true for a request ``h`` logged
    before the batch; ``hits``: the join of ``requests`` as ``h`` (SQLite is told to read
    the batch first and probe the index of cache hits per row, not to scan the hits). Run
    after the batch's requests and properties are inserted.

    ``rollup_models`` takes, in one statement (so its rows are locked once, in key order):
    the batch's figures, its hits' savings (their original read from ``requests``, which now
    holds the batch too), and for hits logged *earlier* whose original is in the batch, the
    move from ``unpriced`` to ``saved_*``. ``status``: ``rollup_status`` too (a store of
    its schema version, ``STATUS_ROLLUP_VERSION``, or later).
    """
    models = _models_upsert(batch, is_old, hits)
    sums = ", ".join(f"sum({f})" for f in figures("r", ""))
    user_keys = (
        "coalesce(r.user_id, '')",
        "(CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END)",
        hour_of("r"),
    )
    users = _ordered(
        "rollup_users",
        (*KEYS["rollup_users"], *NAMES),
        f"SELECT {', '.join(user_keys)}, {sums} FROM {batch} r WHERE 1 = 1",
    )
    properties = _ordered(
        "rollup_properties",
        (*KEYS["rollup_properties"], *NAMES),
        f"SELECT p.name, p.value, {hour_of('r')}, {sums} FROM {batch} r "
        "JOIN request_properties p ON p.request_id = r.id WHERE p.value IS NOT NULL",
    )
    by_status = _ordered(
        "rollup_status",
        (*KEYS["rollup_status"], *NAMES),
        f"SELECT {', '.join(status_keys('r'))}, {sums} FROM {batch} r WHERE r.status IS NOT NULL",
    )
    return [models, users, properties, *([by_status] if status else [])]


_HITS = "CROSS JOIN requests h INDEXED BY idx_requests_cache_hits"


#: SQLite: a batch's requests, the rows with ``rowid >= :mark`` (named parameter)
SQLITE_RANGE = f"(SELECT {NEW_COLUMNS} FROM requests WHERE rowid >= :mark)"
_IDS = "(SELECT value FROM json_each(:ids))"
#: SQLite: a batch's requests, those whose ids are the JSON array ``:ids``
SQLITE_IDS = f"(SELECT {NEW_COLUMNS} FROM requests WHERE id IN {_IDS})"


def sqlite_batch_upserts(*, status: bool = True) -> list[str]:
    """SQLite: the upserts for the rows with ``rowid >= :mark`` (named parameter)."""
    return batch_upserts(SQLITE_RANGE, "h.rowid < :mark", _HITS, status=status)


def ids_batch_upserts(*, status: bool = True) -> list[str]:
    """SQLite: the upserts for the requests whose ids are the JSON array ``:ids`` (the slow
    path: a batch written row by row)."""
    return batch_upserts(SQLITE_IDS, f"h.id NOT IN {_IDS}", _HITS, status=status)


_NEW = re.compile(r"\bNEW\.(\w+)")


def property_change() -> tuple[list[str], list[str]]:
    """SQLite: what v6's property triggers did for one ``request_properties`` row, with the
    row as named parameters ``:request_id``, ``:name``, ``:value``: (statements to run
    before it is written: its old value leaves the rollup; after: its new value enters).
    For a property written on its own (not with its request), once the batch is counted."""
    before, after = property_triggers()
    return _statements(before), _statements(after)


def _statements(trigger_body: str) -> list[str]:
    parts = (s.strip() for s in trigger_body.split(";\n"))
    return [_NEW.sub(r":\1", s) for s in parts if s]


def rebuild(
    *, status: bool = True, property_models: bool = False, property_users: bool = False
) -> str:
    """Both engines: the rollups emptied and counted again from ``requests`` (one script, to
    run in one transaction); ``status``: ``rollup_status`` too, ``property_models``:
    ``rollup_property_models`` too, ``property_users``: ``rollup_property_users`` too (the
    store has them: their schema versions)."""
    splits = [
        s
        for s, kept in ((PROPERTY_MODELS, property_models), (PROPERTY_USERS, property_users))
        if kept
    ]
    kept = {"rollup_status": status, PROPERTY_MODELS.table: property_models}
    kept[PROPERTY_USERS.table] = property_users
    tables = [table for table in KEYS if kept.get(table, True)]
    empty = "".join(f"DELETE FROM {table};\n" for table in tables)
    script = empty + backfill() + (backfill_status() if status else "")
    return script + "".join(split.backfill() + ";\n" for split in splits)


def pg_batch_upserts(*, status: bool = True) -> list[str]:
    """PostgreSQL: the upserts for the rows in :data:`NEW_REQUESTS`."""
    return batch_upserts(
        NEW_REQUESTS,
        f"NOT EXISTS (SELECT 1 FROM {NEW_REQUESTS} b WHERE b.id = h.id)",
        status=status,
    )
