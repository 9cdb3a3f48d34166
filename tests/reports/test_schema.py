"""The reports migration: covering indexes used, property and score facts kept in step with
the log by triggers, and filled from existing rows when an old store is migrated."""

from __future__ import annotations

from pathlib import Path

from helicone_lite.reports import Filters, Reports
from helicone_lite.store import MIGRATIONS, Store


def _request(rid: str, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": rid,
        "created_at": f"2026-11-0{rid[-1]}T10:00:00.000Z",
        "model": "gpt-4o",
        "provider": "openai",
        "status": 200,
        "cost_usd": 0.5,
        "total_tokens": 10,
        "latency_ms": 100.0,
        "user_id": "u1",
        "properties": {"Department": "cardiology"},
    }
    row.update(extra)
    return row


def test_facts_follow_inserts_and_deletes(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        for rid in ("r1", "r2", "r3"):
            store.write("requests", _request(rid))
        store.flush()
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO scores (request_id, name, value, value_type) "
                "VALUES ('r1', 'accuracy', 90, 'int'), ('r2', 'accuracy', 80, 'int')"
            )
        assert store.query("SELECT count(*) AS n FROM score_property_facts")[0]["n"] == 2
        facts = store.query("SELECT name, value, id, cost_usd, user_id FROM property_facts")
        assert sorted(f["id"] for f in facts) == ["r1", "r2", "r3"]
        assert facts[0]["name"] == "department" and facts[0]["cost_usd"] == 0.5
        with store.transaction() as conn:  # request first, then its properties
            conn.execute("DELETE FROM requests WHERE id = 'r1'")
            conn.execute("DELETE FROM request_properties WHERE request_id = 'r1'")
            # properties first, then the request
            conn.execute("DELETE FROM request_properties WHERE request_id = 'r2'")
            conn.execute("DELETE FROM requests WHERE id = 'r2'")
        assert [f["id"] for f in store.query("SELECT id FROM property_facts")] == ["r3"]
        assert store.query("SELECT count(*) AS n FROM score_facts")[0]["n"] == 0
        assert store.query("SELECT count(*) AS n FROM score_property_facts")[0]["n"] == 0
        reports = Reports(store)
        assert reports.properties("department")[0].requests == 1


def test_score_facts_carry_the_request(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        store.write("requests", _request("r1", session_path="/triage"))
        store.flush()
        with store.transaction() as conn:
            for value in (50, 75):  # the second replaces the first
                conn.execute(
                    "INSERT OR REPLACE INTO scores (request_id, name, value, value_type)"
                    " VALUES ('r1', 'accuracy', ?, 'int')",
                    (value,),
                )
        facts = store.query("SELECT * FROM score_facts")
        assert len(facts) == 1 and facts[0]["value"] == 75
        assert facts[0]["model"] == "gpt-4o" and facts[0]["session_path"] == "/triage"
        by_property = store.query(
            "SELECT name, value, score, score_value FROM score_property_facts"
        )
        assert by_property == [
            {"name": "department", "value": "cardiology", "score": "accuracy", "score_value": 75.0}
        ]
        with store.transaction() as conn:
            conn.execute("DELETE FROM scores")
        assert store.query("SELECT count(*) AS n FROM score_property_facts")[0]["n"] == 0


def test_migrating_an_existing_store_fills_the_facts(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store(path, migrations=MIGRATIONS[:1]) as old:
        for rid in ("r1", "r2"):
            old.write("requests", _request(rid, user_id=f"user-{rid}"))
        old.flush()
        with old.transaction() as conn:
            conn.execute(
                "INSERT INTO scores (request_id, name, value, value_type) "
                "VALUES ('r2', 'accuracy', 60, 'int')"
            )
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        reports = Reports(store)
        assert [(r.key, r.requests) for r in reports.properties("department")] == [
            ("cardiology", 2)
        ]
        assert reports.users(Filters(properties={"department": "cardiology"}))[0].requests == 1
        assert {s.key: s.mean for s in reports.scores(by="user")} == {"user-r2": 60}
        assert [(s.key, s.mean) for s in reports.scores(by="property:department")] == [
            ("cardiology", 60)
        ]


def test_reports_read_covering_indexes(tmp_path: Path) -> None:
    with Store(tmp_path / "h.db") as store:
        store.write("requests", _request("r1"))
        store.flush()
        conn = store.connect()
        for index in (
            "idx_requests_created_at",
            "idx_requests_user",
            "idx_requests_model",
            "idx_requests_session",
        ):
            plan = conn.execute(
                f"EXPLAIN QUERY PLAN SELECT count(*), total(cost_usd), total(total_tokens), "
                f"avg(latency_ms) FROM requests INDEXED BY {index}"
            ).fetchall()
            assert "COVERING INDEX" in plan[0][-1], (index, plan)
