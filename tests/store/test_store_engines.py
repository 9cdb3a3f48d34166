"""The store's interface on both engines (SQLite file, PostgreSQL schema): the same calls give
the same results. Engine-specific behaviour (PRAGMAs, file locks) stays in the other files."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from store_workers import open_store, write_rows

from helicone_lite.store import SCHEMA_VERSION, Store, StoreError
from tests.processes import forkserver, process

RowFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def any_store(database: str) -> Iterator[Store]:
    s = Store(database)
    yield s
    s.close()


def test_engine_is_chosen_by_location(any_store: Store, database: str) -> None:
    expected = "postgresql" if database.startswith("postgresql://") else "sqlite"
    assert any_store.engine == expected
    assert any_store.schema_version == SCHEMA_VERSION
    assert not any_store.degraded


def test_request_round_trip(any_store: Store, make_row: RowFactory) -> None:
    row = make_row(
        id="req-1",
        stream=True,
        cost_usd=0.00042,
        reply_headers={"Helicone-Cache": "MISS"},
        properties={"App": "triage", "Tier": 2, "X": None},
        attempts=[{"status": 500, "error": "boom"}, {"status": 200}],
        _cost=lambda: 99.0,  # ignored: cost_usd is given
    )
    any_store.write("requests", row)
    assert any_store.flush()
    [stored] = any_store.query("SELECT * FROM requests")
    assert stored["created_at"] == "2026-11-26T23:55:17.123Z"
    assert (stored["status"], stored["stream"], stored["rate_limited"]) == (200, 1, 0)
    assert stored["cost_usd"] == pytest.approx(0.00042)
    assert stored["attempts"] == 2
    assert json.loads(stored["request_body"]) == row["request_body"]
    assert json.loads(stored["reply_headers"]) == {"Helicone-Cache": "MISS"}
    props = any_store.query("SELECT name, value FROM request_properties ORDER BY name")
    assert props == [{"name": "app", "value": "triage"}, {"name": "tier", "value": "2"}]
    tries = any_store.query("SELECT attempt, status, error FROM attempts ORDER BY attempt")
    assert tries == [
        {"attempt": 1, "status": 500, "error": "boom"},
        {"attempt": 2, "status": 200, "error": None},
    ]
    facts = any_store.query("SELECT name, value, id, model FROM property_facts ORDER BY name")
    assert [(f["name"], f["id"], f["model"]) for f in facts] == [
        ("app", "req-1", "gpt-4o-mini"),
        ("tier", "req-1", "gpt-4o-mini"),
    ]


def test_cost_hook_and_generated_ids(any_store: Store, make_row: RowFactory) -> None:
    any_store.write("requests", {"model": "m", "_cost": lambda: 0.25})
    any_store.write("requests", make_row(id="bad-cost", _cost=lambda: 1 / 0))
    assert any_store.flush()
    rows = any_store.query("SELECT id, cost_usd FROM requests ORDER BY cost_usd")
    assert {r["cost_usd"] for r in rows} == {0.25, None}
    assert all(r["id"] for r in rows)


def test_rewriting_a_row_keeps_the_first(any_store: Store, make_row: RowFactory) -> None:
    """A batch replayed (spill journal, retry) leaves each row once: a logged request is never
    overwritten (``INSERT OR IGNORE`` / ``ON CONFLICT DO NOTHING``), on both engines."""
    for model in ("first", "second"):
        any_store.write("requests", make_row(id="same", model=model, properties={"a": model}))
    any_store.write("requests", make_row(id="same", model="third", properties={"a": "third"}))
    assert any_store.flush()
    assert any_store.query("SELECT id, model FROM requests") == [{"id": "same", "model": "first"}]
    assert len(any_store.query("SELECT value FROM request_properties")) == 1


def test_many_rows_in_one_batch(any_store: Store, make_row: RowFactory) -> None:
    for i in range(1200):
        any_store.write("requests", make_row(id=f"r{i:04d}", properties={"i": i}))
    assert any_store.flush()
    assert any_store.query("SELECT count(*) AS n FROM requests") == [{"n": 1200}]
    assert any_store.query("SELECT count(*) AS n FROM request_properties") == [{"n": 1200}]
    assert any_store.stats()["dropped"] == 0


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO requests (id) VALUES ('x')",
        "UPDATE requests SET model = 'x'",
        "DELETE FROM requests",
        "DROP TABLE requests",
        "CREATE TABLE t (a TEXT)",
        "CREATE INDEX i ON requests (error)",
        "ALTER TABLE requests ADD COLUMN x TEXT",
        "WITH x AS (SELECT 1) DELETE FROM requests",
        "BEGIN",
    ],
)
def test_query_refuses_writes(any_store: Store, make_row: RowFactory, sql: str) -> None:
    any_store.write("requests", make_row(id="kept"))
    any_store.flush()
    with pytest.raises(StoreError, match="read-only"):
        any_store.query(sql)
    assert any_store.query("SELECT id FROM requests") == [{"id": "kept"}]


def test_query_one_statement_only(any_store: Store, make_row: RowFactory) -> None:
    any_store.write("requests", make_row(id="kept"))
    any_store.flush()
    with pytest.raises(StoreError, match="one statement"):
        any_store.query("SELECT 1; DELETE FROM requests")
    with pytest.raises(StoreError, match="query failed"):
        any_store.query("SELECT nope FROM requests")
    assert any_store.query("SELECT count(*) AS n FROM requests") == [{"n": 1}]


def test_query_parameters_and_functions(any_store: Store, make_row: RowFactory) -> None:
    for i in range(3):
        any_store.write("requests", make_row(id=f"r{i}", status=200 if i else 500))
    any_store.flush()
    assert any_store.query("SELECT id FROM requests WHERE id = ?", ["r1"]) == [{"id": "r1"}]
    assert any_store.query("SELECT id FROM requests WHERE id = :id", {"id": "r2"}) == [
        {"id": "r2"}
    ]
    [row] = any_store.query(
        "SELECT json_extract(request_body, '$.messages[0].role') AS role, count(*) AS n,"
        " sum(status >= 400) AS errors, total(cost_usd) AS cost, avg(total_tokens) AS tokens,"
        " max(model) AS model FROM requests WHERE id LIKE 'r%' GROUP BY 1"
    )
    assert row == {"role": "user", "n": 3, "errors": 1, "cost": 0.0, "tokens": 42, "model": "gpt-4o-mini"}


def test_query_iter_streams(any_store: Store, make_row: RowFactory) -> None:
    for i in range(600):
        any_store.write("requests", make_row(id=f"r{i:04d}"))
    any_store.flush()
    rows = any_store.query_iter("SELECT id FROM requests ORDER BY id")
    assert next(rows) == {"id": "r0000"}
    assert any_store.query("SELECT count(*) AS n FROM requests") == [{"n": 600}]
    assert len(list(rows)) == 599
    with pytest.raises(StoreError, match="read-only"):
        any_store.query_iter("DELETE FROM requests")


def test_transaction_commit_rollback_nested(any_store: Store) -> None:
    with any_store.transaction() as conn:
        conn.execute("INSERT INTO prompts (id, description) VALUES (?, ?)", ("outer", "50%"))
        with pytest.raises(ValueError), any_store.transaction() as inner:
            inner.execute("INSERT INTO prompts (id) VALUES ('inner')")
            raise ValueError
        with any_store.transaction() as inner:
            inner.execute("INSERT OR REPLACE INTO prompts (id) VALUES ('kept')")
            inner.execute("INSERT OR IGNORE INTO prompts (id) VALUES ('kept')")
    with pytest.raises(RuntimeError), any_store.transaction() as conn:
        conn.execute("INSERT INTO prompts (id) VALUES ('lost')")
        raise RuntimeError
    rows = any_store.query("SELECT id, description FROM prompts ORDER BY id")
    assert rows == [{"id": "kept", "description": None}, {"id": "outer", "description": "50%"}]
    assert not any_store.connect().in_transaction


def test_read_modify_write_is_atomic_across_threads(any_store: Store) -> None:
    with any_store.transaction() as conn:
        conn.execute(
            "INSERT INTO prompt_environments (prompt_id, environment, version) VALUES ('p', 'e', 0)"
        )

    def bump() -> None:
        for _ in range(25):
            with any_store.transaction() as conn:
                (version,) = conn.execute("SELECT version FROM prompt_environments").fetchone()
                conn.execute("UPDATE prompt_environments SET version = ?", (version + 1,))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert any_store.query("SELECT version FROM prompt_environments") == [{"version": 100}]


def test_returning_ids(any_store: Store) -> None:
    with any_store.transaction() as conn:
        first = conn.execute("INSERT INTO alert_events (alert_id) VALUES ('a') RETURNING id")
        (one,) = first.fetchone()
        (two,) = conn.execute(
            "INSERT INTO alert_events (alert_id) VALUES ('b') RETURNING id"
        ).fetchone()
    assert two == one + 1


def test_processes_migrate_once_and_write(database: str) -> None:
    ctx = forkserver()
    start, results = ctx.Event(), ctx.Queue()
    procs = [process(ctx, open_store, (database, start, results)) for _ in range(3)]
    for p in procs:
        p.start()
    start.set()
    outcomes = [results.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    assert outcomes == [(False, SCHEMA_VERSION)] * 3
    writers = [process(ctx, write_rows, (database, 200, f"u{i}")) for i in range(2)]
    for p in writers:
        p.start()
    for p in writers:
        p.join(120)
    assert [p.exitcode for p in writers] == [0, 0]
    with Store(database) as store:
        counts = store.query("SELECT user_id, count(*) AS n FROM requests GROUP BY user_id")
        assert sorted((r["user_id"], r["n"]) for r in counts) == [("u0", 200), ("u1", 200)]


def test_is_parameter_matches_a_value_and_null(any_store: Store, make_row: RowFactory) -> None:
    """SQLite's NULL-safe ``x IS ?`` gives the same rows on both engines, for a value and for
    None, next to a literal '?' and a ``IS NOT ?``."""
    any_store.write("requests", make_row(id="a", user_id="u1"))
    any_store.write("requests", make_row(id="b", user_id=None))
    any_store.write("requests", make_row(id="c", user_id="u2"))
    any_store.flush()

    def ids(sql: str, params: list[Any]) -> list[str]:
        return [r["id"] for r in any_store.query(sql + " ORDER BY id", params)]

    assert ids("SELECT id FROM requests WHERE user_id IS ?", ["u1"]) == ["a"]
    assert ids("SELECT id FROM requests WHERE user_id IS ?", [None]) == ["b"]
    assert ids("SELECT id FROM requests WHERE user_id IS NOT ?", ["u1"]) == ["b", "c"]
    assert ids("SELECT id FROM requests WHERE user_id IS NOT ?", [None]) == ["a", "c"]
    both = "SELECT id FROM requests WHERE '?' <> ? AND user_id IS ? AND id IS ?"
    assert ids(both, ["x", None, "b"]) == ["b"]
    assert ids(both, ["x", "u2", "c"]) == ["c"]


def test_is_parameter_is_an_index_condition_on_postgres(postgres_url: str) -> None:
    """``user_id IS ?`` with a value is ``user_id = %s`` for PostgreSQL, which the user index
    serves; ``IS NOT DISTINCT FROM`` never is (the users page read the whole table once per
    user). Read from the plan, not from a timing."""
    with Store(postgres_url) as store:
        store.query("SELECT 1")  # migrated
        with store.transaction() as conn:
            conn.execute("SET LOCAL enable_seqscan = off")
            plan = conn.execute(
                "EXPLAIN SELECT created_at FROM requests WHERE user_id IS ?"
                " ORDER BY created_at LIMIT 1",
                ("u1",),
            ).fetchall()
    text = "\n".join(str(row[0]) for row in plan)
    assert "Index Cond: (user_id = 'u1'::text)" in text, text


def test_executemany_with_is_parameter_and_none(any_store: Store, make_row: RowFactory) -> None:
    """One ``executemany`` whose ``x IS ?`` gets a value in one row and None in the next (two
    spellings on PostgreSQL) updates each row as SQLite does."""
    any_store.write("requests", make_row(id="a", user_id="u1", model="m"))
    any_store.write("requests", make_row(id="b", user_id=None, model="m"))
    any_store.flush()
    with any_store.transaction() as conn:
        conn.executemany(
            "UPDATE requests SET model = ? WHERE user_id IS ?", [("one", "u1"), ("none", None)]
        )
    got = any_store.query("SELECT id, model FROM requests ORDER BY id")
    assert got == [{"id": "a", "model": "one"}, {"id": "b", "model": "none"}]
