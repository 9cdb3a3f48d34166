"""The session rollup (``rollup_sessions``): the writer, deletions, reprices and a rebuild keep
it equal to a brute-force recount on both engines, and the session list ranked from it equals
the list ranked from the raw rows, for every sort, with time ranges that cut sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._session_rank import ranked_from_rollup
from helicone_lite.reports._sessions import _RANKS
from helicone_lite.store import Store, iso_from_epoch, rebuild_rollups
from helicone_lite.store._retention import delete_requests, prune
from helicone_lite.store._schema import SCHEMA_VERSION, SESSION_ROLLUP_VERSION

from .conftest import T0, Generated, generate

_MS = "(julianday(r.created_at) - 2440587.5) * 86400000.0"
_BRUTE = (
    "SELECT r.session_id, count(*) AS n, sum(coalesce(r.cost_usd, 0)) AS cost, "
    "sum(coalesce(r.total_tokens, 0)) AS tokens, "
    "sum(CASE WHEN r.status NOT BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS errors, "
    "min(r.created_at) AS first_at, max(r.created_at) AS last_at, "
    f"max({_MS} + coalesce(r.latency_ms, 0)) - min({_MS}) AS duration "
    "FROM requests r WHERE r.session_id IS NOT NULL GROUP BY 1 ORDER BY 1"
)
_KEPT = (
    "SELECT session_id, requests, cost_usd, tokens, errors, first_at, last_at, duration_ms "
    "FROM rollup_sessions ORDER BY 1"
)


def _rounded(store: Store, sql: str) -> list[tuple[Any, ...]]:
    return [
        tuple(round(float(v), 6) if isinstance(v, (int, float)) else v for v in r.values())
        for r in store.query(sql)
    ]


def assert_sessions_consistent(store: Store) -> None:
    brute = _rounded(store, _BRUTE)
    assert brute == _rounded(store, _KEPT)


def test_schema_has_the_session_rollup(database: str) -> None:
    store = Store(database)
    try:
        store.query("SELECT count(*) FROM requests")
        assert store.schema_version == SCHEMA_VERSION >= SESSION_ROLLUP_VERSION
        assert store.query("SELECT count(*) AS n FROM rollup_sessions") == [{"n": 0}]
    finally:
        store.close()


def test_session_rollup_follows_writes_reprices_and_deletions(database: str) -> None:
    data = generate(database, n=300, seed=5)
    store = data.store
    try:
        assert len(store.query(_KEPT)) > 10
        assert_sessions_consistent(store)
        with store.transaction() as conn:  # reprice, a moved request, a late first request
            conn.executemany(
                "UPDATE requests SET cost_usd = ?, status = ? WHERE id = ?",
                [(0.5, 500, r["id"]) for r in data.rows[::7]],
            )
            conn.execute(
                "UPDATE requests SET session_id = 's-000', created_at = ? WHERE id = ?",
                (iso_from_epoch(T0 - 20 * 86400), data.rows[100]["id"]),
            )
        assert_sessions_consistent(store)
        delete_requests(store, user="patient-7829", batch=7)
        assert_sessions_consistent(store)
        delete_requests(store, session="s-003")
        assert store.query("SELECT * FROM rollup_sessions WHERE session_id = 's-003'") == []
        assert_sessions_consistent(store)
        prune(store, iso_from_epoch(T0 - 7 * 86400 + 1234.5), batch=5)
        assert_sessions_consistent(store)
        with store.transaction() as conn:  # hand-written: the triggers recount
            conn.execute("DELETE FROM requests WHERE model = 'gpt-4o'")
        assert_sessions_consistent(store)
        with store.transaction() as conn:  # a hand-written insert: counted after a rebuild
            conn.execute(
                "INSERT INTO requests (id, created_at, model, status, cost_usd, session_id) "
                "VALUES ('by-hand', ?, 'm', 200, 2.5, 's-new')",
                (iso_from_epoch(T0),),
            )
        rebuild_rollups(store)
        assert_sessions_consistent(store)
        kept = store.query(
            "SELECT requests, cost_usd FROM rollup_sessions WHERE session_id = 's-new'"
        )
        assert kept == [{"requests": 1, "cost_usd": 2.5}]
    finally:
        store.close()


def test_replayed_rows_are_counted_once(database: str) -> None:
    """The writer's slow path (a request id logged twice) counts the rows really inserted."""
    store = Store(database)
    try:
        rows = [
            {
                "id": f"r{i}",
                "created_at": iso_from_epoch(T0 - 100 + i),
                "model": "m",
                "status": 200 if i % 3 else 500,
                "cost_usd": 0.25,
                "total_tokens": 10,
                "latency_ms": 1000.0,
                "session_id": "s",
            }
            for i in range(4)
        ]
        for row in rows:
            store.write("requests", row)
        store.flush()
        for row in rows[2:]:
            store.write("requests", {**row, "cost_usd": 9.0})
        store.write("requests", {**rows[0], "id": "r9", "created_at": iso_from_epoch(T0)})
        store.flush()
        assert_sessions_consistent(store)
        kept = store.query("SELECT requests, cost_usd, errors, duration_ms FROM rollup_sessions")
        assert kept == [
            {"requests": 5, "cost_usd": 1.25, "errors": 3, "duration_ms": pytest.approx(101_000)}
        ]
    finally:
        store.close()


