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
    ``p95``: the nearest-rank 95th percentile, ranked from the top as ``_usage.p95_of`` does
    (``rn``: rank by latency, largest first; ``timed``: the user's rows with a latency)."""
    ranked = src.select(
        "*, row_number() OVER (PARTITION BY user_id ORDER BY latency_ms DESC NULLS LAST) AS rn, "
        "count(latency_ms) OVER (PARTITION BY user_id) AS timed"
    )
    sql = (
        f"SELECT user_id AS key, {METRICS}, min(created_at) AS first_at, "
        "max(created_at) AS last_at, "
        "min(latency_ms) FILTER (WHERE rn = timed - (95 * timed + 99) / 100 + 1) AS p95 "
        f"FROM ({ranked}) AS ranked GROUP BY user_id"
    )
    return reader.rows(sql, src.params)
