"""``rollup_property_users``: the users report of one property value read from hourly sums
per (name, value, user, hour), with the shown users' exact p95 (PostgreSQL: off
``idx_property_facts_user_latency``), equals a brute-force count over the generated rows
and the same report from the raw rows, for every figure, with partial hours at either end
of a time range, a user filter, each sort and a limit (both engines); the migration's
backfill counts a store logged before it exactly. Its upkeep by the writer, updates,
deletions, rebuilds and ``migrate --to`` is checked by the recount in test_rollups.py
(``assert_consistent``) and test_migrate.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._p95 import _facts_by_latency
from helicone_lite.reports._usage import _users_plan
from helicone_lite.store import Store, iso_from_epoch
from helicone_lite.store._rollup_property_users import PROPERTY_USERS_TABLE, SPLIT
from helicone_lite.store._schema import (
    MIGRATIONS,
    PROPERTY_USERS_OFF_MIGRATION,
    PROPERTY_USERS_VERSION,
    SCHEMA_VERSION,
)

from .brute import grouped, selected
from .conftest import T0, Generated, generate
from .test_rollups import assert_consistent, dicts, same
from .test_user_scores import back_before_user_scores

SINCE = T0 - 6 * 86400 + 1234.5  # not on an hour: a partial hour at the start
UNTIL = T0 - 2 * 86400 - 777.25  # ... and at the end
CASES: dict[str, tuple[Filters, int | None, str]] = {
    "value, by cost": (Filters(properties={"department": "cardiology"}), None, "cost"),
    "value, top 2 by requests": (Filters(properties={"department": "neurology"}), 2, "requests"),
    "value, most recent 2": (Filters(properties={"agent": "triage"}), 2, "recent"),
    "value, by name": (Filters(properties={"agent": "report"}), None, "name"),
    "value, partial hours": (
        Filters(
            properties={"department": "dermatology"},
            since=iso_from_epoch(SINCE),
            until=iso_from_epoch(UNTIL),
        ),
        None,
        "latency",
    ),
    "value, one user, since": (
        Filters(properties={"department": "cardiology"}, user="patient-4521", since="3d"),
        None,
        "cost",
    ),
    "no such value": (Filters(properties={"department": "oncology"}), None, "cost"),
}


def value_rows(data: Generated, f: Filters) -> list[dict[str, Any]]:
    """The generated rows a case's filters select (its "3d" is 3 days before ``T0``)."""
    since = f.since if f.since and f.since[0].isdigit() and "T" in f.since else ""
    if f.since == "3d":
        since = iso_from_epoch(T0 - 3 * 86400)
    return [
        r
        for r in data.rows
        if selected(r, f, since) and (f.until is None or r["created_at"] < f.until)
    ]


def _brute(data: Generated, f: Filters) -> dict[Any, dict[str, Any]]:
    return grouped(value_rows(data, f), lambda r: r["user_id"])


@pytest.mark.parametrize("label", list(CASES))
def test_users_of_a_value_from_the_rollup_equal_brute_force(
    generated: Generated, label: str
) -> None:
    f, limit, sort = CASES[label]
    reports = Reports(generated.store, clock=lambda: T0)
    roll, value = _users_plan(reports._reader, f, T0)
    if generated.store.engine == "sqlite":  # PostgreSQL's only: SQLite reads the facts
        assert (roll, value) == (None, None)
    else:
        assert roll is not None and roll.table.name == "rollup_property_users"
        assert value == f.first_property()
    if generated.store.engine != "sqlite":  # (read when the range is all time)
        assert _facts_by_latency(reports._reader, "user_id")
    expected = _brute(generated, f)
    everyone = reports.users(f, limit=None, sort=sort, with_scores=False)
    assert {r.user_id for r in everyone} == set(expected)
    if label != "no such value":
        assert everyone, "the generated store has this value's requests"
    shown = reports.users(f, limit=limit, sort=sort, with_scores=False)
    assert [r.user_id for r in shown] == [r.user_id for r in everyone][:limit]
    for row in everyone:
        want = expected[row.user_id]
        assert row.requests == want["requests"]
        assert row.tokens == want["tokens"]
        assert row.errors == want["errors"]
        assert row.cache_hits == want["cache_hits"]
        assert row.cost_usd == pytest.approx(want["cost_usd"], rel=1e-9, abs=1e-12)
        assert row.avg_latency_ms == pytest.approx(want["avg_latency_ms"], rel=1e-9)
        assert row.p95_latency_ms == pytest.approx(want["p95_latency_ms"], rel=1e-12)
        assert (row.first_seen, row.last_seen) == (want["first_at"], want["last_at"])


