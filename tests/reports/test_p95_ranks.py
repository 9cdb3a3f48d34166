"""The p95 of a user's requests filtered by a property is the nearest rank, ceil(0.95 n)
from the smallest, for every count n (PostgreSQL reads it as ``percentile_disc(0.95)``, a
float product: each n from 1 to 45 and around the multiples of 20 checks its rounding), and
rows without a latency are skipped, on both engines."""

from __future__ import annotations

from helicone_lite.reports import Filters, Reports
from helicone_lite.store import Store

from .conftest import T0

COUNTS = [*range(1, 46), 59, 60, 61, 99, 100, 101, 119, 120, 121]


def test_p95_is_the_nearest_rank_for_every_count(database: str) -> None:
    with Store(database) as store:
        for n in COUNTS:
            for i in range(n):
                row = {
                    "id": f"u{n:03d}-{i:03d}",
                    "created_at": f"2026-01-01T00:00:{i % 60:02d}.{i:03d}Z",
                    "model": "m",
                    "status": 200,
                    "user_id": f"u{n:03d}",
                    "latency_ms": float((i * 7919) % n * 10 + n),  # every value once (7919: a prime), shuffled
                    "properties": {"team": "a"},
                }
                store.write("requests", row)
            store.write(  # no latency: not ranked
                "requests",
                {"id": f"u{n:03d}-none", "created_at": "2026-01-01T00:01:00.000Z", "model": "m",
                 "user_id": f"u{n:03d}", "properties": {"team": "a"}},
            )  # fmt: skip
        store.flush()
        found = Reports(store, clock=lambda: T0).users(
            Filters(properties={"team": "a"}), limit=None, with_scores=False
        )
    p95 = {row.user_id: row.p95_latency_ms for row in found}
    expected = {f"u{n:03d}": float(((95 * n + 99) // 100 - 1) * 10 + n) for n in COUNTS}
    assert p95 == expected
    assert all(row.requests == int(str(row.user_id)[1:]) + 1 for row in found)

