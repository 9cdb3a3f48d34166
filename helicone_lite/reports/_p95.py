"""Exact nearest-rank p95 latency per group, read off an index ordered by latency.

SQLite's user index is ``(user_id, substr(created_at, 1, 10), latency_ms, …)`` (schema
``USER_DAY_MIGRATION``: a prune's oldest rows are then the first day of each user's range,
neighbouring entries): a user's entries are in latency order within each day. The p95 reads
one latency-ordered stream a day and a compound ``ORDER BY`` merges them (SQLite's ``MERGE
(UNION ALL)``; nothing sorted): k + 1 entries from the top (k = 5 %) and one seek a day. An
older store's (and PostgreSQL's) ``(user_id, latency_ms, …)`` has one stream per user.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from ._days import DAY, MOST_DAYS
from ._source import Source
from ._sql import Reader

__all__ = ["MERGE_FROM", "day_merge_sql", "p95_of"]

#: requests a day of the range (on average) from which a group's p95 merges the day streams
#: rather than sorting the group's entries (measured on 1,000,000 requests: benchmarks/README.md,
#: "The user index keyed by the day")
MERGE_FROM = 8


def _rank(count: int) -> int:
    """Nearest rank of the 95th percentile, counted from the largest (0-based)."""
    return count - (95 * count + 99) // 100


def p95_of(
    reader: Reader,
    src: Source,
    column: str,
    groups: Sequence[tuple[Any, int]],
    days: Sequence[str | None] | None = None,
    *,
    timeless: bool = False,
) -> dict[Any, float]:
    """Exact nearest-rank p95 latency of each group (``(key, latency count)`` pairs).

    On an index ordered by ``(column, latency_ms)`` the p95 is k entries from the top of
    the group's range (k = 5 %): ``ORDER BY latency_ms DESC LIMIT 1 OFFSET k`` reads k + 1
    entries. With ``days`` (the range's days, on an index ordered by ``(column, day,
    latency_ms)``) the same is read off the merge of one stream a day. Property facts are
    ordered by user and latency on PostgreSQL only (``idx_property_facts_user_latency``),
    used when the range is all time (``timeless``): its entries are not ordered by time, so
    a user's range is read whole whatever the range (the users page of one value over 7
    days at 10M: 160 -> 330 ms of server CPU that way); otherwise, and on SQLite, the
    range's facts of the value (already few) are ranked in Python.
    """
    wanted = [(key, n) for key, n in groups if n > 0]
    if not wanted:
        return {}
    if src.facts:
        if timeless and _facts_by_latency(reader, column):
            return _p95_top(reader, src, column, wanted)
        return _p95_python(reader, src, column, wanted)
    if days is None:
        return _p95_top(reader, src, column, wanted)
    if not days:
        return {}
    few = [(key, n) for key, n in wanted if n < MERGE_FROM * len(days)]
    many = [(key, n) for key, n in wanted if n >= MERGE_FROM * len(days)]
    # the sort reads the group's entries of the range's days only (all, if some lack a time)
    bounds = () if None in days else (str(days[0]), str(days[-1]))
    return {
        **_p95_top(reader, src, column, few, bounds),
        **_p95_by_day(reader, src, column, many, days),
    }


def _facts_by_latency(reader: Reader, column: str) -> bool:
    """Whether ``property_facts`` has an index ordered by (name, value, ``column``,
    latency) covering the time (PostgreSQL, ``PROPERTY_USERS_VERSION``): a group's p95
    within one value is then read off it like the requests' (index-only, no heap probe)."""
    return (
        column == "user_id"
        and reader.store.engine != "sqlite"
        and reader.has_index("idx_property_facts_user_latency")
    )


