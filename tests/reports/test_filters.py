"""Every filter, alone and combined, selects exactly the requests a Python filter selects,
in every kind of report (grouped on an index, on the property facts, over time)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from helicone_lite import OptionsError
from helicone_lite.reports import Filters, Reports, parse_time
from helicone_lite.store import epoch_from_iso, iso_from_epoch

from .brute import failed
from .conftest import T0, Generated

Row = dict[str, Any]

CASES: list[tuple[str, Filters, Callable[[Row], bool]]] = [
    ("since", Filters(since="3d"), lambda r: r["created_at"] >= iso_from_epoch(T0 - 3 * 86400)),
    (
        "until",
        Filters(until=T0 - 5 * 86400),
        lambda r: r["created_at"] < iso_from_epoch(T0 - 5 * 86400),
    ),
    (
        "range",
        Filters(since=datetime.fromtimestamp(T0 - 6 * 86400, timezone.utc), until="2d"),
        lambda r: (
            iso_from_epoch(T0 - 6 * 86400) <= r["created_at"] < iso_from_epoch(T0 - 2 * 86400)
        ),
    ),
    ("model", Filters(model="gpt-4o"), lambda r: r["model"] == "gpt-4o"),
    ("provider", Filters(provider="anthropic"), lambda r: r["provider"] == "anthropic"),
    ("user", Filters(user="patient-4521"), lambda r: r["user_id"] == "patient-4521"),
    ("session", Filters(session="s-007"), lambda r: r["session_id"] == "s-007"),
    ("status code", Filters(status=429), lambda r: r["status"] == 429),
    ("status text", Filters(status="500"), lambda r: r["status"] == 500),
    ("status ok", Filters(status="ok"), lambda r: not failed(r)),
    ("status error", Filters(status="error"), failed),
    ("status class", Filters(status="4xx"), lambda r: 400 <= r["status"] <= 499),
    (
        "property",
        Filters(properties={"Department": "cardiology"}),
        lambda r: r["properties"]["department"] == "cardiology",
    ),
    (
        "properties",
        Filters(properties={"department": "neurology", "agent": "report"}),
        lambda r: r["properties"] == {"department": "neurology", "agent": "report"},
    ),
    (
        "prompt id",
        Filters(prompt_id="triage-classifier"),
        lambda r: r["prompt_id"] == "triage-classifier",
    ),
    (
        "prompt version",
        Filters(prompt_id="triage-classifier", prompt_version=2),
        lambda r: r["prompt_id"] == "triage-classifier" and r["prompt_version"] == 2,
    ),
    (
        "combined",
        Filters(
            since="8d", model="gpt-4o-mini", status="ok", properties={"department": "dermatology"}
        ),
        lambda r: (
            r["created_at"] >= iso_from_epoch(T0 - 8 * 86400)
            and r["model"] == "gpt-4o-mini"
            and not failed(r)
            and r["properties"]["department"] == "dermatology"
        ),
    ),
]


@pytest.fixture
def reports(generated: Generated) -> Reports:
    return Reports(generated.store, clock=lambda: T0)


@pytest.mark.parametrize(("name", "filters", "keep"), CASES, ids=[c[0] for c in CASES])
def test_filter_in_every_report(
    reports: Reports,
    generated: Generated,
    name: str,
    filters: Filters,
    keep: Callable[[Row], bool],
) -> None:
    rows = [r for r in generated.rows if keep(r)]
    assert rows, f"the generated store has no rows for {name}"
    cost = pytest.approx(sum(r["cost_usd"] or 0 for r in rows))
    assert reports.summary(filters).requests == len(rows)
    assert reports.summary(filters).cost_usd == cost
    assert sum(u.requests for u in reports.users(filters, limit=None)) == len(rows)
    assert sum(m.requests for m in reports.models(filters)) == len(rows)
    assert sum(p.cost_usd for p in reports.providers(filters)) == cost
    assert sum(v.requests for v in reports.properties("department", filters)) == len(rows)
    assert sum(b.requests for b in reports.costs(filters, every="day")) == len(rows)
    assert sum(b.cost_usd for b in reports.costs(filters, every="week", by="model")) == cost
    assert reports.export_count(filters) == len(rows)
    in_sessions = [r for r in rows if r["session_id"]]
    listed = reports.sessions(filters, limit=None)
    assert sum(s.requests for s in listed) == len(in_sessions)
    assert {s.session_id for s in listed} == {r["session_id"] for r in in_sessions}
    hits = [r for r in rows if r["cache_status"] == "HIT"]
    assert reports.cache_savings(filters).hits == len(hits)
    scored = {r["id"] for r in rows}
    n_scored = sum(1 for rid, n, _, _ in generated.scores if rid in scored and n == "accuracy")
    assert sum(s.count for s in reports.scores(filters, by="all") if s.name == "accuracy") == (
        n_scored
    )


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("status", "sometimes"),
        ("status", 700),
        ("since", "last tuesday"),
        ("until", True),
        ("prompt_version", "2"),
        ("model", 4),
        ("properties", {"department": 3}),
    ],
)
def test_bad_filters_name_the_option(option: str, value: Any) -> None:
    with pytest.raises(OptionsError) as info:
        Filters(**{option: value})
    assert option in str(info.value) and "expected" in str(info.value)


def test_parse_time_forms() -> None:
    now = 1_800_000_000.0
    assert parse_time("90m", now) == iso_from_epoch(now - 5400)
    assert parse_time("1w", now) == iso_from_epoch(now - 604800)
    assert parse_time(now, now) == iso_from_epoch(now)
    assert parse_time("2026-11-01T09:30:00+01:00", now) == "2026-11-01T08:30:00.000Z"
    assert (
        epoch_from_iso(parse_time("2026-11-01", now) or "")
        == datetime(2026, 11, 1, tzinfo=timezone.utc).timestamp()
    )
    assert parse_time(None, now) is None


def test_describe() -> None:
    filters = Filters(since="7d", model="gpt-4o", properties={"Agent": "triage"}, status="error")
    assert filters.describe() == "since=7d, model=gpt-4o, status=error, agent=triage"
    assert Filters().describe() == ""
