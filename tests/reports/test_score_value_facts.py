"""Mean scores of the requests of one property value read that value's range of
``score_property_facts`` (not every scored request tested against the value's facts): on both
engines they equal a brute-force computation over the written rows and scores, for every
grouping, with the value's filter alone and combined with the others (a second property, a
model, a user, a status, a time range); and the users report of one value shows the same
means as one built from the raw rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._scores import _scored
from helicone_lite.store import iso_from_epoch

from .brute import selected
from .conftest import T0, Generated

FILTERS = {
    "value": Filters(properties={"department": "cardiology"}),
    "two values": Filters(properties={"department": "neurology", "agent": "triage"}),
    "value and model": Filters(properties={"agent": "report"}, model="gpt-4o"),
    "value and user": Filters(properties={"department": "dermatology"}, user="patient-4521"),
    "value and errors": Filters(properties={"department": "cardiology"}, status="error"),
    "value, last 4 days": Filters(properties={"department": "neurology"}, since="4d"),
}
#: the ``scores --by`` groupings and the request columns that key them
BY: dict[str, Callable[[dict[str, Any]], Any]] = {
    "all": lambda r: None,
    "model": lambda r: r["model"],
    "provider": lambda r: r["provider"],
    "user": lambda r: r["user_id"],
    "session": lambda r: r["session_id"],
    "prompt": lambda r: (
        None if r["prompt_id"] is None else f"{r['prompt_id']} v{r['prompt_version']}"
    ),
    "path": lambda r: r["session_path"],
}


@pytest.fixture
def reports(generated: Generated) -> Reports:
    return Reports(generated.store, clock=lambda: T0)


def _selected(row: dict[str, Any], f: Filters) -> bool:
    return selected(row, f, iso_from_epoch(T0 - 4 * 86400) if f.since else "")  # "4d" cases


def _brute(generated: Generated, f: Filters, by: str) -> dict[tuple[Any, str], list[float]]:
    rows = {r["id"]: r for r in generated.rows}
    out: dict[tuple[Any, str], list[float]] = defaultdict(list)
    for request_id, name, value, _ in generated.scores:
        row = rows[request_id]
        if _selected(row, f):
            out[(BY[by](row), name)].append(value)
    return out


@pytest.mark.parametrize("label", list(FILTERS))
@pytest.mark.parametrize("by", list(BY))
def test_scores_of_a_value_match_brute_force(
    reports: Reports, generated: Generated, label: str, by: str
) -> None:
    f = FILTERS[label]
    want = _brute(generated, f, by)
    got = {(r.key, r.name): r for r in reports.scores(f, by=by)}
    assert set(got) == set(want)
    assert want or label == "value and user"  # the data has scores for (almost) every case
    for key, values in want.items():
        row = got[key]
        assert row.count == len(values)
        assert row.mean == pytest.approx(sum(values) / len(values), rel=1e-9)
        assert (row.min, row.max) == (min(values), max(values))


@pytest.mark.parametrize("by", ["all", "model", "user", "session", "prompt"])
def test_a_value_reads_its_score_facts(by: str) -> None:
    sql, params, _ = _scored(FILTERS["two values"], T0, by)
    assert "FROM score_property_facts" in sql and "score_facts s INDEXED" not in sql
    assert params[:2] == ["department", "neurology"]
    assert "agent" in params  # the second value stays a condition
    sql, _, _ = _scored(FILTERS["two values"], T0, "path")  # no session_path in the facts
    assert "FROM score_facts" in sql


def test_users_of_a_value_show_the_raw_means(reports: Reports, generated: Generated) -> None:
    f = FILTERS["value"]
    want = _brute(generated, f, "user")
    rows = reports.users(f, limit=None)
    assert rows
    for row in rows:
        expected = {
            name: sum(v) / len(v) for (user, name), v in want.items() if user == row.user_id
        }
        assert row.scores == pytest.approx(expected, rel=1e-9)
    assert any(row.scores for row in rows)
