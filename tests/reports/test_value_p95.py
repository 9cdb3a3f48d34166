"""The users of one property value: the p95 of the users shown equals a brute-force nearest
rank over the value's requests, with a limit, a sort and other filters (a second value, a
model, a status, a time range), on both engines."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.store import iso_from_epoch

from .brute import grouped, selected
from .conftest import T0, Generated

CASES = {
    "value, top 2 by requests": (Filters(properties={"department": "cardiology"}), 2, "requests"),
    "two values": (
        Filters(properties={"agent": "triage", "department": "neurology"}),
        None,
        "cost",
    ),
    "value and model": (
        Filters(properties={"department": "dermatology"}, model="gpt-4o"),
        3,
        "cost",
    ),
    "value and errors": (Filters(properties={"agent": "report"}, status="error"), None, "name"),
    "value, last 4 days": (Filters(properties={"department": "neurology"}, since="4d"), 1, "cost"),
}


@pytest.fixture
def reports(generated: Generated) -> Reports:
    return Reports(generated.store, clock=lambda: T0)


def _selected(row: dict[str, Any], f: Filters) -> bool:
    return selected(row, f, iso_from_epoch(T0 - 4 * 86400) if f.since else "")  # "4d" cases


@pytest.mark.parametrize("label", list(CASES))
def test_p95_of_the_users_shown(reports: Reports, generated: Generated, label: str) -> None:
    f, limit, sort = CASES[label]
    expected = grouped([r for r in generated.rows if _selected(r, f)], lambda r: r["user_id"])
    everyone = reports.users(f, limit=None, sort=sort, with_scores=False)
    shown = reports.users(f, limit=limit, sort=sort, with_scores=False)
    assert [r.user_id for r in shown] == [r.user_id for r in everyone][:limit]
    assert set(r.user_id for r in everyone) == set(expected)
    assert shown
    for row in shown:
        want = expected[row.user_id]
        assert row.requests == want["requests"]
        assert row.p95_latency_ms == pytest.approx(want["p95_latency_ms"], rel=1e-12)
