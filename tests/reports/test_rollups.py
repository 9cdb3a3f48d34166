"""The hourly rollups (schema v6): reports read from them give what the raw rows give, on both
engines, and triggers keep them equal to a brute-force recount after inserts, reprices and
deletions (prune, delete --user, hand-written DELETEs). The fact tables (kept by the writer
from schema v11) are checked against a recomputation at every step too."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytest

from helicone_lite.reports import Filters, Reports
from helicone_lite.reports._rollup import plan
from helicone_lite.store import Store, iso_from_epoch, rebuild_rollups
from helicone_lite.store._reports_schema import FACT_SELECTS
from helicone_lite.store._retention import delete_requests, prune

from .conftest import T0, Generated, generate

HOUR = 3600.0
FILTERS = [
    Filters(),
    Filters(since="3d"),  # not on an hour: partial hours read raw
    Filters(since=iso_from_epoch(T0 - 5 * 86400 + 1234.5), until=iso_from_epoch(T0 - 86400 - 77)),
    Filters(since=iso_from_epoch(T0 // HOUR * HOUR - 48 * HOUR)),  # on an hour
    Filters(until=iso_from_epoch(T0 - 4 * 86400 + 999)),
    Filters(model="gpt-4o"),
    Filters(provider="openai", since="6d"),
    Filters(user="patient-7829", since="5d"),
    Filters(since=iso_from_epoch(T0 - 86400 + 60), until=iso_from_epoch(T0 - 86400 + 3000)),
    Filters(status="error"),  # rollup_status
    Filters(status=429, since="3d"),
    Filters(status="4xx", model="gpt-4o"),
    Filters(status="ok", provider="openai"),
    Filters(status=0),  # no HTTP answer: an error, and a status of its own
    Filters(status="error", user="patient-7829"),  # no status in rollup_users: raw rows
    Filters(properties={"department": "cardiology"}),
]


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal, floats to rounding (the rollup adds hourly sums, the raw path row by row)."""
    if isinstance(a, float) or isinstance(b, float):
        assert a is not None and b is not None, where
        assert math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9), f"{where}: {a} != {b}"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where}: {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def dicts(value: Any) -> Any:
    if isinstance(value, list):
        return [dicts(v) for v in value]
    return value.to_dict() if hasattr(value, "to_dict") else value


def every_report(reports: Reports, f: Filters) -> dict[str, Any]:
    return {
        "summary": reports.summary(f),
        "models": reports.models(f),
        "providers": reports.providers(f),
        "users": reports.users(f, limit=None),
        "users recent": reports.users(f, limit=2, sort="recent"),
        "users by name": reports.users(f, limit=None, sort="name"),
        "department": reports.properties("department", f),
        "agent": reports.properties("agent", f, sort="recent"),
        "property names": reports.property_names(f),
        "cache": reports.cache_savings(f),
        **{
            f"costs {every} {by}": reports.costs(f, every=every, by=by, top=2)
            for every in ("hour", "day", "week")
            for by in (None, "model", "provider", "user", "property:department")
        },
    }


def both(store: Store) -> tuple[Reports, Reports]:
    return Reports(store, clock=lambda: T0), Reports(store, clock=lambda: T0, rollups=False)


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.describe() or "all")
def test_reports_from_rollups_equal_reports_from_rows(generated: Generated, f: Filters) -> None:
    rolled, raw = both(generated.store)
    a, b = every_report(rolled, f), every_report(raw, f)
    for name in a:
        same(dicts(a[name]), dicts(b[name]), name)


