"""Cost over time (hour/day/week buckets, optionally split by a dimension) and cache savings.

Buckets are UTC: hours, days from midnight, ISO weeks from Monday. Each bucket is one range
of an index ordered by time within the group (``(created_at)``, ``(model, provider,
created_at)``, ``(name, value, created_at)`` of the property facts), so a series costs one
pass over the rows it covers and never a sort of them. Users' index is ordered by latency, so
per-user series group each bucket of the time index (sorting only the top users' rows).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .._errors import OptionsError
from ..store import epoch_from_iso, iso_from_epoch
from ._filters import Filters, parse_time
from ._rollup import Rollup, grouped, series
from ._rollup import plan as rollup_plan
from ._rows import CacheSavings, CostBucket, ModelSavings
from ._source import Source, property_source, source
from ._sql import Reader, rate

__all__ = ["EVERY", "MAX_BUCKETS", "OTHER", "buckets", "cache_savings", "costs"]

EVERY = ("hour", "day", "week")
MAX_BUCKETS = 10_000
OTHER = "(other)"
_SUMS = "count(*) AS n, total(cost_usd) AS cost, total(total_tokens) AS tokens"


def _floor(moment: datetime, every: str) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if every == "hour":
        return moment
    moment = moment.replace(hour=0)
    return moment - timedelta(days=moment.weekday()) if every == "week" else moment


def buckets(first: str, last: str, every: str) -> list[tuple[str, str]]:
    """``[start, end)`` ISO pairs covering ``first``..``last`` (inclusive) in UTC ``every``."""
    if every not in EVERY:
        raise OptionsError("every", every, ", ".join(EVERY))
    step = timedelta(weeks=1) if every == "week" else timedelta(**{f"{every}s": 1})
    start = _floor(datetime.fromtimestamp(epoch_from_iso(first), timezone.utc), every)
    stop = datetime.fromtimestamp(epoch_from_iso(last), timezone.utc)
    out: list[tuple[str, str]] = []
    while start <= stop:
        end = start + step
        out.append((iso_from_epoch(start.timestamp()), iso_from_epoch(end.timestamp())))
        if len(out) > MAX_BUCKETS:
            raise OptionsError(
                "every",
                every,
                f"a coarser bucket or a shorter range (over {MAX_BUCKETS:,} buckets)",
            )
        start = end
    return out


def _range(reader: Reader, src: Source, filters: Filters, now: float) -> tuple[str, str] | None:
    """The series' range: the filter's own bounds, else the first and last matching request."""
    since = parse_time(filters.since, now, "since")
    until = parse_time(filters.until, now, "until")
    first = since or _edge(reader, src, "ASC")
    last = (
        _edge(reader, src, "DESC")
        if until is None
        else iso_from_epoch(epoch_from_iso(until) - 0.001)
    )
    if first is None or last is None or last < first:
        return None
    return first, last


def _edge(reader: Reader, src: Source, order: str) -> str | None:
    rows = reader.values(
        src.select("created_at", f"ORDER BY created_at {order} LIMIT 1"), src.params
    )
    return str(rows[0]) if rows else None


@dataclass(frozen=True, slots=True)
class _Plan:
    """How to rank the groups of a dimension, and read their rows per time bucket.

    ``columns`` identify a *member* (a provider's members are its (model, provider) pairs);
    ``group`` is the index in ``columns`` of the reported key. With an index ordered by
    member then time (models, property values), each member's bucket is one range. Users'
    index is ordered by latency instead, so their series is read bucket by bucket from the
    time index, grouped (a sort of the top users' rows only).
    """

    rank: Source
    series: Source
    columns: tuple[str, ...]
    group: int = 0
    per_bucket: bool = False

    @property
    def test(self) -> str:
        return " AND ".join(f"{c} IS ?" for c in self.columns)


def _plan(by: str, filters: Filters, now: float) -> _Plan:
    if by in ("model", "provider"):
        src = source(filters, now, "idx_requests_model")
        return _Plan(src, src, ("model", "provider"), 0 if by == "model" else 1)
    if by == "user":
        timed = source(filters, now, "idx_requests_created_at")
        return _Plan(
            source(filters, now, "idx_requests_user"), timed, ("user_id",), per_bucket=True
        )
    if by.startswith("property:") and by[len("property:") :].strip():
        src = property_source(filters, now, by[len("property:") :].strip().lower())
        return _Plan(src, src, ("value",))
    raise OptionsError("by", by, "model, provider, user or property:NAME")


def _ranked(reader: Reader, plan: _Plan) -> list[tuple[Any, list[tuple[Any, ...]], float]]:
    """Groups by total cost, costliest first: (key, its members, cost)."""
    group = ", ".join(plan.columns)
    sql = plan.rank.select(f"{group}, total(cost_usd) AS cost", f"GROUP BY {group}")
    groups: dict[Any, tuple[list[tuple[Any, ...]], list[float]]] = {}
    for row in reader.rows(sql, plan.rank.params):
        member = tuple(row[c] for c in plan.columns)
        members, cost = groups.setdefault(member[plan.group], ([], [0.0]))
        members.append(member)
        cost[0] += row["cost"] or 0.0
    ranked = [(key, members, cost[0]) for key, (members, cost) in groups.items()]
    ranked.sort(key=lambda g: (-g[2], "" if g[0] is None else str(g[0])))
    return ranked


def _sums(
    reader: Reader,
    src: Source,
    spans: Sequence[tuple[str, str]],
    test: str = "",
    key: tuple[Any, ...] = (),
) -> list[list[Any]]:
    """Requests, cost, tokens of each bucket (of one member, with ``test``/``key``)."""
    extra = "created_at >= ? AND created_at < ?" + (f" AND {test}" if test else "")
    sql = src.select(_SUMS, extra=extra)
    return list(reader.many(sql, [(*src.params, a, b, *key) for a, b in spans]))


def costs(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    every: str = "day",
    by: str | None = None,
    top: int = 8,
) -> list[CostBucket]:
    """Requests, cost and tokens per time bucket; with ``by``, per bucket and group (the
    ``top`` costliest groups of the whole range, the rest summed as ``"(other)"``)."""
    if every not in EVERY:
        raise OptionsError("every", every, ", ".join(EVERY))
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise OptionsError("top", top, "a whole number of groups, at least 1")
    how = _plan(by, filters, now) if by is not None else None
    total_src = source(filters, now, "idx_requests_created_at")
    span = _range(reader, total_src, filters, now)
    if span is None:
        return []
    spans = buckets(span[0], span[1], every)
    rolled = _costs_rolled(reader, filters, now, spans, by, top)
    if rolled is not None:
        return rolled
    if how is None:
        return [
            _bucket(s, None, t) for s, t in zip(spans, _sums(reader, total_src, spans), strict=True)
        ]
    ranked = _ranked(reader, how)
    chosen = ranked[:top]
    if how.per_bucket:
        lines = _per_bucket(reader, how, spans, [key for key, _, _ in chosen])
    else:
        lines = [(key, _member_sums(reader, how, spans, members)) for key, members, _ in chosen]
    if len(ranked) > top:  # the rest: everything minus the top groups
        rest = _sums(reader, total_src, spans)
        for _, summed in lines:
            rest = [
                [a - b for a, b in zip(r, s, strict=True)]
                for r, s in zip(rest, summed, strict=True)
            ]
        lines.append((OTHER, [[max(0, v or 0) for v in r] for r in rest]))
    return [_bucket(s, key, values[i]) for i, s in enumerate(spans) for key, values in lines]


def _rollup_of(
    reader: Reader, filters: Filters, now: float, by: str | None
) -> tuple[Rollup | None, tuple[str, ...], int, Rollup | None]:
    """(rollup of the groups, its key columns, which one is reported, rollup of all requests
    for "(other)" when the groups' rollup does not hold them all)."""
    if by is None or by in ("model", "provider"):
        roll = rollup_plan(reader, filters, now, "models")
        names = () if by is None else ("model", "provider")
        return roll, names, 1 if by == "provider" else 0, roll
    if by == "user":
        roll = rollup_plan(reader, filters, now, "users")
        return roll, ("user_id",), 0, roll
    prop = by[len("property:") :].strip().lower()
    roll = rollup_plan(reader, filters, now, "properties", prop=prop)
    return roll, ("value",), 0, rollup_plan(reader, filters, now, "models")


def _costs_rolled(
    reader: Reader,
    filters: Filters,
    now: float,
    spans: Sequence[tuple[str, str]],
    by: str | None,
    top: int,
) -> list[CostBucket] | None:
    """:func:`costs` from the hourly rollups, or None when they cannot answer ``filters``."""
    roll, names, group, whole = _rollup_of(reader, filters, now, by)
    if roll is None or whole is None:
        return None
    starts = [a for a, _ in spans]
    if by is None:
        cells = series(reader, roll, now, (), starts)
        return [_bucket(s, None, cells.get((i, ()), (0, 0.0, 0))) for i, s in enumerate(spans)]
    spent: dict[Any, float] = {}
    members: dict[Any, list[tuple[Any, ...]]] = {}
    for row in grouped(reader, roll, now, names):  # rank the groups over the whole range
        member = tuple(row[n] for n in names)
        spent[member[group]] = spent.get(member[group], 0.0) + row["cost_usd"]
        members.setdefault(member[group], []).append(member)
    ranked = sorted(spent, key=lambda k: (-spent[k], "" if k is None else str(k)))
    chosen = ranked[:top]
    cells = series(reader, roll, now, names, starts, [m for k in chosen for m in members[k]])
    lines = {key: [[0, 0.0, 0] for _ in spans] for key in chosen}
    for (index, member), values in cells.items():
        line = lines[member[group]]
        line[index] = [a + b for a, b in zip(line[index], values, strict=True)]
    out = [(key, lines[key]) for key in chosen]
    if len(ranked) > top:
        every = series(reader, whole, now, (), starts)
        totals = [list(every.get((i, ()), (0, 0.0, 0))) for i in range(len(spans))]
        for _, line in out:
            totals = [
                [a - b for a, b in zip(r, s, strict=True)]
                for r, s in zip(totals, line, strict=True)
            ]
        out.append((OTHER, [[max(0, v or 0) for v in r] for r in totals]))
    return [_bucket(s, key, values[i]) for i, s in enumerate(spans) for key, values in out]


def _member_sums(
    reader: Reader,
    plan: _Plan,
    spans: Sequence[tuple[str, str]],
    members: Sequence[tuple[Any, ...]],
) -> list[list[Any]]:
    summed: list[list[Any]] = [[0, 0.0, 0] for _ in spans]
    for member in members:
        found = _sums(reader, plan.series, spans, plan.test, member)
        for row, values in zip(summed, found, strict=True):
            for i, value in enumerate(values):
                row[i] += value or 0
    return summed


def _per_bucket(
    reader: Reader, plan: _Plan, spans: Sequence[tuple[str, str]], keys: Sequence[Any]
) -> list[tuple[Any, list[list[Any]]]]:
    column = plan.columns[0]
    known = [k for k in keys if k is not None]
    tests = [f"{column} IN ({', '.join('?' * len(known))})"] if known else []
    if None in keys:
        tests.append(f"{column} IS NULL")
    # (never an empty ``IN ()``: PostgreSQL rejects it, e.g. when the only user is NULL)
    test = f"({' OR '.join(tests)})" if tests else "1 = 0"
    sql = plan.series.select(
        f"{column} AS key, {_SUMS}",
        f"GROUP BY {column}",
        f"created_at >= ? AND created_at < ? AND {test}",
    )
    series: dict[Any, list[list[Any]]] = {key: [[0, 0.0, 0] for _ in spans] for key in keys}
    for index, (a, b) in enumerate(spans):
        for row in reader.rows(sql, (*plan.series.params, a, b, *known)):
            series[row["key"]][index] = [row["n"], row["cost"], row["tokens"]]
    return [(key, series[key]) for key in keys]


def _bucket(span: tuple[str, str], key: Any, values: Sequence[Any]) -> CostBucket:
    requests, cost, tokens = (values[0] or 0), (values[1] or 0.0), (values[2] or 0)
    return CostBucket(
        start=span[0],
        end=span[1],
        key=key,
        requests=int(requests),
        cost_usd=float(cost),
        tokens=int(tokens),
    )


def _raw_savings(
    reader: Reader, filters: Filters, now: float, index: str
) -> tuple[list[dict[str, Any]], int]:
    """Per hit model: hits, saved money and tokens, unpriced hits; and the request count."""
    src = source(filters, now, "idx_requests_created_at")
    return _raw_hits(reader, filters, now, index), int(
        reader.values(src.select("count(*)"), src.params)[0]
    )


def _raw_hits(reader: Reader, filters: Filters, now: float, index: str) -> list[dict[str, Any]]:
    """Per hit model: hits, saved money and tokens, unpriced hits (the raw rows)."""
    where, params = filters.where(now, alias="h.")
    hits = (  # grouped in index order: no sort; then one lookup per original request
        "SELECT h.cache_reference_id AS ref, h.model AS model, count(*) AS n FROM requests h "
        f"INDEXED BY {index} WHERE h.cache_status = 'HIT' AND {where} "
        "GROUP BY h.cache_reference_id, h.model"
    )
    sql = (
        "SELECT g.model AS model, sum(g.n) AS hits, total(o.cost_usd * g.n) AS saved, "
        "total(o.total_tokens * g.n) AS tokens, "
        "sum(CASE WHEN o.cost_usd IS NULL THEN g.n ELSE 0 END) AS unpriced "
        f"FROM ({hits}) g LEFT JOIN requests o ON o.id = g.ref GROUP BY g.model"
    )
    return reader.rows(sql, params)


def _rolled_count(reader: Reader, roll: Rollup, now: float) -> int:
    """The requests a rollup plan covers: its rows' sums plus its raw partial hours."""
    sql = f"SELECT sum(requests) FROM {roll.table.name} WHERE {roll.where}"
    total = int(reader.values(sql, roll.params)[0] or 0)
    for edge in roll.edges:
        src = source(edge, now, "idx_requests_created_at")
        total += int(reader.values(src.select("count(*)"), src.params)[0])
    return total


def _rolled_savings(reader: Reader, roll: Rollup, now: float) -> tuple[list[dict[str, Any]], int]:
    """:func:`_raw_savings` from ``rollup_models`` plus the raw partial hours."""
    sql = (
        f"SELECT {roll.column('model')} AS model, sum(cache_hits) AS hits, "
        "total(saved_usd) AS saved, total(saved_tokens) AS tokens, sum(unpriced) AS unpriced, "
        f"sum(requests) AS requests FROM rollup_models WHERE {roll.where} "
        f"GROUP BY {roll.group(['model'])}"
    )
    found: dict[Any, dict[str, Any]] = {}
    total = 0
    parts = [(r, int(r["requests"] or 0)) for r in reader.rows(sql, roll.params)]
    for edge in roll.edges:
        rows, count = _raw_savings(reader, edge, now, "idx_requests_created_at")
        parts += [(r, 0) for r in rows]
        total += count
    for row, requests in parts:
        total += requests
        if not row["hits"]:
            continue
        into = found.setdefault(
            row["model"],
            {"model": row["model"], "hits": 0, "saved": 0.0, "tokens": 0, "unpriced": 0},
        )
        for name in ("hits", "saved", "tokens", "unpriced"):
            into[name] += row[name] or 0
    return list(found.values()), total


def cache_savings(reader: Reader, filters: Filters, now: float) -> CacheSavings:
    """Hits, hit rate and money saved: each hit is worth its original request's cost.
    (``rollup_status`` has no savings: with a status filter, the hits are read from their
    own index and only the request count from the rollup.)"""
    roll = rollup_plan(reader, filters, now, "models")
    if roll is None:
        rows, total = _raw_savings(reader, filters, now, "idx_requests_cache_hits")
    elif filters.status is not None:
        rows = _raw_hits(reader, filters, now, "idx_requests_cache_hits")
        total = _rolled_count(reader, roll, now)
    else:
        rows, total = _rolled_savings(reader, roll, now)
    by_model = sorted(
        (
            ModelSavings(
                model=r["model"],
                hits=int(r["hits"]),
                saved_usd=float(r["saved"]),
                saved_tokens=int(r["tokens"]),
            )
            for r in rows
        ),
        key=lambda m: (-m.saved_usd, -m.hits),
    )
    n_hits = sum(m.hits for m in by_model)
    return CacheSavings(
        requests=total,
        hits=n_hits,
        hit_rate=rate(n_hits, total),
        saved_usd=float(sum(m.saved_usd for m in by_model)),
        saved_tokens=sum(m.saved_tokens for m in by_model),
        unpriced_hits=sum(int(r["unpriced"]) for r in rows),
        by_model=tuple(by_model),
    )