def _p95_top(
    reader: Reader,
    src: Source,
    column: str,
    wanted: Sequence[tuple[Any, int]],
    days: tuple[str, ...] = (),
) -> dict[Any, float]:
    """``ORDER BY latency_ms DESC LIMIT 1 OFFSET k`` per group: k + 1 entries off an index
    in that order; on the day-keyed index (``days``: its first and last day) a sort of the
    group's entries of those days, which SQLite bounds to the k + 1 largest (cheaper than a
    seek a day for a group with few rows a day)."""
    if not wanted:
        return {}
    between = f" AND {DAY} BETWEEN ? AND ?" if days else ""
    sql = src.select(
        "latency_ms",
        "ORDER BY latency_ms DESC LIMIT 1 OFFSET ?",
        f"{column} IS ?{between} AND latency_ms IS NOT NULL",
    )
    found = reader.many(sql, [(*src.params, key, *days, _rank(n)) for key, n in wanted])
    return {key: float(row[0]) for (key, _), row in zip(wanted, found, strict=True) if row}


def day_merge_sql(src: Source, column: str, days: Sequence[str | None], tail: str) -> str:
    """``days``' latency streams of one ``column`` value, merged largest first, then
    ``tail``; each arm's parameters are ``src.params``, the value and its day (none for the
    requests without a time)."""
    arms = [
        src.select(
            "latency_ms",
            extra=f"{column} IS ? AND {DAY} {'IS NULL' if day is None else '= ?'} "
            "AND latency_ms IS NOT NULL",
        )
        for day in days
    ]
    return f"{' UNION ALL '.join(arms)} ORDER BY 1 DESC {tail}"


def _arm_params(src: Source, key: Any, days: Sequence[str | None]) -> list[Any]:
    out: list[Any] = []
    for day in days:
        out += [*src.params, key, *([] if day is None else [day])]
    return out


def _p95_by_day(
    reader: Reader,
    src: Source,
    column: str,
    wanted: Sequence[tuple[Any, int]],
    days: Sequence[str | None],
) -> dict[Any, float]:
    """The p95 off the merged day streams: one statement a group when the days fit in one
    compound SELECT (at most ``MOST_DAYS`` arms), else each chunk's merged stream read in
    order and the chunks merged here (a range of more than ``MOST_DAYS`` days)."""
    if not days or not wanted:
        return {}
    chunks = [days[i : i + MOST_DAYS] for i in range(0, len(days), MOST_DAYS)]
    if len(chunks) == 1:
        sql = day_merge_sql(src, column, days, "LIMIT 1 OFFSET ?")
        sets = [(*_arm_params(src, key, days), _rank(n)) for key, n in wanted]
        found = reader.many(sql, sets)
        return {key: float(row[0]) for (key, _), row in zip(wanted, found, strict=True) if row}
    out: dict[Any, float] = {}
    for key, n in wanted:
        streams = [
            reader.iterate(day_merge_sql(src, column, chunk, ""), _arm_params(src, key, chunk))
            for chunk in chunks
        ]
        value = _nth_largest(streams, _rank(n))
        if value is not None:
            out[key] = value
    return out


def _nth_largest(streams: list[Iterator[tuple[Any, ...]]], n: int) -> float | None:
    """The ``n``-th (0-based) largest first value of streams each ordered largest first."""
    try:
        merged = heapq.merge(*streams, key=lambda row: row[0], reverse=True)
        found = next(itertools.islice(merged, n, n + 1), None)
        return None if found is None else float(found[0])
    finally:
        for stream in streams:
            close = getattr(stream, "close", None)  # (a generator: its cursor closes)
            if close is not None:
                close()


def _p95_python(
    reader: Reader, src: Source, column: str, wanted: Sequence[tuple[Any, int]]
) -> dict[Any, float]:
    keys = {key for key, _ in wanted}
    latencies: dict[Any, list[float]] = {key: [] for key in keys}
    sql = src.select(f"{column}, latency_ms", extra="latency_ms IS NOT NULL")
    for key, latency in reader.iterate(sql, src.params):
        found = latencies.get(key)
        if found is not None:
            found.append(latency)
    out: dict[Any, float] = {}
    for key, n in wanted:
        values = sorted(latencies[key], reverse=True)
        if values:
            out[key] = float(values[min(_rank(n), len(values) - 1)])
    return out
