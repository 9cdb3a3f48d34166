"""The score rollup (``rollup_scores``): on both engines it equals a brute-force recount of
``scores`` joined with ``requests`` after scores are added, replaced and deleted,
requests repriced, moved to another status, pruned and deleted (by user and by hand), and
rebuilt; and the mean scores the reports read from it equal those from the raw facts."""

from __future__ import annotations

import math
from typing import Any

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._score_rollup import rolled_means
from helicone_lite.store import Store, iso_from_epoch, rebuild_rollups
from helicone_lite.store._retention import delete_requests, prune

from .conftest import T0, Generated, generate
from .test_rollups import FILTERS, assert_consistent, both, dicts, same

_NULLS = (
    "(CASE WHEN r.model IS NULL THEN 1 ELSE 0 END) + (CASE WHEN r.provider IS NULL THEN 2 ELSE 0 END)"
    " + (CASE WHEN r.status IS NULL THEN 4 ELSE 0 END)"
)
_BRUTE = (
    "SELECT coalesce(substr(r.created_at, 1, 13) || ':00:00.000Z', '') AS hour, "
    f"coalesce(r.model, '') AS model, coalesce(r.provider, '') AS provider, {_NULLS} AS nulls, "
    "coalesce(r.status, 0) AS status, s.name AS name, sum(s.value) AS total, count(*) AS n "
    "FROM scores s JOIN requests r ON r.id = s.request_id "
    "GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
)
_KEPT = (
    "SELECT hour, model, provider, nulls, status, name, total, n FROM rollup_scores "
    "ORDER BY 1, 2, 3, 4, 5, 6"
)


_BRUTE_PROPERTIES = (
    "SELECT p.name AS name, p.value AS value, s.name AS score, "
    "coalesce(substr(r.created_at, 1, 13) || ':00:00.000Z', '') AS hour, "
    "sum(s.value) AS total, count(*) AS n FROM scores s JOIN requests r ON r.id = s.request_id "
    "JOIN request_properties p ON p.request_id = r.id WHERE p.value IS NOT NULL "
    "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"
)
_KEPT_PROPERTIES = (
    "SELECT name, value, score, hour, total, n FROM rollup_property_scores ORDER BY 1, 2, 3, 4"
)


def assert_scores_counted(store: Store) -> None:
    """The score rollups hold what the scores of the stored requests add up to."""
    for brute_sql, kept_sql in ((_BRUTE, _KEPT), (_BRUTE_PROPERTIES, _KEPT_PROPERTIES)):
        brute = [tuple(r.values()) for r in store.query(brute_sql)]
        kept = [tuple(r.values()) for r in store.query(kept_sql)]
        assert [r[:-2] for r in kept] == [r[:-2] for r in brute], kept_sql
        assert kept, kept_sql
        for k, b in zip(kept, brute, strict=True):
            assert math.isclose(k[-2], b[-2], rel_tol=1e-9, abs_tol=1e-9), (k, b)
            assert int(k[-1]) == int(b[-1]), (k, b)


def _means(reports: Reports, f: Filters) -> dict[str, Any]:
    """The rows keyed by group (rows tied on cost may come in either order)."""
    return {
        "summary": reports.summary(f),
        "models": {(r.key, r.provider): r for r in reports.models(f)},
        "providers": {r.key: r for r in reports.providers(f)},
        "department": {r.key: r for r in reports.properties("department", f)},
    }


def assert_means_equal(store: Store, filters: list[Filters]) -> None:
    rolled, raw = both(store)
    for f in filters:
        a, b = _means(rolled, f), _means(raw, f)
        for name in a:
            if isinstance(a[name], dict):
                assert a[name].keys() == b[name].keys(), f"{f.describe()}: {name}"
                for key in a[name]:
                    same(dicts(a[name][key]), dicts(b[name][key]), f"{f.describe()}: {key}")
            else:
                same(dicts(a[name]), dicts(b[name]), f"{f.describe()}: {name}")


def test_mean_scores_from_the_rollup_equal_the_facts(generated: Generated) -> None:
    assert_scores_counted(generated.store)
    assert_means_equal(generated.store, FILTERS)
    summary = Reports(generated.store, clock=lambda: T0).summary()
    assert summary.scores and set(summary.scores) == {"accuracy", "helicone-score-feedback"}


def test_the_rollup_answers_only_its_own_filters(generated: Generated) -> None:
    reader = Reports(generated.store, clock=lambda: T0)._reader
    for f in (Filters(), Filters(since="3d", model="gpt-4o"), Filters(status="error")):
        assert rolled_means(reader, f, T0, "model") is not None, f.describe()
    for f in (Filters(user="patient-7829"), Filters(properties={"department": "cardiology"})):
        assert rolled_means(reader, f, T0, "model") is None, f.describe()
    cardiology = Filters(since="3d", properties={"department": "cardiology"})
    assert rolled_means(reader, cardiology, T0, "all", "department") is not None
    for f in (Filters(model="gpt-4o"), Filters(status="error"), Filters(user="patient-7829")):
        assert rolled_means(reader, f, T0, "all", "department") is None, f.describe()
    assert rolled_means(reader, Filters(), T0, "user") is None
    raw = Reports(generated.store, clock=lambda: T0, rollups=False)._reader
    assert rolled_means(raw, Filters(), T0, "all") is None


def test_rollup_follows_scores_requests_and_deletions(database: str) -> None:
    data = generate(database, n=300, seed=23)
    store = data.store
    reports = Reports(store, clock=lambda: T0)
    checks = [Filters(), Filters(since="2d"), Filters(status="error"), Filters(status=200)]
    try:
        assert_scores_counted(store)
        for row in data.rows[1::10]:  # new scores, then the same names again (replaced)
            reports.score(row["id"], {"accuracy": 10, "tone": True})
        for row in data.rows[1::20]:
            reports.score(row["id"], {"accuracy": 99.5})
            reports.feedback(row["id"], False)
        assert_scores_counted(store)
        assert_means_equal(store, checks)
        with store.transaction() as conn:  # by hand: scores gone
            conn.execute("DELETE FROM scores WHERE name = 'tone' AND request_id IN (?, ?)",
                         (data.rows[1]["id"], data.rows[11]["id"]))  # fmt: skip
        assert_scores_counted(store)
        with store.transaction() as conn:  # a request's status changed or lost: its scores move
            conn.executemany(
                "UPDATE requests SET status = ? WHERE id = ?",
                [(503, r["id"]) for r in data.rows[::9]]
                + [(None, r["id"]) for r in data.rows[::13]],
            )
        assert_scores_counted(store)
        assert_means_equal(store, checks)
        delete_requests(store, user="patient-7829")
        assert_scores_counted(store)
        prune(store, iso_from_epoch(T0 - 6 * 86400 + 777.5))
        assert_scores_counted(store)
        with store.transaction() as conn:
            conn.execute(
                "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE model = 'gpt-4o')"
            )
        assert_scores_counted(store)
        assert_consistent(store)
        with store.transaction() as conn:  # a stale rollup: a rebuild counts it again
            conn.execute("DELETE FROM rollup_scores WHERE name = 'accuracy'")
        rebuild_rollups(store)
        assert_scores_counted(store)
        assert_means_equal(store, checks)
        assert store.query("SELECT count(*) AS n FROM rollup_scores")[0]["n"] > 0
    finally:
        store.close()
