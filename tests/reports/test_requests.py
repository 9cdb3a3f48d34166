"""The request list, one request in full, recent latency percentiles, the cache filter, and
reports over a read-only store."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helicone_lite import OptionsError
from helicone_lite.reports import Filters, Reports, UnknownRequestError
from helicone_lite.store import Store, StoreError, iso_from_epoch


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "helicone.db")
    for i in range(30):
        s.write(
            "requests",
            {
                "id": f"r{i:02d}",
                "created_at": iso_from_epoch(1_000_000 + i),
                "model": "a" if i % 2 else "b",
                "status": 200,
                "cost_usd": float(i % 7),
                "latency_ms": float(i + 1),
                "cache_status": "HIT" if i % 3 == 0 else "MISS",
                "properties": {"team": "x" if i < 10 else "y"},
                "request_body": json.dumps({"messages": [{"role": "user", "content": "hi"}]}),
            },
        )
    s.write("attempts", {"request_id": "r05", "attempt": 1, "status": 429})
    s.flush()
    return s


def test_pages_in_order_with_a_total(store: Store) -> None:
    reports = Reports(store)
    first = reports.requests(per_page=10)
    assert first.total == 30 and first.pages == 3
    assert [r["id"] for r in first.rows] == [f"r{i:02d}" for i in range(29, 19, -1)]
    third = reports.requests(per_page=10, page=3)
    assert [r["id"] for r in third.rows][-1] == "r00"
    by_cost = reports.requests(sort="cost", per_page=5).rows
    assert [r["cost_usd"] for r in by_cost] == [6.0] * 4 + [5.0]
    ascending = reports.requests(sort="latency", descending=False, per_page=1).rows
    assert ascending[0]["id"] == "r00"


def test_filters_narrow_the_list(store: Store) -> None:
    reports = Reports(store)
    assert reports.requests(Filters(cache_status="HIT")).total == 10
    assert reports.requests(Filters(properties={"team": "x"}, model="a")).total == 5
    assert {r["model"] for r in reports.requests(Filters(model="a")).rows} == {"a"}


def test_bad_list_options_name_the_option(store: Store) -> None:
    reports = Reports(store)
    for kwargs, option in (
        ({"sort": "size"}, "sort"),
        ({"page": 0}, "page"),
        ({"per_page": 9999}, "per_page"),
    ):
        with pytest.raises(OptionsError, match=option):
            reports.requests(**kwargs)  # type: ignore[arg-type]


def test_one_request_in_full(store: Store) -> None:
    detail = Reports(store).request("r05")
    assert detail.row["request_body"] == {"messages": [{"role": "user", "content": "hi"}]}
    assert detail.row["properties"] == {"team": "x"}
    assert [a["status"] for a in detail.attempts] == [429]
    with pytest.raises(UnknownRequestError, match="nope"):
        Reports(store).request("nope")


def test_latency_percentiles_of_the_latest_requests(store: Store) -> None:
    reports = Reports(store)
    everything = reports.latency()
    assert (everything.p50_ms, everything.p95_ms, everything.sample) == (15.0, 29.0, 30)
    latest = reports.latency(sample=10)  # latencies 21..30
    assert (latest.p50_ms, latest.p95_ms) == (25.0, 30.0)
    assert reports.latency(Filters(model="zzz")).p50_ms is None


def test_reports_over_a_read_only_store(store: Store) -> None:
    view = Store(store.path, readonly=True)
    assert Reports(view).summary().requests == 30
    assert Reports(view).requests(per_page=5).total == 30
    with pytest.raises(StoreError, match="read-only"):
        view.write("requests", {"id": "x"})
    with pytest.raises(StoreError, match="read-only"), view.transaction():
        pass
    with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        view.connect().execute("DELETE FROM requests")
    assert store.query("SELECT count(*) AS n FROM requests")[0]["n"] == 30
