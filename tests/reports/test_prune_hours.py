"""A prune removes the rollup rows of the hours it deletes whole by key, and subtracts only
the boundary hour's requests (SQLite, ``store/_rollup_whole.py``): every rollup, fact table
and the session rollup still equal a brute-force recount after a cutoff in the middle of an
hour, one exactly on an hour, an hour holding more requests than a batch, cache hits whose
originals are pruned, and ``created_at`` values that are not the library's ISO form; on
PostgreSQL (statement triggers) the same prunes stay exact."""

from __future__ import annotations

import random
from typing import Any

import pytest

from helicone_lite.reports import Reports
from helicone_lite.store import Store, _deletion_batch, iso_from_epoch
from helicone_lite.store._deletion_batch import hour_bound
from helicone_lite.store._retention import prune

from .test_rollups import assert_consistent
from .test_score_rollup import assert_scores_counted
from .test_session_rollup import assert_sessions_consistent

T0 = 1_795_000_000.0 - 1_795_000_000.0 % 3600  # on an hour
#: requests per hour, oldest first: one hour holds more than a batch (16)
PER_HOUR = (9, 14, 40, 11, 7, 12, 10)
ODD_TIMES = (  # sort before the hour's own ISO times, or are short: still exact
    "{hour}:00:00+00:00",
    "{hour}:30",
    "{day} 23:59:59",
)


def _rows() -> list[dict[str, Any]]:
    rng = random.Random(3)
    rows: list[dict[str, Any]] = []
    for hour, count in enumerate(PER_HOUR):
        for i in range(count):
            provider, model = rng.choice(
                (("openai", "gpt-4o"), ("anthropic", "claude"), (None, None))
            )
            row: dict[str, Any] = {
                "id": f"h{hour}-{i:02d}",
                "created_at": iso_from_epoch(T0 + hour * 3600 + rng.random() * 3599),
                "provider": provider,
                "model": model,
                "status": rng.choice((200, 200, 500, None)),
                "cost_usd": None if rng.random() < 0.2 else round(rng.random() / 50, 9),
                "total_tokens": rng.randrange(1, 500),
                "latency_ms": None if rng.random() < 0.1 else rng.random() * 800,
                "user_id": rng.choice(("u1", "u2", "u3", None)),
                "session_id": f"s{(hour * 20 + i) // 6}" if i % 4 else None,
                "properties": {"team": rng.choice("ab"), "agent": rng.choice("xyz")},
            }
            if rows and rng.random() < 0.3:  # served from an earlier request (maybe pruned)
                row["cache_status"] = "HIT"
                row["cache_reference_id"] = rng.choice(rows)["id"]
            rows.append(row)
    return rows


def _odd_rows() -> list[dict[str, Any]]:
    """Requests whose ``created_at`` is not the library's form, in the second hour."""
    stamp = iso_from_epoch(T0 + 3600)
    hour, day = stamp[:13], stamp[:10]
    return [
        {
            "id": f"odd-{n}",
            "created_at": form.format(hour=hour, day=day),
            "model": "gpt-4o",
            "provider": "openai",
            "status": 200,
            "cost_usd": 0.01,
            "total_tokens": 5,
            "user_id": "u1",
            "properties": {"team": "a"},
        }
        for n, form in enumerate(ODD_TIMES)
    ]


def _store(database: str) -> Store:
    store = Store(database)
    for row in _rows() + _odd_rows():
        store.write("requests", row)
    assert store.flush()
    reports = Reports(store, clock=lambda: T0)
    for row in _rows()[::4]:
        reports.score(row["id"], {"accuracy": 7.5, "helpful": True})
    return store


def _assert_exact(store: Store) -> None:
    assert_consistent(store)  # hourly rollups, property splits, the fact tables
    assert_scores_counted(store)
    assert_sessions_consistent(store)


def _batches(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], str | None]]:
    """Record each batch the prune deletes: (the requests' times, the hour bound)."""
    seen: list[tuple[list[str], str | None]] = []
    real = _deletion_batch.delete_batch

    def spy(conn: Any, ids: list[str], out: Any, kept: Any, limits: Any = (None, None)) -> None:
        marks = ", ".join("?" * len(ids))
        times = conn.execute(f"SELECT created_at FROM requests WHERE id IN ({marks})", ids)
        seen.append((sorted(r[0] for r in times), limits[1]))
        real(conn, ids, out, kept, limits)

    monkeypatch.setattr(_deletion_batch, "delete_batch", spy)
    return seen


def test_prunes_mid_hour_then_on_the_hour_stay_exact(database: str) -> None:
    store = _store(database)
    try:
        _assert_exact(store)
        mid = iso_from_epoch(T0 + 3 * 3600 + 1800)  # inside the fourth hour
        removed = prune(store, mid, batch=16)
        assert removed.requests == sum(1 for r in _rows() + _odd_rows() if r["created_at"] < mid)
        _assert_exact(store)
        on_hour = iso_from_epoch(T0 + 5 * 3600)  # exactly on the sixth hour
        prune(store, on_hour, batch=16)
        _assert_exact(store)
        left = store.query("SELECT min(created_at) AS t FROM requests")[0]["t"]
        assert left >= on_hour
        assert store.query("SELECT count(*) AS n FROM requests")[0]["n"] == sum(PER_HOUR[5:])
    finally:
        store.close()


def test_only_the_cutoffs_hour_is_subtracted(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each batch ends on an hour, so its rows leave the rollups by key; subtracted one by
    one are only the requests of the cutoff's hour, of an hour larger than a batch (the
    third: 40 requests, batches of 16), and those whose time sorts before their own hour's
    ISO form."""
    store = _store(str(tmp_path / "helicone.db"))
    batches = _batches(monkeypatch)
    cutoff = iso_from_epoch(T0 + 4 * 3600 + 1200)
    try:
        prune(store, cutoff, batch=16)
        _assert_exact(store)
    finally:
        store.close()
    assert len(batches) >= 5 and all(bound is not None for _, bound in batches)
    subtracted = {t for times, bound in batches for t in times if _hour(t) >= str(bound)}
    hours = {iso_from_epoch(T0 + 2 * 3600)[:13], cutoff[:13]}
    odd = {r["created_at"] for r in _odd_rows()}
    assert {t for t in subtracted if t not in odd and t[:13] not in hours} == set()
    assert {t[:13] for t in subtracted} >= hours


def _hour(time: str) -> str:
    return time[:13] + ":00:00.000Z"


@pytest.mark.parametrize(
    ("times", "batch", "before", "bound"),
    [
        (["2026-12-05T03:10:00.000Z", "2026-12-05T04:59:00.000Z"], 2, "2026-12-06T00:00:00.000Z",
         "2026-12-05T04:00:00.000Z"),  # a full batch: its last time's hour
        (["2026-12-05T03:10:00.000Z"], 2, "2026-12-05T07:30:00.000Z",
         "2026-12-05T07:00:00.000Z"),  # the last batch: the cutoff's hour
        (["2026-12-05T03:10:00.000Z"], 2, "2026-12-05T07:00:00.000Z",
         "2026-12-05T07:00:00.000Z"),  # a cutoff on the hour: its hour is whole below it
        (["a", "2026-12"], 2, "2026-12-05T07:00:00.000Z", None),  # too short to be an hour
        (["a", 17], 2, "2026-12-05T07:00:00.000Z", None),  # not a text
        (["a"], 2, "2026-12", None),
    ],
)  # fmt: skip
def test_hour_bound(times: list[Any], batch: int, before: str, bound: str | None) -> None:
    assert hour_bound(times, batch, before) == bound