SORTS = ("cost", "requests", "tokens", "errors", "duration")
RANGES = [
    Filters(),
    Filters(since="3d"),  # cuts a session
    Filters(since=iso_from_epoch(T0 - 5 * 86400 + 1234.5), until=iso_from_epoch(T0 - 86400 - 77)),
    Filters(until=iso_from_epoch(T0 - 4 * 86400 + 999)),
    Filters(since=iso_from_epoch(T0 - 86400 + 60), until=iso_from_epoch(T0 - 86400 + 3000)),
]


@pytest.mark.parametrize("sort", SORTS)
@pytest.mark.parametrize("f", RANGES, ids=lambda f: f.describe() or "all")
def test_sessions_ranked_from_the_rollup_equal_the_raw_ranking(
    generated: Generated, sort: str, f: Filters
) -> None:
    rolled = Reports(generated.store, clock=lambda: T0)
    raw = Reports(generated.store, clock=lambda: T0, rollups=False)
    for limit in (1, 3, 7, 500):
        a = rolled.sessions(f, limit=limit, sort=sort)
        b = raw.sessions(f, limit=limit, sort=sort)
        assert [r.to_dict() for r in a] == [r.to_dict() for r in b], (sort, limit)
    assert len(raw.sessions(f, limit=None, sort=sort)) > 0


def test_the_rollup_answers_a_time_range_and_stops_early(generated: Generated) -> None:
    """The ranking comes from the rollup (not the raw fallback) for a range that cuts
    sessions; a walk that finds too few sessions in the range within its budget gives up
    and leaves them to the raw rows."""
    reader = Reports(generated.store, clock=lambda: T0)._reader
    wide = Filters(since="3d")
    for sort in SORTS:
        found = ranked_from_rollup(reader, wide, T0, sort, 5, _RANKS[sort])
        assert found is not None and len(found) == 5, sort
    empty = Filters(since=iso_from_epoch(T0 + 60))  # no session in it: the whole walk
    assert ranked_from_rollup(reader, empty, T0, "cost", 1, _RANKS["cost"]) == []
    assert ranked_from_rollup(reader, empty, T0, "cost", 1, _RANKS["cost"], budget=10) is None


def test_ties_and_zero_figures_order_by_session_id(database: str, tmp_path: Path) -> None:
    """Equal figures (three sessions of two requests, no errors) rank by id, descending,
    as the raw path does; a session outside the range is not listed."""
    store = Store(database)
    try:
        for n, session in enumerate(("a", "b", "c", "d")):
            for i in range(2):
                at = T0 - 3600 * (10 if session == "d" else 1) + n * 60 + i
                store.write(
                    "requests",
                    {
                        "id": f"{session}{i}",
                        "created_at": iso_from_epoch(at),
                        "model": "m",
                        "status": 200,
                        "cost_usd": 0.5,
                        "total_tokens": 7,
                        "session_id": session,
                    },
                )
        store.flush()
        reports = Reports(store, clock=lambda: T0)
        for sort in ("cost", "requests", "tokens", "errors"):
            rows = reports.sessions(Filters(since="2h"), limit=2, sort=sort)
            assert [r.session_id for r in rows] == ["c", "b"], sort
    finally:
        store.close()


def test_only_time_ranges_read_the_rollup(
    generated: Generated, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list groups the raw rows only for other filters (or a list without a limit)."""
    from helicone_lite.reports import _sessions

    grouped: list[Any] = []
    raw = _sessions._ranked

    def spy(reader: Any, src: Any, sort: str, limit: int | None) -> list[str]:
        grouped.append(src)
        return raw(reader, src, sort, limit)

    monkeypatch.setattr(_sessions, "_ranked", spy)
    reports = Reports(generated.store, clock=lambda: T0)
    for f in (Filters(), Filters(since="3d"), Filters(since="9d", until="2d")):
        assert reports.sessions(f, limit=5, sort="cost")
    assert grouped == []
    for f in (Filters(model="gpt-4o"), Filters(status="error", since="3d")):
        assert reports.sessions(f, limit=5, sort="cost")
    assert reports.sessions(Filters(), limit=None, sort="tokens")
    assert len(grouped) == 3
