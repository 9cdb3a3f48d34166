"""The days of a time range, for the indexes led (after their group) by the request's day.

SQLite's three sort indexes (``idx_requests_day_*``) lead with ``substr(created_at, 1, 10)``
and the user index is ``(user_id, substr(created_at, 1, 10), latency_ms, …)``, so a prune
of the oldest rows removes neighbouring entries. A reader that wants one order across days
reads one ordered stream a day and lets a compound ``ORDER BY`` merge them (SQLite's
``MERGE (UNION ALL)``): the request list sorted by cost (``_requests._day_page``), a user's
p95 latency (``_p95``). Both need the days that hold requests in the range: one seek a day.
"""

from __future__ import annotations

from ._filters import Filters, parse_time
from ._sql import Reader

__all__ = ["DAY", "MOST_DAYS", "days_in_range"]

#: a request's day, as the day-led indexes spell it (a query must use the same expression)
DAY = "substr(created_at, 1, 10)"
#: most arms of one compound SELECT a reader builds (SQLite takes at most 500)
MOST_DAYS = 400


def days_in_range(
    reader: Reader, index: str, filters: Filters, now: float, most: int | None = MOST_DAYS
) -> list[str | None] | None:
    """The days that hold requests in ``filters``'s time range (any other filter ignored),
    found by one seek each on ``index`` (an index led by :data:`DAY`), oldest first, and None
    for the requests without a time when no range is set; None when they are more than
    ``most`` (the caller then sorts)."""
    since = parse_time(filters.since, now, "since")
    until = parse_time(filters.until, now, "until")
    bounds, params = [], []
    if until is not None:  # (a time before ``until`` has a day no later than its day)
        bounds.append(f"AND {DAY} <= substr(?, 1, 10)")
        params.append(until)
    first = f"SELECT min({DAY}) FROM requests INDEXED BY {index} WHERE {DAY} >= ? "
    limit = "" if most is None else f"LIMIT {most + 2}"
    sql = (
        f"WITH RECURSIVE d(day) AS (SELECT ({first}{' '.join(bounds)}) UNION ALL "
        f"SELECT (SELECT min({DAY}) FROM requests INDEXED BY {index} "
        f"WHERE {DAY} > d.day {' '.join(bounds)}) FROM d WHERE d.day IS NOT NULL "
        f"{limit}) SELECT day FROM d WHERE day IS NOT NULL"
    )
    start = "" if since is None else since[:10]
    days: list[str | None] = list(reader.values(sql, (start, *params, *params)))
    if most is not None and len(days) > most:
        return None
    if since is None and until is None:
        days.append(None)
    return days
