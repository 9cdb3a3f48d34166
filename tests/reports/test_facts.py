"""Schema v11: the writer keeps the fact tables (``property_facts``, ``score_facts``,
``score_property_facts``) per batch; on PostgreSQL they are tables (views before). After
every kind of write (the writer's batches, a property written on its own, scores written and
written again, a reprice, deletions in either order, prune) each table holds exactly the rows
computed from the base tables, on both engines; a store migrated from v9 is filled."""

from __future__ import annotations

from typing import Any

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._scores import score
from helicone_lite.store import MIGRATIONS, SCHEMA_VERSION, Store, iso_from_epoch, rebuild_rollups
from helicone_lite.store._pg_schema import PG_MIGRATIONS
from helicone_lite.store._retention import delete_requests, prune
from helicone_lite.store._rollup_batch import PG_BATCH_ON, PG_NEW_REQUESTS_TABLE, capture
from helicone_lite.store._schema import FACTS_BY_WRITER_VERSION

from .conftest import T0
from .test_rollups import assert_facts_consistent


def _row(i: int, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": f"r{i:03d}",
        "created_at": iso_from_epoch(T0 - 86400 + i * 60),
        "model": ("gpt-4o", "gpt-4o-mini")[i % 2],
        "provider": "openai",
        "status": 200 if i % 7 else 500,
        "cost_usd": 0.01 * i,
        "total_tokens": 10 + i,
        "latency_ms": 100.0 + i,
        "user_id": f"u{i % 3}",
        "session_id": f"s{i % 4}",
        "session_path": "/triage",
        "properties": {"Department": ("cardiology", "neurology")[i % 2], "agent": f"a{i % 3}"},
    }
    row.update(extra)
    return row


def _count(store: Store, table: str) -> int:
    return int(store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"])


def test_facts_follow_every_kind_of_write(database: str) -> None:
    store = Store(database)
    try:
        for i in range(40):
            store.write("requests", _row(i, properties={**_row(i)["properties"], "none": None}))
        store.flush()
        assert _count(store, "property_facts") == 80
        assert_facts_consistent(store)
        for i in range(0, 40, 3):
            score(store, f"r{i:03d}", {"accuracy": i, "ok": i % 2 == 0}, clock=lambda: T0)
        score(store, "r003", {"accuracy": 99}, clock=lambda: T0)  # written again
        assert _count(store, "score_property_facts") == 2 * 2 * 14
        assert_facts_consistent(store)
        # a property written on its own through the writer: the old value's fact goes
        store.write("request_properties", {"request_id": "r001", "name": "agent", "value": "x"})
        store.write("request_properties", {"request_id": "r002", "name": "new", "value": "v"})
        store.flush()
        assert_facts_consistent(store)
        found = store.query("SELECT value FROM property_facts WHERE name = 'agent' AND id = 'r001'")
        assert found == [{"value": "x"}]
        with store.transaction() as conn:  # reprice: the facts carry the new cost
            conn.execute("UPDATE requests SET cost_usd = 7.5 WHERE id IN ('r003', 'r004')")
        assert_facts_consistent(store)
        with store.transaction() as conn:  # by hand: a score deleted, deletions in both orders
            conn.execute("DELETE FROM scores WHERE request_id = 'r006' AND name = 'ok'")
            conn.execute("DELETE FROM requests WHERE id = 'r009'")
            conn.execute("DELETE FROM request_properties WHERE request_id = 'r009'")
            conn.execute("DELETE FROM request_properties WHERE request_id = 'r012'")
            conn.execute("DELETE FROM requests WHERE id = 'r012'")
        assert_facts_consistent(store)
        delete_requests(store, user="u1")
        assert_facts_consistent(store)
        prune(store, iso_from_epoch(T0 - 86400 + 20 * 60))
        assert_facts_consistent(store)
        assert 0 < _count(store, "property_facts") < 80
    finally:
        store.close()


def test_a_hand_written_property_is_in_the_facts_after_a_rebuild(database: str) -> None:
    store = Store(database)
    try:
        store.write("requests", _row(1))
        store.flush()
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO request_properties (request_id, name, value) VALUES ('r001', 'x', 'y')"
            )
        if store.engine == "sqlite":  # (PostgreSQL's triggers add it at once)
            assert _count(store, "property_facts") == 2
            rebuild_rollups(store)
        assert_facts_consistent(store)
        assert _count(store, "property_facts") == 3
        reports = Reports(store, clock=lambda: T0)
        assert [(r.key, r.requests) for r in reports.properties("x")] == [("y", 1)]
    finally:
        store.close()


