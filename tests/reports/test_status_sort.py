"""The request list sorted by status, read as runs of statuses (PostgreSQL) or as two merged
streams (SQLite): every page is the plain ``ORDER BY status, created_at, id`` of the same
engine (NULL is the smallest status on SQLite, the largest on PostgreSQL), including pages
whose offset skips whole runs (counted, the 200s from the total)."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports, _requests, _status_sort
from helicone_lite.store import Store

from .conftest import T0, write_statuses

STATUSES = [200, None, 500, 200, 0, 429, 200, 200, None, 503, 200, 400, 200, 200]


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the pages read as runs of statuses."""
    calls: list[int] = []
    real = _status_sort.status_arms_page

    def spy(*args: Any) -> list[Any]:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(_requests, "status_arms_page", spy)
    return calls


@pytest.mark.parametrize("descending", [True, False])
def test_pages_by_status_are_the_plain_sort_on_each_engine(
    database: str, monkeypatch: pytest.MonkeyPatch, descending: bool
) -> None:
    with Store(database) as store:
        write_statuses(store, 70, STATUSES)
        monkeypatch.setattr(_requests, "_FEWEST", 0)
        arms = _spy(monkeypatch)
        reports = Reports(store, clock=lambda: T0)
        order = "DESC" if descending else "ASC"
        expected = [
            r["id"]
            for r in store.query(
                f"SELECT id FROM requests ORDER BY status {order}, created_at {order}, id {order}"
            )
        ]
        for per_page in (4, 15):
            pages = -(-len(expected) // per_page) + 1  # (and one past the end: empty)
            for page in range(1, pages + 1):
                found = reports.requests(
                    sort="status", descending=descending, page=page, per_page=per_page
                )
                want = expected[(page - 1) * per_page : page * per_page]
                assert [r["id"] for r in found.rows] == want, (per_page, page)
                assert found.total == len(expected)
        # a filter beyond the time range: the plain sort on both engines
        found = reports.requests(Filters(model="m"), sort="status", descending=descending)
        assert [r["id"] for r in found.rows] == expected[:50]
    assert len(arms) == (0 if store.engine == "sqlite" else 25)
