"""The users report's p95 on SQLite's day-keyed user index (``USER_DAY_MIGRATION``): one
latency stream a day merged, in one compound SELECT or (a range of more days than one
holds) several merged in Python, equals a brute-force nearest rank over the rows, with and
without rollups, over ranges that cut days in two; an older store's index (keyed by latency
after the user) gives the same figures."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports, _p95
from helicone_lite.store import Store, iso_from_epoch

from .brute import grouped, selected
from .conftest import T0, generate

RANGES = {
    "unbounded": (Filters(), ""),
    "last 3.5 days": (Filters(since=iso_from_epoch(T0 - 3.5 * 86400)), 3.5),
    "a model, last 6 days": (Filters(model="gpt-4o", since="6d"), 6.0),
    "errors": (Filters(status="error"), ""),
}


@pytest.fixture(scope="module")
def store_rows(tmp_path_factory: pytest.TempPathFactory) -> Any:
    data = generate(tmp_path_factory.mktemp("userday") / "helicone.db")
    yield data
    data.store.close()


def _expected(rows: list[dict[str, Any]], f: Filters, days_back: float | str) -> dict[Any, Any]:
    since = "" if days_back == "" else iso_from_epoch(T0 - float(days_back) * 86400)
    return grouped([r for r in rows if selected(r, f, since)], lambda r: r["user_id"])


@pytest.mark.parametrize(
    ("merge_from", "most_days"),
    [(0, 400), (0, 3), (0, 1), (10**6, 400)],
    ids=["merged", "chunks of 3 days", "a chunk a day", "sorted"],
)
@pytest.mark.parametrize("rollups", [True, False])
@pytest.mark.parametrize("label", list(RANGES))
def test_p95_merged_by_day_matches_brute_force(
    store_rows: Any,
    monkeypatch: pytest.MonkeyPatch,
    label: str,
    rollups: bool,
    merge_from: int,
    most_days: int,
) -> None:
    """Every user's p95 merged from the day streams (in one statement, or chunks merged in
    Python), or (``sorted``: few rows a day) sorted off the user's entries."""
    monkeypatch.setattr(_p95, "MERGE_FROM", merge_from)
    monkeypatch.setattr(_p95, "MOST_DAYS", most_days)
    f, days_back = RANGES[label]
    reports = Reports(store_rows.store, clock=lambda: T0, rollups=rollups)
    assert reports._reader.user_index_by_day()
    expected = _expected(store_rows.rows, f, days_back)
    found = reports.users(f, limit=None, with_scores=False)
    assert {r.user_id for r in found} == set(expected)
    for row in found:
        want = expected[row.user_id]
        assert row.requests == want["requests"]
        assert row.p95_latency_ms == want["p95_latency_ms"], row.user_id


def test_rows_without_a_time_or_a_latency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A request stored without ``created_at`` is its own stream (``day IS NULL``) when no
    range is set; requests without a latency are not ranked."""
    monkeypatch.setattr(_p95, "MERGE_FROM", 0)  # (merged, whatever the rows a day)
    with Store(tmp_path / "helicone.db") as store:
        latencies = [*range(10, 410, 10), None]
        for i, latency in enumerate(latencies):
            row = {"id": f"r{i:03d}", "created_at": iso_from_epoch(T0 - i * 3600), "user_id": "u"}
            store.write("requests", {**row, "status": 200, "latency_ms": latency})
        store.flush()
        with store.transaction() as conn:  # (the writer always stamps a time)
            conn.execute("UPDATE requests SET created_at = NULL WHERE id = 'r000'")
            conn.execute("UPDATE requests SET latency_ms = 5000 WHERE id = 'r000'")
        everything = Reports(store, clock=lambda: T0, rollups=False).users()
        recent = Reports(store, clock=lambda: T0, rollups=False).users(Filters(since="30d"))
    # 40 latencies: 5000 (no time) and 20 … 400; nearest rank 38 of 40 from the smallest
    assert everything[0].p95_latency_ms == 390.0
    # with a range the timeless row is out: 20 … 400, 39 of them, rank 38 (0.95 * 39 = 37.05)
    assert recent[0].requests == 40 and recent[0].p95_latency_ms == 390.0
    assert everything[0].requests == 41


def test_an_older_index_gives_the_same_figures(tmp_path: Path) -> None:
    """A store whose user index is still ``(user_id, latency_ms, …)`` (a read-only view of an
    older file) reads each user's p95 off that order: the same values."""
    path = tmp_path / "helicone.db"
    data = generate(path, n=300)
    try:
        before = Reports(data.store, clock=lambda: T0).users(limit=None, with_scores=False)
    finally:
        data.store.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("DROP INDEX idx_requests_user")
        conn.execute(
            "CREATE INDEX idx_requests_user ON requests (user_id, latency_ms, created_at, "
            "provider, model, status, cost_usd, total_tokens, cache_status, session_id, "
            "prompt_id, prompt_version, id)"
        )
    conn.close()
    with Store(path) as store:
        reports = Reports(store, clock=lambda: T0)
        assert not reports._reader.user_index_by_day()
        after = reports.users(limit=None, with_scores=False)
    assert [(r.user_id, r.p95_latency_ms) for r in after] == [
        (r.user_id, r.p95_latency_ms) for r in before
    ]
    assert any(r.p95_latency_ms is not None for r in after)