def test_the_writers_batch_adds_facts_and_never_rewrites_one(database: str) -> None:
    """Both engines alike: the writer's batch inserts its requests' facts (``OR IGNORE`` on
    SQLite, ``ON CONFLICT DO NOTHING`` on PostgreSQL). A batch's requests are new, so only a
    fact written by hand can be there already; it stays until ``rebuild_rollups``. (SQLite's
    ``OR REPLACE`` rewrote it: the same contents otherwise, but a dearer statement on a
    growing store, benchmarks/README.md.)"""
    store = Store(database)
    try:
        row = _row(5)
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO property_facts (name, value, created_at, id, user_id) VALUES "
                f"('agent', 'a2', '{row['created_at']}', 'r005', 'by-hand')"
            )
        store.write("requests", row)
        store.flush()
        facts = store.query("SELECT name, user_id FROM property_facts ORDER BY name")
        assert facts == [
            {"name": "agent", "user_id": "by-hand"},
            {"name": "department", "user_id": "u2"},
        ]
        rebuild_rollups(store)
        assert_facts_consistent(store)
        assert store.query("SELECT user_id FROM property_facts WHERE name = 'agent'") == [
            {"user_id": "u2"}
        ]
    finally:
        store.close()


def test_a_v9_store_is_filled_by_the_migration(database: str) -> None:
    before = FACTS_BY_WRITER_VERSION - 1
    old_schema = (MIGRATIONS if "://" not in database else PG_MIGRATIONS)[:before]
    old = Store(database, migrations=old_schema)
    try:
        for i in range(12):
            old.write("requests", _row(i))
        old.flush()
        assert old.schema_version == before
        score(old, "r002", {"accuracy": 3}, clock=lambda: T0)
    finally:
        old.close()
    store = Store(database)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert _count(store, "property_facts") == 24
        assert _count(store, "score_property_facts") == 2
        assert_facts_consistent(store)
        for i in range(12, 20):  # and the writer keeps them from then on
            store.write("requests", _row(i))
        store.flush()
        assert_facts_consistent(store)
        reports = Reports(store, clock=lambda: T0)
        cardiology = reports.users(Filters(properties={"department": "cardiology"}, since="7d"))
        assert sum(u.requests for u in cardiology) == 10
    finally:
        store.close()


def test_rows_of_a_writer_that_adds_no_facts_are_filled_by_the_triggers(database: str) -> None:
    """PostgreSQL, a rolling upgrade: a writer of schema v9's code sets ``helicone_lite.batch``
    (its rollups) but adds no facts; the triggers fill them for its rows."""
    if "://" not in database:
        return  # (SQLite: one writer per file version; nothing to hand over)
    store = Store(database)
    try:
        store.write("requests", _row(1))
        store.flush()
        with store.transaction() as conn:  # what that writer's transaction does
            conn.execute(PG_NEW_REQUESTS_TABLE)
            conn.execute(PG_BATCH_ON)
            conn.execute(  # recorded as the writer's own (the properties' trigger skips it)
                capture(
                    "INSERT INTO requests (id, created_at, model, user_id) "
                    "VALUES ('old-1', '2026-11-18T10:00:00.000Z', 'gpt-4o', 'u9') "
                    "ON CONFLICT DO NOTHING"
                )
            )
            conn.execute(
                "INSERT INTO request_properties (request_id, name, value) "
                "VALUES ('old-1', 'department', 'cardiology')"
            )
        assert_facts_consistent(store)
        assert _count(store, "property_facts") == 3
    finally:
        store.close()