def test_time_ranges_and_key_filters_read_the_rollups(generated: Generated) -> None:
    reader = Reports(generated.store, clock=lambda: T0)._reader
    assert plan(reader, Filters(since="3d"), T0, "models") is not None
    assert len(plan(reader, Filters(since="3d", until="1d"), T0, "users").edges) == 2  # type: ignore[union-attr]
    assert plan(reader, Filters(model="gpt-4o"), T0, "models") is not None
    assert plan(reader, Filters(model="gpt-4o"), T0, "users") is None
    errors = plan(reader, Filters(status="error", model="gpt-4o"), T0, "models")
    assert errors is not None and errors.table.name == "rollup_status"
    assert plan(reader, Filters(status="error"), T0, "users") is None
    assert plan(reader, Filters(status=429), T0, "properties", prop="department") is None
    short = Filters(since=iso_from_epoch(T0 - 3000), until=iso_from_epoch(T0 - 100))
    assert plan(reader, short, T0, "models") is None  # within two hours: the raw rows
    wanted = Filters(properties={"department": "x"})
    assert plan(reader, wanted, T0, "properties", prop="department") is not None
    assert plan(reader, wanted, T0, "models") is None
    # a model or provider filter on a property: rollup_property_models
    for by in (Filters(model="gpt-4o"), Filters(provider="openai", since="3d"), wanted):
        both_keys = dataclasses.replace(by, model=by.model or "gpt-4o")
        for f in (by, both_keys):
            roll = plan(reader, f, T0, "properties", prop="department")
            unfiltered = f.model is None and f.provider is None
            expected = "rollup_properties" if unfiltered else "rollup_property_models"
            assert roll is not None and roll.table.name == expected, f
    assert plan(reader, Filters(model="gpt-4o", user="u"), T0, "properties", prop="a") is None
    off = Reports(generated.store, clock=lambda: T0, rollups=False)._reader
    assert plan(off, Filters(), T0, "models") is None


_ERR = "CASE WHEN r.status NOT BETWEEN 200 AND 299 THEN 1 ELSE 0 END"
_HIT = "CASE WHEN r.cache_status = 'HIT' THEN 1 ELSE 0 END"
_HOUR = "coalesce(substr(r.created_at, 1, 13) || ':00:00.000Z', '')"


