"""Schema v7: the writer keeps the rollups per batch. After a mixed workload (several
processes at once on the same hours, cache hits before and after their originals, ids logged
twice, a replayed batch of rows already committed, a batch with a row the database rejects,
standalone properties, reprice, prune, deletions) every rollup equals a full GROUP BY recount
of ``requests``, on both engines; and a v6 store keeps its rollups through the migration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from helicone_lite.store import MIGRATIONS, SCHEMA_VERSION, Store, iso_from_epoch
from helicone_lite.store._database import migrate
from helicone_lite.store._retention import delete_requests, prune
from helicone_lite.store._rollup_batch import (
    PG_BATCH_ON,
    PG_NEW_REQUESTS_TABLE,
    PG_ROLLUP_LOCK,
    capture,
    pg_batch_upserts,
)
from helicone_lite.store._schema import ROLLUP_BATCH_VERSION
from tests.processes import forkserver, process

from . import rollup_workers
from .rollup_workers import T0, mixed_rows
from .test_rollups import assert_consistent


def test_rollups_equal_a_recount_after_a_mixed_workload(database: str) -> None:
    tags = ["p0", "p1", "p2"]
    ids = {t: [f"{t}-{i:04d}" for i in range(150)] for t in tags}
    store = Store(database)  # migrated before the children start
    ctx = forkserver()
    start = ctx.Event()
    procs = [
        process(
            ctx,
            rollup_workers.write_mixed,
            (database, t, 150, n, [i for o in tags if o != t for i in ids[o]], start),
        )
        for n, t in enumerate(tags)
    ]
    for p in procs:
        p.start()
    start.set()
    for p in procs:
        p.join(180)
        assert p.exitcode == 0
    try:
        assert store.query("SELECT count(*) AS n FROM requests") == [{"n": 450}]
        assert_consistent(store)
        # a replay of rows already committed, with new ones; some replayed rows carry other
        # properties (an id logged again later): the logged row stands
        replayed = mixed_rows("p1", 150, 1, [])[:40]
        for row in replayed[::3]:
            row["properties"] = {"department": "other", "new": "1"}
        for row in replayed + mixed_rows("late", 30, 9, ids["p2"]):
            store.write("requests", row)
        assert store.flush()
        assert store.query("SELECT count(*) AS n FROM requests") == [{"n": 480}]
        assert not store.query("SELECT 1 FROM request_properties WHERE name = 'new'")
        assert_consistent(store)
        # a batch with a row the database rejects (an integer too large for any column),
        # a row already logged, and a property written on its own
        bad = mixed_rows("bad", 6, 5, ids["p0"])
        bad[2]["total_tokens"] = 2**70
        for row in [*bad, replayed[1]]:
            store.write("requests", row)
        store.write("request_properties", {"request_id": "p0-0003", "name": "agent", "value": "q"})
        assert store.flush()
        assert store.stats()["dropped"] == 1
        assert store.query("SELECT count(*) AS n FROM requests") == [{"n": 485}]
        assert_consistent(store)
        with store.transaction() as conn:  # reprice: originals of hits change price
            conn.execute("UPDATE requests SET cost_usd = 0.5 WHERE id LIKE 'p2-00%'")
        assert_consistent(store)
        prune(store, iso_from_epoch(T0 + 3600), batch=64)
        delete_requests(store, user="u2", batch=50)
        assert_consistent(store)
        kept = store.query("SELECT sum(requests) AS n FROM rollup_models")[0]["n"]
        assert kept == store.query("SELECT count(*) AS n FROM requests")[0]["n"] > 0
    finally:
        store.close()


def test_a_store_with_trigger_kept_rollups_keeps_them_through_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "before.db"
    conn = sqlite3.connect(path, isolation_level=None)
    assert migrate(conn, MIGRATIONS[: ROLLUP_BATCH_VERSION - 1]) == ROLLUP_BATCH_VERSION - 1
    columns = ("id", "created_at", "provider", "model", "status", "cost_usd", "total_tokens")
    columns += ("latency_ms", "user_id", "cache_status", "cache_reference_id")
    rows = mixed_rows("v6", 120, 3, [])[:-1]
    with conn:  # logged under v6: its triggers count them
        conn.execute("BEGIN")
        for row in rows:
            conn.execute(
                f"INSERT INTO requests ({', '.join(columns)}) VALUES ({', '.join('?' * 11)})",
                [row.get(c) for c in columns],
            )
            for name, value in row["properties"].items():
                conn.execute(
                    "INSERT INTO request_properties VALUES (?, ?, ?)", (row["id"], name, value)
                )
    v6_rollups = recount_kept(conn)
    assert v6_rollups["models"]
    conn.close()
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert_consistent(store)  # carried over, not recounted: the v6 figures stand
        for row in mixed_rows("v7", 60, 4, [r["id"] for r in rows]):
            store.write("requests", row)
        assert store.flush()
        assert_consistent(store)
    finally:
        store.close()


def recount_kept(conn: sqlite3.Connection) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: conn.execute(f"SELECT * FROM rollup_{table} ORDER BY 1, 2, 3").fetchall()
        for table in ("models", "users", "properties")
    }


def test_a_hit_and_its_original_logged_at_once_by_two_processes(postgres_url: str) -> None:
    """PostgreSQL: one transaction logs an original and adds it to the rollups (the writer's
    statements), and before it commits another process's writer logs a hit served from it.
    Neither sees the other's uncommitted row; the rollup lock makes the second wait for the
    first's commit, so the hit's saving is counted (without it the hit stayed unpriced)."""
    at = iso_from_epoch(T0)
    store = Store(postgres_url)
    other = Store(postgres_url)
    raw = store._db.raw_connect()  # type: ignore[attr-defined]
    try:
        assert other.query("SELECT count(*) AS n FROM requests") == [{"n": 0}]
        raw.execute("BEGIN")
        raw.execute(f"{PG_NEW_REQUESTS_TABLE}; {PG_BATCH_ON}")
        raw.execute(
            capture(
                "INSERT INTO requests (id, created_at, model, status, cost_usd, total_tokens) "
                "VALUES ('o', %s, 'm', 200, 0.25, 10) ON CONFLICT DO NOTHING"
            ),
            [at],
        )
        raw.execute(";\n".join([PG_ROLLUP_LOCK, *pg_batch_upserts()]))
        other.write(
            "requests",
            {
                "id": "h",
                "created_at": at,
                "model": "m",
                "status": 200,
                "cost_usd": 0.0,
                "cache_status": "HIT",
                "cache_reference_id": "o",
            },
        )
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted"
        for _ in range(2000):  # until its writer waits for a lock (or is done: a failure)
            if other.flush(timeout=0.05) or raw.execute(waiting).fetchone()[0]:
                break
        raw.execute("COMMIT")
        assert other.flush()
        assert_consistent(store)
        [row] = store.query("SELECT requests, saved_usd, unpriced FROM rollup_models")
        assert (row["requests"], row["saved_usd"], row["unpriced"]) == (2, 0.25, 0)
    finally:
        raw.close()
        other.close()
        store.close()
