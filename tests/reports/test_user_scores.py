"""Every user's mean scores (``users -n 0``) from ``rollup_user_scores`` (PostgreSQL only):
the table equals a brute-force recount of ``scores`` joined with ``requests`` after scores
are added, replaced and deleted, requests move to another user, are pruned and deleted (by
user and by hand), and after a rebuild; the users report's score means equal those of the
raw facts and a recount by hand; SQLite has no such table and reads the facts."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports, _scores
from helicone_lite.reports._filters import parse_time
from helicone_lite.reports._score_rollup import user_means
from helicone_lite.reports._scores import score_means
from helicone_lite.store import Store, iso_from_epoch, rebuild_rollups
from helicone_lite.store._pg_schema import PG_MIGRATIONS
from helicone_lite.store._retention import delete_requests, prune
from helicone_lite.store._schema import MIGRATIONS, SCHEMA_VERSION, USER_SCORES_VERSION

from .conftest import T0, Generated, generate
from .test_rollups import both, same

_BRUTE = (
    "SELECT coalesce(r.user_id, '') AS user_id, "
    "(CASE WHEN r.user_id IS NULL THEN 1 ELSE 0 END) AS nulls, s.name AS name, "
    "coalesce(substr(r.created_at, 1, 10), '') AS day, sum(s.value) AS total, count(*) AS n "
    "FROM scores s JOIN requests r ON r.id = s.request_id WHERE s.value IS NOT NULL "
    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)
_KEPT = "SELECT user_id, nulls, name, day, total, n FROM rollup_user_scores ORDER BY 1, 2, 3, 4"
#: time ranges: whole days, partial days at both ends, one end only, within a day, none
RANGES = [
    Filters(),
    Filters(since="3d"),
    Filters(since=iso_from_epoch(T0 - 5 * 86400 + 1234.5), until=iso_from_epoch(T0 - 86400 - 77)),
    Filters(since=iso_from_epoch(T0 // 86400 * 86400 - 4 * 86400)),  # on a day
    Filters(until=iso_from_epoch(T0 - 4 * 86400 + 999)),
    Filters(since=iso_from_epoch(T0 - 86400 + 60), until=iso_from_epoch(T0 - 86400 + 3000)),
]


def _is_sqlite(store: Store) -> bool:
    return store.engine == "sqlite"


def assert_user_scores_counted(store: Store) -> None:
    """PostgreSQL: the table holds what the stored scores add up to per (user, name, day)."""
    brute = [tuple(r.values()) for r in store.query(_BRUTE)]
    kept = [tuple(r.values()) for r in store.query(_KEPT)]
    assert brute and [r[:-2] for r in kept] == [r[:-2] for r in brute]
    for k, b in zip(kept, brute, strict=True):
        assert math.isclose(k[-2], b[-2], rel_tol=1e-9, abs_tol=1e-9), (k, b)
        assert int(k[-1]) == int(b[-1]), (k, b)


def back_before_user_scores(store: Store) -> None:
    """The store as the schema before ``USER_SCORES_MIGRATION`` left it (PostgreSQL; on
    SQLite that step is a no-op): for the tests of an older migration's backfill."""
    if store.engine == "sqlite":
        return
    with store.transaction() as conn:
        for event in ("insert", "update", "delete"):
            conn.execute(f"DROP FUNCTION helicone_lite_rollup_user_scores_{event}() CASCADE")
        conn.execute("DROP TABLE rollup_user_scores")
        conn.execute("DROP INDEX idx_score_facts_time")
        conn.execute(f"UPDATE helicone_lite_schema SET version = {USER_SCORES_VERSION - 1}")


def _recount(store: Store, f: Filters) -> dict[Any, dict[str, float]]:
    """Every user's means by hand: the scores of the requests in ``f``'s time range."""
    since, until = parse_time(f.since, T0, "since"), parse_time(f.until, T0, "until")
    rows = store.query(
        "SELECT r.user_id AS u, r.created_at AS t, s.name AS name, s.value AS v "
        "FROM scores s JOIN requests r ON r.id = s.request_id WHERE s.value IS NOT NULL"
    )
    sums: dict[Any, dict[str, list[float]]] = defaultdict(dict)
    for r in rows:
        if (since is not None or until is not None) and r["t"] is None:
            continue
        if (since is not None and r["t"] < since) or (until is not None and r["t"] >= until):
            continue
        cell = sums[r["u"]].setdefault(r["name"], [0.0, 0])
        cell[0] += r["v"]
        cell[1] += 1
    return {u: {n: t / c for n, (t, c) in named.items()} for u, named in sums.items()}


