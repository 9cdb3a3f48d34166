"""Users, properties, models, providers, summary, cost over time and cache savings on a
generated store match a brute-force computation over the rows that were written."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from typing import Any

import pytest

from helicone_lite import OptionsError
from helicone_lite.reports import Filters, Reports
from helicone_lite.store import Store, epoch_from_iso, iso_from_epoch

from .brute import figures, grouped, p95
from .conftest import T0, Generated


@pytest.fixture
def reports(generated: Generated) -> Reports:
    return Reports(generated.store, clock=lambda: T0)


def _same(row: Any, expected: dict[str, Any], *names: str) -> None:
    for name in names:
        got, want = getattr(row, name), expected[name]
        if isinstance(want, float):
            assert got == pytest.approx(want, rel=1e-9, abs=1e-12), name
        else:
            assert got == want, name


METRICS = ("requests", "cost_usd", "tokens", "avg_latency_ms", "errors", "cache_hits")


def test_users_match_brute_force(reports: Reports, generated: Generated) -> None:
    expected = grouped(generated.rows, lambda r: r["user_id"])
    rows = reports.users(limit=None)
    assert {r.user_id for r in rows} == set(expected)
    for row in rows:
        want = expected[row.user_id]
        _same(row, want, *METRICS, "p95_latency_ms")
        assert (row.first_seen, row.last_seen) == (want["first_at"], want["last_at"])
        assert row.error_rate == pytest.approx(want["errors"] / want["requests"])
        assert row.cache_hit_rate == pytest.approx(want["cache_hits"] / want["requests"])
    costs = [r.cost_usd for r in rows]
    assert costs == sorted(costs, reverse=True)  # costliest first by default


def test_users_limit_and_sort(reports: Reports) -> None:
    everyone = reports.users(limit=None, sort="requests")
    top = reports.users(limit=2, sort="requests")
    assert [r.user_id for r in top] == [r.user_id for r in everyone[:2]]
    assert everyone[0].requests >= everyone[-1].requests
    with pytest.raises(OptionsError, match="sort"):
        reports.users(sort="height")


def test_users_with_a_property_filter_read_the_facts(
    reports: Reports, generated: Generated
) -> None:
    rows = [r for r in generated.rows if r["properties"].get("department") == "neurology"]
    expected = grouped(rows, lambda r: r["user_id"])
    got = reports.users(Filters(properties={"department": "neurology"}), limit=None)
    assert {r.user_id for r in got} == set(expected)
    for row in got:
        _same(row, expected[row.user_id], *METRICS, "p95_latency_ms")
        assert row.first_seen == expected[row.user_id]["first_at"]


@pytest.mark.parametrize("name", ["department", "agent"])
def test_properties_match_brute_force(reports: Reports, generated: Generated, name: str) -> None:
    rows = [r for r in generated.rows if name in r["properties"]]
    expected = grouped(rows, lambda r: r["properties"][name])
    got = reports.properties(name.upper())  # names are case-insensitive
    assert {r.key for r in got} == set(expected)
    for row in got:
        assert row.dimension == f"property:{name}"
        _same(row, expected[row.key], *METRICS)
        assert (row.first_at, row.last_at) == (
            expected[row.key]["first_at"],
            expected[row.key]["last_at"],
        )


def test_property_names(reports: Reports, generated: Generated) -> None:
    names = {p.name: p for p in reports.property_names()}
    assert names["department"].requests == len(generated.rows)
    assert names["department"].values == 3
    assert names["agent"].requests == sum("agent" in r["properties"] for r in generated.rows)


def test_models_and_providers_match_brute_force(reports: Reports, generated: Generated) -> None:
    by_model = grouped(generated.rows, lambda r: (r["model"], r["provider"]))
    models = reports.models()
    assert {(m.key, m.provider) for m in models} == set(by_model)
    for row in models:
        _same(row, by_model[(row.key, row.provider)], *METRICS)
    by_provider = grouped(generated.rows, lambda r: r["provider"])
    providers = reports.providers()
    assert {p.key for p in providers} == set(by_provider)
    for row in providers:
        _same(row, by_provider[row.key], "requests", "cost_usd", "tokens", "errors")
        assert row.first_at == by_provider[row.key]["first_at"]


def test_summary_matches_everything(reports: Reports, generated: Generated) -> None:
    total = reports.summary()
    _same(total, figures(generated.rows), *METRICS)
    assert total.scores["accuracy"] == pytest.approx(
        sum(v for _, n, v, _ in generated.scores if n == "accuracy")
        / sum(1 for _, n, _, _ in generated.scores if n == "accuracy")
    )


def _day(stamp: str) -> str:
    return datetime.fromtimestamp(epoch_from_iso(stamp), timezone.utc).strftime("%Y-%m-%d")


def test_cost_per_day_matches_brute_force(reports: Reports, generated: Generated) -> None:
    buckets = reports.costs(every="day")
    per_day: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in generated.rows:
        per_day[_day(row["created_at"])].append(row)
    assert [b.start[:10] for b in buckets] == sorted(per_day)  # contiguous, no gaps here
    for bucket in buckets:
        rows = per_day[bucket.start[:10]]
        assert bucket.requests == len(rows)
        assert bucket.cost_usd == pytest.approx(sum(r["cost_usd"] or 0 for r in rows))
        assert bucket.end > bucket.start


@pytest.mark.parametrize(
    ("by", "key"),
    [
        ("model", lambda r: r["model"]),
        ("provider", lambda r: r["provider"]),
        ("user", lambda r: r["user_id"]),
        ("property:department", lambda r: r["properties"]["department"]),
    ],
)
def test_cost_per_week_by_group(reports: Reports, generated: Generated, by: str, key: Any) -> None:
    buckets = reports.costs(every="week", by=by, top=2)
    totals: dict[Any, float] = defaultdict(float)
    for row in generated.rows:
        totals[key(row)] += row["cost_usd"] or 0.0
    top = sorted(totals, key=lambda k: -totals[k])[:2]
    keys = {b.key for b in buckets}
    assert keys == {*top, "(other)"}
    for group in top:  # each top group's buckets add up to its total
        assert sum(b.cost_usd for b in buckets if b.key == group) == pytest.approx(totals[group])
    assert sum(b.requests for b in buckets) == len(generated.rows)  # other = the rest
    assert sum(b.cost_usd for b in buckets) == pytest.approx(sum(totals.values()))


def test_cost_buckets_by_hour_are_aligned(reports: Reports) -> None:
    hour = T0 - T0 % 3600
    buckets = reports.costs(Filters(since=hour - 3 * 3600 + 600, until=hour), every="hour")
    assert len(buckets) == 3  # the until bound is exclusive: no bucket starting at it
    assert all(b.start.endswith(":00:00.000Z") for b in buckets)
    with pytest.raises(OptionsError, match="every"):
        reports.costs(every="fortnight")


def test_cache_savings_are_the_original_costs(reports: Reports, generated: Generated) -> None:
    by_id = {r["id"]: r for r in generated.rows}
    hits = [r for r in generated.rows if r["cache_status"] == "HIT"]
    savings = reports.cache_savings()
    assert savings.hits == len(hits) > 0
    assert savings.requests == len(generated.rows)
    assert savings.saved_usd == pytest.approx(
        sum(by_id[h["cache_reference_id"]]["cost_usd"] for h in hits)
    )
    assert savings.saved_tokens == sum(by_id[h["cache_reference_id"]]["total_tokens"] for h in hits)
    per_model = {m.model: m.hits for m in savings.by_model}
    assert per_model == {m: sum(h["model"] == m for h in hits) for m in {h["model"] for h in hits}}


def test_export_streams_every_matching_row(reports: Reports, generated: Generated) -> None:
    filters = Filters(model="gpt-4o")
    rows = list(reports.export(filters))
    assert reports.export_count(filters) == len(rows) == len(generated.where(model="gpt-4o"))
    assert "request_body" not in rows[0] and "cost_usd" in rows[0]
    assert [r["created_at"] for r in rows] == sorted(r["created_at"] for r in rows)


def test_p95_skips_requests_without_a_latency(database: str) -> None:
    """On both engines: the raw rows, the rollups, and one property value's facts (one pass
    with a window function on PostgreSQL)."""
    with Store(database) as store:
        latencies = [None, None, *range(10, 210, 10)]  # 2 unknown, then 10 … 200 ms
        for i, latency in enumerate(latencies):
            store.write(
                "requests",
                {
                    "id": f"r{i:03d}",
                    "created_at": iso_from_epoch(T0 + i),
                    "user_id": "u",
                    "status": 200,
                    "latency_ms": latency,
                    "properties": {"team": "a"},
                },
            )
        reports = Reports(store, clock=lambda: T0)
        expected = p95([v for v in latencies if v is not None])
        assert expected == 190
        assert reports.users()[0].p95_latency_ms == expected
        assert reports.users(Filters(properties={"team": "a"}))[0].p95_latency_ms == expected
        assert reports.users()[0].requests == 22