def _users(store: Store) -> dict[str, Any]:
    rolled = Reports(store, clock=lambda: T0)
    raw = Reports(store, clock=lambda: T0, rollups=False)
    return {
        f"{label} {name}": dicts(reports.users(f, limit=limit, sort=sort))
        for name, (f, limit, sort) in CASES.items()
        for label, reports in (("rolled", rolled), ("raw", raw))
    }


def test_users_of_a_value_with_scores_equal_the_raw_rows(generated: Generated) -> None:
    found = _users(generated.store)
    for name in CASES:
        same(found[f"rolled {name}"], found[f"raw {name}"], name)
    assert any(r["scores"] for r in found["rolled value, by cost"]), "scores are shown"


def back_before_property_users(store: Store) -> None:
    """The store as the schema before ``PROPERTY_USERS_MIGRATION`` left it (PostgreSQL;
    SQLite never has the table)."""
    if store.engine == "sqlite":
        return
    back_before_user_scores(store)  # (a later version's, undone first)
    before = PROPERTY_USERS_VERSION - 1
    table = "rollup_property_users"
    with store.transaction() as conn:
        for on in ("requests", "request_properties"):
            for event in ("insert", "update", "delete"):
                conn.execute(f"DROP FUNCTION helicone_lite_{table}_{on}_{event}() CASCADE")
        conn.execute("DROP INDEX idx_property_facts_user_latency")
        conn.execute(f"UPDATE helicone_lite_schema SET version = {before}")
        conn.execute(f"DROP TABLE {table}")


def test_sqlite_drops_the_table_a_first_v20_made(tmp_path: Path) -> None:
    """v20 first made ``rollup_property_users`` on SQLite too; the store it left loses the
    table and its triggers on upgrade, and the users of a value read the facts."""
    db_path = tmp_path / "helicone.db"
    data = generate(db_path, n=300, seed=3)
    expected = _users(data.store)
    conn = data.store.connect()
    conn.executescript(SPLIT.sqlite_migration(PROPERTY_USERS_TABLE))
    conn.execute(f"PRAGMA user_version = {MIGRATIONS.index(PROPERTY_USERS_OFF_MIGRATION)}")
    assert "rollup_property_users" in _tables(data.store)
    data.store.close()
    store = Store(db_path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert not {t for t in _tables(store) if "property_users" in t}
        same(_users(store), expected, "after the drop")
    finally:
        store.close()


def _tables(store: Store) -> set[str]:
    rows = store.query("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
    return {r["name"] for r in rows}


def test_upgrading_a_logged_store_backfills_the_rollup(database: str) -> None:
    if not database.startswith("postgresql"):
        pytest.skip("rollup_property_users is PostgreSQL's only")
    data = generate(database, n=300, seed=3)
    expected = _users(data.store)
    back_before_property_users(data.store)
    same(_users(data.store), expected, "without it")  # (the raw rows answer)
    data.store.close()
    store = Store(database)  # opening migrates it: the backfill counts what was logged
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert store.query("SELECT count(*) AS n FROM rollup_property_users")[0]["n"] > 0
        assert_consistent(store)
        same(_users(store), expected, "after the upgrade")
        store.write(  # and the writer keeps it from then on
            "requests",
            {"id": "late", "created_at": iso_from_epoch(T0 - 100), "model": "gpt-4o",
             "provider": "openai", "status": 200, "cost_usd": 0.25, "latency_ms": 9000.0,
             "user_id": "patient-7829", "properties": {"department": "cardiology"}},
        )  # fmt: skip
        store.flush()
        assert_consistent(store)
        rows = Reports(store, clock=lambda: T0).users(
            Filters(properties={"department": "cardiology"}, user="patient-7829")
        )
        assert rows[0].last_seen == iso_from_epoch(T0 - 100)
    finally:
        store.close()
