"""The CLI's own queries read indexes (the speed on 1,000,000 rows rests on it; the timings
are in benchmarks/bench_cli.py, never in tests)."""

from __future__ import annotations

from pathlib import Path

import pytest

from helicone_lite.cli.requests import _SELECT, _newest
from helicone_lite.reports import Filters
from helicone_lite.reports._p95 import day_merge_sql
from helicone_lite.reports._source import source
from tests.reports.conftest import T0, generate

QUERIES = {
    "listing": f"{_SELECT} WHERE 1 ORDER BY created_at DESC LIMIT 20",
    "by user": f"{_SELECT} WHERE user_id = 'x' ORDER BY created_at DESC LIMIT 20",
    "by model": f"{_SELECT} WHERE model = 'x' ORDER BY created_at DESC LIMIT 20",
    "ids by model": (
        "SELECT id FROM requests INDEXED BY idx_requests_created_at WHERE model = 'x' "
        "ORDER BY created_at DESC, id DESC LIMIT 20"
    ),
    "ids by property": (
        "SELECT id FROM property_facts WHERE name = 'a' AND value = 'b' AND 1 = 1 "
        "ORDER BY created_at DESC, id DESC LIMIT 20"
    ),
    "ids by user": (
        "SELECT id FROM requests WHERE user_id = 'x' ORDER BY created_at DESC, id DESC LIMIT 20"
    ),
    "rows of ids": f"{_SELECT} WHERE id IN ('a', 'b')",
    "since": f"{_SELECT} WHERE created_at >= '2026' ORDER BY created_at DESC LIMIT 20",
    "follow": f"{_SELECT} WHERE rowid > 5 AND rowid <= 10 AND 1 ORDER BY rowid",
    "show": "SELECT * FROM requests WHERE id >= 'ab' AND id < 'ab\U0010ffff' ORDER BY id LIMIT 2",
    "delete batch": "SELECT id FROM requests WHERE created_at < '2026' LIMIT 2000",
    "delete user": "SELECT id FROM requests WHERE user_id = 'x' LIMIT 2000",
    "session prefix": (
        "SELECT DISTINCT session_id FROM requests WHERE session_id >= 's' "
        "AND session_id < 's\U0010ffff' ORDER BY session_id LIMIT 2"
    ),
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_reads_an_index(tmp_path: Path, name: str) -> None:
    data = generate(tmp_path / "helicone.db", n=50)
    try:
        plan = [r["detail"] for r in data.store.query("EXPLAIN QUERY PLAN " + QUERIES[name])]
    finally:
        data.store.close()
    assert plan and all("USING" in step or step.startswith("USE TEMP B-TREE") for step in plan), (
        plan
    )
    assert not any(step == "SCAN requests" for step in plan), plan


@pytest.mark.parametrize(
    ("filters", "test"),
    [
        (Filters(), lambda r: True),
        (Filters(model="gpt-4o"), lambda r: r["model"] == "gpt-4o"),
        (
            Filters(properties={"department": "cardiology"}, status="error"),
            lambda r: r["properties"]["department"] == "cardiology" and r["status"] != 200,
        ),
        (Filters(user="patient-7829"), lambda r: r["user_id"] == "patient-7829"),
        (
            Filters(session="s-003", cache_status="MISS"),
            lambda r: r["session_id"] == "s-003" and r["cache_status"] == "MISS",
        ),
        (Filters(since="2d", provider="openai"), lambda r: r["provider"] == "openai"),
    ],
    ids=["all", "model", "property+status", "user", "session+cache", "since+provider"],
)
def test_newest_requests_by_every_path_match_a_recount(
    tmp_path: Path, filters: Filters, test: object
) -> None:
    """``requests``'s listing (ids on the time index, the property facts or the user/session
    index, then those rows) gives the newest matching requests, newest first."""
    data = generate(tmp_path / "helicone.db", n=300)
    since = filters.where(T0)[1][0] if filters.since else ""
    try:
        for limit in (1, 20, 1000):
            found = [r["id"] for r in _newest(data.store, filters, T0, limit)]
            rows = [r for r in data.rows if test(r) and r["created_at"] >= since]  # type: ignore[operator]
            rows.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
            assert found == [r["id"] for r in rows[:limit]], limit
        assert len(rows) >= 2  # (the filters match some rows)
    finally:
        data.store.close()


@pytest.mark.parametrize("filters", [Filters(), Filters(since="7d", model="gpt-4o")])
def test_user_p95_merges_one_latency_stream_a_day(tmp_path: Path, filters: Filters) -> None:
    """The users report's p95 (``users``, the dashboard's users pages): each day's entries
    of the user are read in latency order off ``idx_requests_user`` (user, day, latency) and
    the compound ``ORDER BY`` merges them: no sort, no table scan."""
    data = generate(tmp_path / "helicone.db", n=50)
    src = source(filters, T0, "idx_requests_user")
    days = ["2026-01-01", "2026-01-02", None]
    sql = day_merge_sql(src, "user_id", days, "LIMIT 1 OFFSET ?")
    params = [*src.params, "u", "2026-01-01", *src.params, "u", "2026-01-02", *src.params, "u"]
    try:
        plan = [r["detail"] for r in data.store.query("EXPLAIN QUERY PLAN " + sql, [*params, 0])]
    finally:
        data.store.close()
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert "MERGE (UNION ALL)" in plan, plan
    assert len(searches) == len(days), plan
    assert all(
        "COVERING INDEX idx_requests_user (user_id=? AND <expr>=? AND latency_ms>?)" in step
        for step in searches
    ), plan
    assert not any(step.startswith("USE TEMP B-TREE") for step in plan), plan
