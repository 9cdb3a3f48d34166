"""The cheaper read paths taken on big stores give what a brute-force recount gives: one
user's (or session's) models from that user's rows, a user's recent sessions by the bounded
walk and by grouping, score means for the users shown only, and the request list sorted by
cost, latency or tokens from its own index. Thresholds that pick a path on a big store are set so
that these small stores take each path in turn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports, _requests, _sessions
from helicone_lite.reports._filters import parse_time
from helicone_lite.store import Store

from . import brute
from .conftest import T0, Generated, write_statuses


def _reports(generated: Generated) -> Reports:
    return Reports(generated.store, clock=lambda: T0)


@pytest.mark.parametrize("column", ["user_id", "session_id"])
def test_models_of_one_user_or_session_match_a_recount(generated: Generated, column: str) -> None:
    key = next(r[column] for r in generated.rows if r[column] is not None)
    option = {"user_id": "user", "session_id": "session"}[column]
    rows = _reports(generated).models(Filters(**{option: key}))
    expected = brute.grouped(
        generated.where(**{column: key}), lambda r: (r["model"], r["provider"])
    )
    assert {(r.key, r.provider) for r in rows} == set(expected)
    for row in rows:
        want = expected[(row.key, row.provider)]
        assert row.requests == want["requests"] and row.errors == want["errors"]
        assert row.cost_usd == pytest.approx(want["cost_usd"])
        assert (row.first_at, row.last_at) == (want["first_at"], want["last_at"])
    costs = [r.cost_usd for r in rows]
    assert costs == sorted(costs, reverse=True)


def _newest_sessions(generated: Generated, user: str, limit: int) -> list[str]:
    last: dict[str, str] = {}
    for row in generated.where(user_id=user):
        if row["session_id"] is not None:
            last[row["session_id"]] = max(last.get(row["session_id"], ""), row["created_at"])
    return sorted(last, key=lambda s: last[s], reverse=True)[:limit]


@pytest.mark.parametrize("walk", [1_000_000, 40, 1], ids=["whole walk", "walk", "grouped"])
def test_a_users_recent_sessions_by_every_path(
    generated: Generated, monkeypatch: pytest.MonkeyPatch, walk: int
) -> None:
    """``walk``: the newest requests walked back before grouping the user's rows instead
    (all of them; enough for the busiest user; too few: the grouped path)."""
    monkeypatch.setattr(_sessions, "_WALK", walk)
    reports = _reports(generated)
    for user in sorted({r["user_id"] for r in generated.rows} - {None}):
        for limit in (1, 3, 50):
            found = [s.session_id for s in reports.sessions(Filters(user=user), limit=limit)]
            assert found == _newest_sessions(generated, user, limit), (user, limit)


def test_users_scores_only_for_the_users_shown_and_none_when_not_asked(
    generated: Generated,
) -> None:
    reports = _reports(generated)
    by_request = {r["id"]: r["user_id"] for r in generated.rows}
    sums: dict[Any, dict[str, list[float]]] = {}
    for request_id, name, value, _ in generated.scores:
        sums.setdefault(by_request[request_id], {}).setdefault(name, []).append(value)
    for limit in (1, 2, None):
        for row in reports.users(limit=limit):
            expected = {n: sum(v) / len(v) for n, v in sums.get(row.user_id, {}).items()}
            assert row.scores == pytest.approx(expected)
    assert all(row.scores == {} for row in reports.users(limit=None, with_scores=False))
    assert all(row.scores == {} for row in reports.models(with_scores=False))


def _spy_sort_index(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The indexes the request list chooses, in order (None: it sorts the range)."""
    chosen: list[str | None] = []
    pick = _requests._sort_index

    def spy(*args: Any) -> str | None:
        chosen.append(pick(*args))
        return chosen[-1]

    monkeypatch.setattr(_requests, "_sort_index", spy)
    return chosen


def _index_of(sort: str) -> str:
    """The index the list reads for ``sort`` (cost, latency, tokens: led by the day)."""
    return "idx_requests_status" if sort == "status" else f"idx_requests_day_{sort}"


