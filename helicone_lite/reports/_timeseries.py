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
    plan = _plan(by, filters, now) if by is not None else None
    total_src = source(filters, now, "idx_requests_created_at")
    span = _range(reader, total_src, filters, now)
    if span is None:
        return []
    spans = buckets(span[0], span[1], every)
    if plan is None:
        return [
            _bucket(s, None, t) for s, t in zip(spans, _sums(reader, total_src, spans), strict=True)
        ]
    ranked = _ranked(reader, plan)
    chosen = ranked[:top]
    if plan.per_bucket:
        series = _per_bucket(reader, plan, spans, [key for key, _, _ in chosen])
    else:
        series = [(key, _member_sums(reader, plan, spans, members)) for key, members, _ in chosen]
    if len(ranked) > top:  # the rest: everything minus the top groups
        rest = _sums(reader, total_src, spans)
        for _, summed in series:
            rest = [
                [a - b for a, b in zip(r, s, strict=True)]
                for r, s in zip(rest, summed, strict=True)
            ]
        series.append((OTHER, [[max(0, v or 0) for v in r] for r in rest]))
    return [_bucket(s, key, values[i]) for i, s in enumerate(spans) for key, values in series]


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
    test = f"({column} IN ({', '.join('?' * len(known))})" + (
        f" OR {column} IS NULL)" if None in keys else ")"
    )
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


def cache_savings(reader: Reader, filters: Filters, now: float) -> CacheSavings:
    """Hits, hit rate and money saved: each hit is worth its original request's cost."""
    where, params = filters.where(now, alias="h.")
    hits = (  # grouped in index order: no sort; then one lookup per original request
        "SELECT h.cache_reference_id AS ref, h.model AS model, count(*) AS n FROM requests h "
        f"INDEXED BY idx_requests_cache_hits WHERE h.cache_status = 'HIT' AND {where} "
        "GROUP BY h.cache_reference_id, h.model"
    )
    sql = (
        "SELECT g.model AS model, sum(g.n) AS hits, total(o.cost_usd * g.n) AS saved, "
        "total(o.total_tokens * g.n) AS tokens, "
        "sum(CASE WHEN o.cost_usd IS NULL THEN g.n ELSE 0 END) AS unpriced "
        f"FROM ({hits}) g LEFT JOIN requests o ON o.id = g.ref GROUP BY g.model"
    )
    rows = reader.rows(sql, params)
    src = source(filters, now, "idx_requests_created_at")
    total = int(reader.values(src.select("count(*)"), src.params)[0])
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
