"""PostgreSQL: a report's figures in one pass over the property facts.

On SQLite ``property_facts`` is a table ordered by (name, value, created_at): reading it
twice or three times costs little. On PostgreSQL it was a view joining ``request_properties``
and ``requests`` until schema v11, so every pass cost an index lookup per row (126,060 of them
for one department in the 1,000,000-row benchmark); the users report's three passes (metrics,
rows without a latency, the p95) are one statement here. From v11 it is a table with a
covering key; one pass still reads the range once instead of three times.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ._filters import Filters
from ._p95 import p95_of
from ._source import Source
from ._sql import METRICS, Reader

__all__ = ["facts_users", "value_p95"]


def facts_users(reader: Reader, src: Source) -> list[dict[str, Any]]:
    """PostgreSQL, users of one property value: metrics, first/last seen and the count of
    latencies (``latency_n``, for the p95 of the users shown: :func:`value_p95`) in one pass
    over the facts. The p95 of every user was computed here too (``percentile_disc``: each
    user's latencies sorted apart), ~0.85 s of server CPU for one department's 1,250,000
    facts at 10,000,000 requests, for a list that shows 50 users."""
    sql = src.select(
        f"user_id AS key, {METRICS}, min(created_at) AS first_at, max(created_at) AS last_at, "
        "count(latency_ms) AS latency_n",
        "GROUP BY user_id",
    )
    return reader.rows(sql, src.params)


#: a request of the user index that has the property value: one probe of the facts' key
_HAS_VALUE = (
    "EXISTS (SELECT 1 FROM property_facts f WHERE f.name = ? AND f.value = ? "
    "AND f.created_at = requests.created_at AND f.id = requests.id)"
)


def value_p95(
    reader: Reader, filters: Filters, now: float, rows: Sequence[Mapping[str, Any]]
) -> dict[Any, float]:
    """PostgreSQL: the exact nearest-rank p95 latency of the users in ``rows`` (the ones
    shown; ``latency_n`` from :func:`facts_users`) among the requests of ``filters``'s first
    property value: each user's range of the user index is walked from the slowest down,
    each entry tested for the value by a probe of ``property_facts``' primary key, until
    the rank (5 % of the user's latencies in the value) is reached."""
    prop = filters.first_property()
    if prop is None:
        raise ValueError("value_p95 needs a property filter")
    name, value = prop
    where, params = filters.where(now, skip_property=name)
    src = Source(
        "requests INDEXED BY idx_requests_user", f"{where} AND {_HAS_VALUE}", (*params, name, value)
    )
    return p95_of(reader, src, "user_id", [(r["key"], int(r["latency_n"])) for r in rows])