def recount(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every rollup, counted from the raw rows, next to what the rollup holds."""
    sums = (
        "count(*) AS n, sum(coalesce(r.cost_usd, 0)) AS cost, "
        f"sum(coalesce(r.total_tokens, 0)) AS tokens, sum({_ERR}) AS errors, "
        "sum(coalesce(r.latency_ms, 0)) AS latency, count(r.latency_ms) AS timed, "
        f"sum({_HIT}) AS hits"
    )
    saved = (
        "sum(CASE WHEN r.cache_status = 'HIT' THEN coalesce(o.cost_usd, 0) ELSE 0 END) AS saved, "
        "sum(CASE WHEN r.cache_status = 'HIT' AND o.cost_usd IS NULL THEN 1 ELSE 0 END) AS unpriced"
    )
    queries = {
        "models": (
            f"SELECT {_HOUR} AS hour, coalesce(r.model, '') AS model, "
            f"coalesce(r.provider, '') AS provider, {sums}, {saved} "
            "FROM requests r LEFT JOIN requests o ON o.id = r.cache_reference_id "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            "SELECT hour, model, provider, requests, cost_usd, tokens, errors, latency_sum, "
            "latency_n, cache_hits, saved_usd, unpriced FROM rollup_models ORDER BY 1, 2, 3",
        ),
        "users": (
            f"SELECT coalesce(r.user_id, '') AS user_id, {_HOUR} AS hour, {sums} FROM requests r "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            "SELECT user_id, hour, requests, cost_usd, tokens, errors, latency_sum, latency_n, "
            "cache_hits FROM rollup_users ORDER BY 1, 2",
        ),
        "status": (
            f"SELECT {_HOUR} AS hour, coalesce(r.model, '') AS model, "
            f"coalesce(r.provider, '') AS provider, r.status, {sums} FROM requests r "
            "WHERE r.status IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
            "SELECT hour, model, provider, status, requests, cost_usd, tokens, errors, "
            "latency_sum, latency_n, cache_hits FROM rollup_status ORDER BY 1, 2, 3, 4",
        ),
        "properties": (
            f"SELECT p.name, p.value, {_HOUR} AS hour, {sums} FROM request_properties p "
            "JOIN requests r ON r.id = p.request_id WHERE p.value IS NOT NULL "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
            "SELECT name, value, hour, requests, cost_usd, tokens, errors, latency_sum, "
            "latency_n, cache_hits FROM rollup_properties ORDER BY 1, 2, 3",
        ),
        "property_models": (
            f"SELECT p.name, coalesce(r.model, '') AS model, coalesce(r.provider, '') AS "
            f"provider, (CASE WHEN r.model IS NULL THEN 1 ELSE 0 END) + (CASE WHEN r.provider "
            f"IS NULL THEN 2 ELSE 0 END) AS nulls, p.value, {_HOUR} AS hour, {sums} "
            "FROM request_properties p JOIN requests r ON r.id = p.request_id "
            "WHERE p.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6",
            "SELECT name, model, provider, nulls, value, hour, requests, cost_usd, tokens, "
            "errors, latency_sum, latency_n, cache_hits FROM rollup_property_models "
            "ORDER BY 1, 2, 3, 4, 5, 6",
        ),
        "property_users": (
            f"SELECT p.name, p.value, coalesce(r.user_id, '') AS user_id, (CASE WHEN r.user_id "
            f"IS NULL THEN 1 ELSE 0 END) AS nulls, {_HOUR} AS hour, {sums} "
            "FROM request_properties p JOIN requests r ON r.id = p.request_id "
            "WHERE p.value IS NOT NULL GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5",
            "SELECT name, value, user_id, nulls, hour, requests, cost_usd, tokens, errors, "
            "latency_sum, latency_n, cache_hits FROM rollup_property_users "
            "ORDER BY 1, 2, 3, 4, 5",
        ),
    }
    if store.engine == "sqlite":  # (rollup_property_users is PostgreSQL's only)
        del queries["property_users"]
    out = {}
    for name, (brute, kept) in queries.items():
        for label, sql in (("brute", brute), ("kept", kept)):
            rows = store.query(sql)
            out[f"{name} {label}"] = [
                tuple(float(v) if not isinstance(v, str) else v for v in r.values()) for r in rows
            ]
    return out


def assert_facts_consistent(store: Store) -> None:
    """Every fact table holds exactly the rows computed from the base tables (what a
    rebuild, or PostgreSQL's views before schema v11, give)."""
    conn = store.connect()  # tuples: the computed rows repeat column names (p.name, s.name)
    for table, select in FACT_SELECTS.items():
        kept = sorted((tuple(r) for r in conn.execute(f"SELECT * FROM {table}")), key=repr)
        computed = sorted((tuple(r) for r in conn.execute(select)), key=repr)
        assert kept == computed, table


def assert_consistent(store: Store) -> None:
    counted = recount(store)
    names = ["models", "users", "properties", "status", "property_models"]
    if store.engine != "sqlite":  # (rollup_property_users is PostgreSQL's only)
        names.append("property_users")
    for name in names:
        # floats to rounding: sums added in another order differ in the last bits
        same(counted[f"{name} kept"], counted[f"{name} brute"], name)
    assert_facts_consistent(store)


def test_rollups_follow_inserts_reprices_and_deletions(database: str, tmp_path: Path) -> None:
    data = generate(database, n=300, seed=11)
    store = data.store
    try:
        assert_consistent(store)
        with store.transaction() as conn:  # reprice: originals of cache hits change price
            conn.executemany(
                "UPDATE requests SET cost_usd = ? WHERE id = ?",
                [(0.5, r["id"]) for r in data.rows[::5]]
                + [(None, r["id"]) for r in data.rows[1::9]],
            )
        assert_consistent(store)
        with store.transaction() as conn:  # a status changed, or lost, moves its group
            conn.executemany(
                "UPDATE requests SET status = ? WHERE id = ?",
                [(503, r["id"]) for r in data.rows[2::7]]
                + [(None, r["id"]) for r in data.rows[3::11]],
            )
        assert_consistent(store)
        with store.transaction() as conn:  # a user changed, or lost, moves its groups
            conn.executemany(
                "UPDATE requests SET user_id = ? WHERE id = ?",
                [("patient-moved", r["id"]) for r in data.rows[4::13]]
                + [(None, r["id"]) for r in data.rows[5::17]],
            )
        assert_consistent(store)
        delete_requests(store, user="patient-7829")
        assert_consistent(store)
        prune(store, iso_from_epoch(T0 - 7 * 86400 + 1234.5))
        assert_consistent(store)
        with store.transaction() as conn:  # a hand-written delete: requests before properties
            conn.execute(
                "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE model = 'gpt-4o')"
            )
        assert_consistent(store)
        rolled, raw = both(store)
        for f in (Filters(), Filters(since="2d"), Filters(status="5xx"), Filters(status=503)):
            a, b = every_report(rolled, f), every_report(raw, f)
            for name in a:
                same(dicts(a[name]), dicts(b[name]), name)
    finally:
        store.close()


def test_properties_written_twice_are_counted_once(database: str) -> None:
    store = Store(database)
    try:
        row = {
            "id": "r1",
            "created_at": iso_from_epoch(T0),
            "model": "m",
            "status": 200,
            "cost_usd": 1.0,
            "properties": {"department": "a"},
        }
        store.write("requests", row)
        store.flush()
        # a property written on its own through the writer: the old value leaves the rollup
        store.write("request_properties", {"request_id": "r1", "name": "department", "value": "b"})
        store.flush()
        assert_consistent(store)
        rows = store.query("SELECT value, requests FROM rollup_properties")
        assert [(r["value"], r["requests"]) for r in rows] == [("b", 1)]
        with store.transaction() as conn:  # by hand: SQLite counts it after a rebuild
            conn.execute(
                "INSERT OR REPLACE INTO request_properties (request_id, name, value) "
                "VALUES (?, ?, ?)",
                ("r1", "department", "c"),
            )
        rebuild_rollups(store)
        assert_consistent(store)
        rows = store.query("SELECT value, requests FROM rollup_properties")
        assert [(r["value"], r["requests"]) for r in rows] == [("c", 1)]
    finally:
        store.close()


def test_costs_by_user_when_every_user_is_unset(database: str) -> None:
    """Regression: the per-user series built ``IN ()`` (PostgreSQL rejects it) when the
    only group was the NULL user."""
    store = Store(database)
    try:
        for i in range(3):
            store.write(
                "requests",
                {
                    "id": f"r{i}",
                    "created_at": iso_from_epoch(T0 - i * 60),
                    "model": "m",
                    "status": 200,
                    "cost_usd": 0.25,
                },
            )
        store.flush()
        for rollups in (True, False):
            reports = Reports(store, clock=lambda: T0, rollups=rollups)
            rows = reports.costs(every="hour", by="user")
            assert [(r.key, r.requests) for r in rows if r.requests] == [(None, 3)]
            assert sum(r.cost_usd for r in rows) == pytest.approx(0.75)
    finally:
        store.close()


def test_status_filters_read_rollup_status_and_skip_unknown_statuses(database: str) -> None:
    """A request without a status matches no status filter: it is not in ``rollup_status``;
    the status reports from the rollup equal the raw rows' (written by the writer, then a
    hand-written insert: PostgreSQL's trigger counts it, SQLite's rebuild does)."""
    store = Store(database)
    try:
        rows = [
            ("a", 200, 1.0), ("b", None, 2.0), ("c", 429, None), ("d", 0, 4.0), ("e", 201, 0.5),
        ]  # fmt: skip
        for i, (rid, status, cost) in enumerate(rows):
            store.write(
                "requests",
                {
                    "id": rid,
                    "created_at": iso_from_epoch(T0 - 7200 - i * 60),
                    "model": "m",
                    "provider": "p",
                    "status": status,
                    "cost_usd": cost,
                    "latency_ms": 10.0 * (i + 1),
                },
            )
        store.flush()
        assert_consistent(store)
        kept = store.query("SELECT status, requests FROM rollup_status ORDER BY status")
        assert [(r["status"], r["requests"]) for r in kept] == [
            (0, 1),
            (200, 1),
            (201, 1),
            (429, 1),
        ]
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO requests (id, created_at, model, provider, status, cost_usd) "
                "VALUES (?, ?, 'm', 'p', 500, 8.0)",
                ("f", iso_from_epoch(T0 - 7200)),
            )
        if store.engine == "sqlite":
            rebuild_rollups(store)
        assert_consistent(store)
        rolled, raw = both(store)
        expected = {"error": (3, 12.0), "ok": (2, 1.5), 429: (1, 0.0), "5xx": (1, 8.0)}
        for status, (n, cost) in expected.items():
            f = Filters(status=status)
            assert plan(rolled._reader, f, T0, "models") is not None
            [model] = rolled.models(f)
            assert (model.requests, model.cost_usd) == (n, pytest.approx(cost)), status
            a, b = every_report(rolled, f), every_report(raw, f)
            for name in a:
                same(dicts(a[name]), dicts(b[name]), f"{status}: {name}")
    finally:
        store.close()