def assert_means_equal(store: Store) -> None:
    """Every user's means: the rollup's (PostgreSQL) = the raw facts' = a recount."""
    rolled, raw = both(store)
    for f in RANGES:
        where = f.describe() or "all"
        a = score_means(rolled._reader, f, T0, "user")
        same(a, score_means(raw._reader, f, T0, "user"), where)
        same(a, _recount(store, f), where)


def test_every_users_means_from_the_rollup(generated: Generated) -> None:
    store = generated.store
    reader = Reports(store, clock=lambda: T0)._reader
    if _is_sqlite(store):  # PostgreSQL's only: SQLite reads the facts
        assert not reader.has_table("rollup_user_scores")
        assert user_means(reader, Filters(), T0) is None
    else:
        assert_user_scores_counted(store)
        for f in RANGES[:-1]:  # (the last is within a day: the raw scores)
            assert user_means(reader, f, T0) is not None, f.describe()
        for f in (RANGES[-1], Filters(model="gpt-4o"), Filters(user="patient-7829"),
                  Filters(status="error"), Filters(properties={"department": "cardiology"})):  # fmt: skip
            assert user_means(reader, f, T0) is None, f.describe()
    assert_means_equal(store)


def test_users_report_of_every_user(
    generated: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More users than the report narrows to a list (here: more than 2) read every user's
    means; the report's rows equal those of the raw rows."""
    monkeypatch.setattr(_scores, "_KEYS", 2)
    rolled, raw = both(generated.store)
    for f in RANGES[:-1]:  # (the last, within a day, holds fewer users)
        a, b = rolled.users(f, limit=None), raw.users(f, limit=None)
        assert len(a) > 2 and any(r.scores for r in a)
        same([r.scores for r in a], [r.scores for r in b], f.describe())


def test_rollup_follows_scores_requests_and_deletions(database: str) -> None:
    data = generate(database, n=300, seed=29)
    store = data.store
    reports = Reports(store, clock=lambda: T0)
    counted = (lambda: None) if _is_sqlite(store) else (lambda: assert_user_scores_counted(store))
    try:
        counted()
        for row in data.rows[1::10]:  # new scores, then the same names again (replaced)
            reports.score(row["id"], {"accuracy": 10, "tone": True})
        for row in data.rows[1::20]:
            reports.score(row["id"], {"accuracy": 99.5})
            reports.feedback(row["id"], False)
        counted()
        assert_means_equal(store)
        with store.transaction() as conn:  # by hand: scores gone
            conn.execute("DELETE FROM scores WHERE name = 'tone' AND request_id IN (?, ?)",
                         (data.rows[1]["id"], data.rows[11]["id"]))  # fmt: skip
        counted()
        with store.transaction() as conn:  # requests moved to another user, or to none
            conn.executemany(
                "UPDATE requests SET user_id = ? WHERE id = ?",
                [("patient-0001", r["id"]) for r in data.rows[::9]]
                + [(None, r["id"]) for r in data.rows[::13]],
            )
        counted()
        assert_means_equal(store)
        delete_requests(store, user="patient-7829")
        counted()
        prune(store, iso_from_epoch(T0 - 6 * 86400 + 777.5))
        counted()
        with store.transaction() as conn:
            conn.execute(
                "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE model = 'gpt-4o')"
            )
        counted()
        assert_means_equal(store)
        if not _is_sqlite(store):
            with store.transaction() as conn:  # a stale rollup: a rebuild counts it again
                conn.execute("DELETE FROM rollup_user_scores WHERE nulls = 1")
                conn.execute("UPDATE rollup_user_scores SET total = total + 1")
        rebuild_rollups(store)
        counted()
        assert_means_equal(store)
    finally:
        store.close()


def test_a_v22_store_is_counted_by_the_migration(database: str) -> None:
    """The migration counts what a store of the version before holds (PostgreSQL; SQLite's
    step is a no-op), and the triggers keep it from then on."""
    before = USER_SCORES_VERSION - 1
    old_schema = (MIGRATIONS if "://" not in database else PG_MIGRATIONS)[:before]
    data = generate(database, n=200, seed=31, migrations=old_schema)
    assert data.store.schema_version == before
    data.store.close()
    store = Store(database)
    try:
        assert store.schema_version == SCHEMA_VERSION  # (and later migrations)
        if not _is_sqlite(store):
            assert_user_scores_counted(store)
        Reports(store, clock=lambda: T0).score(data.rows[3]["id"], {"accuracy": 1})
        if not _is_sqlite(store):
            assert_user_scores_counted(store)
        assert_means_equal(store)
    finally:
        store.close()
