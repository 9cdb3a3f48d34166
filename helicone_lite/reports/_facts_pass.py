"""PostgreSQL: a report's figures in one pass over the property facts.

On SQLite ``property_facts`` is a table ordered by (name, value, created_at): reading it
twice or three times costs little. On PostgreSQL it was a view joining ``request_properties``
and ``requests`` until schema v11, so every pass cost an index lookup per row (126,060 of them
for one department in the 1,000,000-row benchmark); the users report's three passes (metrics,
rows without a latency, the p95) are one statement here. From v11 it is a table with a
covering key; one pass still reads the range once instead of three times.
"""

from __future__ import annotations

from typing import Any

from ._source import Source
from ._sql import METRICS, Reader

__all__ = ["facts_users"]


def facts_users(reader: Reader, src: Source) -> list[dict[str, Any]]:
    """PostgreSQL, users of one property value: metrics, first/last seen and the p95 in one
    pass over the facts (a view joining two tables there: each pass costs a lookup per row).
    ``p95``: the nearest-rank 95th percentile as ``_usage.p95_of`` ranks it, which is
    ``percentile_disc(0.95)``: the value at ascending position ceil(0.95 n) of the n
    latencies (NULLs skipped), and ``ceil`` of the float product is exact for every n (the
    error of ``0.95 * n`` is below half a unit in its last place, fractions are >= 0.05).
    Each user's latencies are sorted apart (the aggregate's own small sort) instead of a
    window over the whole range (1,250,000 facts at 10M rows spilled 115 MB to disk: 4.4 s
    of server CPU; 1,000,000 rows: 410 -> 150 ms)."""
    sql = src.select(
        f"user_id AS key, {METRICS}, min(created_at) AS first_at, max(created_at) AS last_at, "
        "percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95",
        "GROUP BY user_id",
    )
    return reader.rows(sql, src.params)