@pytest.mark.parametrize("sort", ["cost", "latency", "tokens", "status"])
@pytest.mark.parametrize("descending", [True, False])
def test_request_list_sorted_from_its_index_matches_the_sort(
    generated: Generated, monkeypatch: pytest.MonkeyPatch, sort: str, descending: bool
) -> None:
    if generated.store.engine != "sqlite":
        pytest.skip("PostgreSQL's planner picks its own index (and sorts NULLs last)")
    column = _requests.REQUEST_SORTS[sort]
    chosen = _spy_sort_index(monkeypatch)

    def order(r: dict[str, Any]) -> tuple[Any, ...]:
        value = r[column]  # SQLite: NULL before any number
        return (value is not None, value or 0, r["created_at"], r["id"])

    # sorting the range's rows; walking the sort's index; (by day) more days than it merges
    for fewest, most_days in ((10**9, 400), (0, 400), (0, 1)):
        monkeypatch.setattr(_requests, "_FEWEST", fewest)
        monkeypatch.setattr(_requests, "_MOST_DAYS", most_days)
        for f in (Filters(), Filters(since="3d"), Filters(since="4d", until="2d")):
            since = parse_time(f.since, T0) or ""
            until = parse_time(f.until, T0, "until") or "~"
            rows = [r for r in generated.rows if since <= r["created_at"] < until]
            expected = [r["id"] for r in sorted(rows, key=order, reverse=descending)]
            for page in (1, 2, 7):
                found = _reports(generated).requests(
                    f, sort=sort, descending=descending, page=page, per_page=25
                )
                want = expected[(page - 1) * 25 : page * 25]
                assert [r["id"] for r in found.rows] == want, (fewest, f, page)
                assert found.total == len(rows)
                assert chosen.pop() == (None if fewest else _index_of(sort)), f


@pytest.mark.parametrize("descending", [True, False])
def test_request_list_by_status_merges_the_rare_index_with_the_200s(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, descending: bool
) -> None:
    """No status (NULL) and statuses on both sides of 200 come from the partial index, the
    200s from the time index; the merged page is the plain sort's (NULL first ascending)."""
    statuses = [200, None, 500, 200, 0, 429, 200, 200, None, 503, 200, 400]
    with Store(tmp_path / "s.db") as store:
        write_statuses(store, 48, statuses)
        monkeypatch.setattr(_requests, "_FEWEST", 0)
        chosen = _spy_sort_index(monkeypatch)
        reports = Reports(store, clock=lambda: T0)
        every = store.query("SELECT id, status, created_at FROM requests")

        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["status"] is not None, r["status"] or 0, r["created_at"], r["id"])

        expected = [r["id"] for r in sorted(every, key=key, reverse=descending)]
        for page in (1, 2, 3, 4):
            found = reports.requests(sort="status", descending=descending, page=page, per_page=15)
            assert [r["id"] for r in found.rows] == expected[(page - 1) * 15 : page * 15], page
        assert set(chosen) == {"idx_requests_status"}


@pytest.mark.parametrize("sort", ["cost", "latency", "tokens"])
@pytest.mark.parametrize("descending", [True, False])
def test_request_list_by_day_streams_keeps_rows_without_a_time_and_odd_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sort: str, descending: bool
) -> None:
    """A NULL ``created_at``, one that is not a date, days with gaps and ties on the sort
    column: the merged days give the plain sort, page after page."""
    column = _requests.REQUEST_SORTS[sort]
    stamps = [
        "2026-01-01T10:00:00.000Z",
        "2026-01-03T00:00:00.000Z",
        "2026-01-03T23:59:59Z",
        "2025-12-31T23:59:59.999Z",
        "yesterday",
        None,
        "2026-01-09T00:00:00.000Z",
    ]
    values = [None, 0, 1.5, 3, 1.5, None, 7]
    with Store(tmp_path / "s.db") as store:
        for i in range(42):
            row = {"id": f"r{i:02d}", "created_at": stamps[i % 7], "model": "m"}
            store.write("requests", {**row, column: values[i % 6], "status": 200})
        store.flush()
        with store.transaction() as conn:  # (the writer may fill a missing time)
            conn.execute(
                "UPDATE requests SET created_at = NULL WHERE CAST(substr(id, 2) AS INT) % 7 = 5"
            )
        monkeypatch.setattr(_requests, "_FEWEST", 0)
        chosen = _spy_sort_index(monkeypatch)
        reports = Reports(store, clock=lambda: T0)
        every = store.query(f"SELECT id, {column} AS v, created_at FROM requests")
        assert any(r["created_at"] is None for r in every)

        def key(r: dict[str, Any]) -> tuple[Any, ...]:
            return (r["v"] is not None, r["v"] or 0, r["created_at"] or "", r["id"])

        expected = [r["id"] for r in sorted(every, key=key, reverse=descending)]
        for page in (1, 2, 3, 4):
            found = reports.requests(sort=sort, descending=descending, page=page, per_page=11)
            assert [r["id"] for r in found.rows] == expected[(page - 1) * 11 : page * 11], page
        assert set(chosen) == {f"idx_requests_day_{sort}"}
