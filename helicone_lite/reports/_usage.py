"""Grouped reports: users, any property, models, providers, and the overall summary."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .._errors import OptionsError
from ._days import days_in_range
from ._facts_pass import facts_users
from ._filters import Filters
from ._p95 import p95_of
from ._rollup import Rollup, grouped, plan, property_edge
from ._rollup_edges import exact_times, hour_edges
from ._rows import GroupRow, PropertyName, UserRow
from ._scores import score_means
from ._source import Source, narrow_source, property_source, source
from ._sql import METRICS, Reader, merge_metrics, metrics_of
from ._value_models import value_model_rows

__all__ = [
    "SORTS",
    "edges",
    "models",
    "p95_of",
    "properties",
    "property_names",
    "providers",
    "summary",
    "users",
]

Raw = dict[str, Any]
_EMPTY: Mapping[str, Any] = {
    "requests": 0,
    "cost_usd": 0.0,
    "tokens": 0,
    "avg_latency_ms": None,
    "errors": 0,
    "cache_hits": 0,
}
Times = Mapping[tuple[Any, ...], tuple[str | None, str | None]]
ByRow = Mapping[int, tuple[str | None, str | None]]

#: orders a grouped report can be sorted by (largest first, except ``name``).
SORTS: Mapping[str, Callable[[Raw], Any]] = {
    "cost": lambda r: (r["cost_usd"] or 0.0, r["requests"]),
    "requests": lambda r: (r["requests"], r["cost_usd"] or 0.0),
    "tokens": lambda r: (r["tokens"] or 0, r["requests"]),
    "errors": lambda r: (r["errors"] or 0, r["requests"]),
    "latency": lambda r: r["avg_latency_ms"] or 0.0,
    "recent": lambda r: r["last_at"] or "",
    "name": lambda r: "" if r["key"] is None else str(r["key"]),
}


def _check(sort: str, limit: int | None) -> None:
    if sort not in SORTS:
        raise OptionsError("sort", sort, ", ".join(SORTS))
    if limit is not None and (isinstance(limit, bool) or limit < 1):
        raise OptionsError("limit", limit, "a positive number of rows, or None for all")


def _grouped(reader: Reader, src: Source, key: str, extra: str = "") -> list[Raw]:
    columns = f"{key} AS key, {METRICS}{', ' + extra if extra else ''}"
    return reader.rows(src.select(columns, f"GROUP BY {key}"), src.params)


def edges(
    reader: Reader, src: Source, columns: Sequence[str], keys: Sequence[tuple[Any, ...]]
) -> Times:
    """First and last ``created_at`` of each group (``keys``: values of ``columns``).

    On an index ordered by time within the group: two ``LIMIT 1`` lookups per group. On
    property facts grouped by anything but the value: one aggregate over the (few) rows.
    """
    if not keys:
        return {}
    if src.few or (src.facts and tuple(columns) != ("value",)):
        group = ", ".join(columns)
        sql = src.select(
            f"{group}, min(created_at) AS first, max(created_at) AS last", f"GROUP BY {group}"
        )
        wanted = set(keys)
        found = {
            tuple(r[c] for c in columns): (r["first"], r["last"])
            for r in reader.rows(sql, src.params)
        }
        return {k: v for k, v in found.items() if k in wanted}
    test = " AND ".join(f"{c} IS ?" for c in columns)
    first = src.select("created_at", "ORDER BY created_at ASC LIMIT 1", test)
    last = src.select("created_at", "ORDER BY created_at DESC LIMIT 1", test)
    sets = [(*src.params, *key) for key in keys]
    found_edges = zip(keys, reader.many(first, sets), reader.many(last, sets), strict=True)
    return {key: (a[0] if a else None, b[0] if b else None) for key, a, b in found_edges}


def _key(columns: Sequence[str]) -> Callable[[Raw], tuple[Any, ...]]:
    names = ["key", *columns[1:]]
    return lambda raw: tuple(raw[n] for n in names)


def _top(
    reader: Reader,
    src: Source,
    columns: Sequence[str],
    rows: list[Raw],
    sort: str,
    limit: int | None,
    carried: bool = False,
) -> tuple[list[Raw], dict[int, tuple[str | None, str | None]]]:
    """Sort, cut to ``limit``, and attach first/last times to the rows kept (to all rows
    first, when sorting by recency). Times are returned by ``id(row)``. ``carried``: the
    rows hold their exact ``first_at``/``last_at`` already (``_model_rows``)."""
    _check(sort, limit)
    key = _key(columns)
    if src.few or carried:  # the rows carry their first/last times (_model_rows)
        rows.sort(key=SORTS[sort], reverse=sort != "name")
        rows = rows[:limit] if limit else rows
        return rows, {id(r): (r["first_at"], r["last_at"]) for r in rows}
    if sort == "recent":
        found = edges(reader, src, columns, [key(r) for r in rows])
        for row in rows:
            row["last_at"] = found.get(key(row), (None, None))[1]
    rows.sort(key=SORTS[sort], reverse=sort != "name")
    rows = rows[:limit] if limit else rows
    if sort != "recent":
        found = edges(reader, src, columns, [key(r) for r in rows])
    return rows, {id(r): found.get(key(r), (None, None)) for r in rows}


def _group_row(
    dimension: str,
    raw: Raw,
    scores: Mapping[Any, Mapping[str, float]],
    times: ByRow,
    provider: str | None = None,
) -> GroupRow:
    first, last = times.get(id(raw), (None, None))
    return GroupRow(
        dimension=dimension,
        key=raw["key"],
        first_at=first,
        last_at=last,
        provider=provider,
        scores=scores.get(raw["key"], {}),
        **metrics_of(raw),
    )


# --- users ---


def users(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    limit: int | None = 50,
    sort: str = "cost",
    with_scores: bool = True,
) -> list[UserRow]:
    """Per user: requests, cost, tokens, mean and p95 latency, error and cache-hit rates,
    and mean scores (unless ``with_scores`` is false: ``scores`` left empty).

    Without rollups, first/last seen are plain ``min``/``max`` and the latency count a
    ``count`` in the same grouped scan of the user index; the p95 is read off the top of
    each user's latency order (``_p95``).
    """
    _check(sort, limit)
    src = source(filters, now, "idx_requests_user")
    roll, value = _users_plan(reader, filters, now)
    one_pass = roll is None and src.facts and reader.store.engine != "sqlite"
    if one_pass:
        rows = facts_users(reader, src)
    elif roll is None:
        times = "min(created_at) AS first_at, max(created_at) AS last_at"
        rows = _grouped(reader, src, "user_id", f"{times}, count(latency_ms) AS latency_n")
    else:
        recent = sort == "recent"
        found = grouped(reader, roll, now, ("user_id",), hours=recent)
        rows = [{**r, "key": r["user_id"]} for r in found]
        if recent:
            _recent_candidates(reader, rows, limit, value)
    rows.sort(key=SORTS[sort], reverse=sort != "name")
    rows = rows[:limit] if limit else rows
    if one_pass:
        p95 = {r["key"]: float(r["p95"]) for r in rows if r["p95"] is not None}
    else:
        if roll is not None:
            if sort != "recent":
                hour_edges(reader, roll, rows, "user_id")  # the rows kept only
            exact_times(reader, rows, "user_id", value)
        timed = [(r["key"], int(r["latency_n"])) for r in rows]
        timeless = filters.since is None and filters.until is None
        days = _days(reader, src, filters, now)
        p95 = p95_of(reader, src, "user_id", timed, days, timeless=timeless)
    scores = (
        score_means(reader, filters, now, "user", keys=[r["key"] for r in rows])
        if with_scores
        else {}
    )
    return [
        UserRow(
            user_id=raw["key"],
            p95_latency_ms=p95.get(raw["key"]),
            first_seen=raw["first_at"],
            last_seen=raw["last_at"],
            scores=scores.get(raw["key"], {}),
            **metrics_of(raw),
        )
        for raw in rows
    ]


def _days(reader: Reader, src: Source, filters: Filters, now: float) -> list[str | None] | None:
    """The range's days, when the user index is keyed by the day after the user (the p95
    then merges one stream a day: ``_p95``), else None."""
    if src.facts or not reader.user_index_by_day():
        return None
    return days_in_range(reader, "idx_requests_day_latency", filters, now, most=None)


def _users_plan(
    reader: Reader, filters: Filters, now: float
) -> tuple[Rollup | None, tuple[str, str] | None]:
    """Where the users report reads its sums: ``rollup_users``; with one property value
    (and no other property) ``rollup_property_users``, whose rows are that value's
    (returned with it); None: the raw rows."""
    prop = filters.first_property()
    if prop is None or len(filters.properties) != 1 or prop[1] is None:
        return plan(reader, filters, now, "users"), None
    if not reader.rollups() or not reader.has_table("rollup_property_users"):
        return None, None
    roll = plan(reader, filters, now, "property_users", prop=prop[0])
    return roll, (prop if roll is not None else None)


def _recent_candidates(
    reader: Reader, rows: list[Raw], limit: int | None, value: tuple[str, str] | None
) -> None:
    """Exact last times for the rows that may be among the ``limit`` most recent: each row's
    last hour (or raw edge time) bounds it; rows at or past the ``limit``-th bound are
    resolved, the rest keep their (earlier) bound, which sorts them after."""
    for row in rows:
        row["last_at"] = max(
            t for t in (row.get("last_at"), row.get("last_hour"), "") if t is not None
        )
    bounds = sorted((r["last_at"] for r in rows), reverse=True)
    cut = bounds[min(limit, len(bounds)) - 1] if limit and bounds else ""
    wanted = [r for r in rows if r["last_at"] >= cut]
    for row in wanted:
        if row.get("last_hour") and row["last_at"] == row["last_hour"]:
            row["last_at"] = None
    exact_times(reader, wanted, "user_id", value)


# --- properties ---


def property_key(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise OptionsError("property", name, "a property name, e.g. department")
    return name.strip().lower()


def properties(
    reader: Reader,
    name: str,
    filters: Filters,
    now: float,
    *,
    limit: int | None = None,
    sort: str = "cost",
) -> list[GroupRow]:
    """Per value of property ``name`` (case-insensitive): requests, cost, tokens, …"""
    _check(sort, limit)
    name = property_key(name)
    src = property_source(filters, now, name)
    roll = plan(reader, filters, now, "properties", prop=name)
    if roll is None:
        found = _grouped(reader, src, "value")
    else:
        found = [{**r, "key": r["value"]} for r in grouped(reader, roll, now, ("value",))]
    rows, times = _top(reader, src, ("value",), found, sort, limit)
    scores = score_means(reader, filters, now, "all", property_name=name)
    return [_group_row(f"property:{name}", raw, scores, times) for raw in rows]


def property_names(reader: Reader, filters: Filters, now: float) -> list[PropertyName]:
    """Every property name in use, with its number of requests and of distinct values."""
    counts: dict[tuple[str, str], int] = {}
    roll = plan(reader, filters, now, "properties")
    if roll is not None:
        sql = (
            f"SELECT name, value, sum(requests) AS n FROM {roll.table.name} "
            f"WHERE {roll.where} GROUP BY name, value"
        )
        for row in reader.rows(sql, roll.params):
            counts[(row["name"], row["value"])] = int(row["n"] or 0)
    parts = [property_edge(e, now, None) for e in roll.edges] if roll is not None else []
    if roll is None:
        where, params = filters.where(now)
        parts = [Source("property_facts", where, tuple(params), True)]
    for part in parts:
        sql = part.select("name, value, count(*) AS n", "GROUP BY name, value")
        for row in reader.rows(sql, part.params):
            key = (row["name"], row["value"])
            counts[key] = counts.get(key, 0) + int(row["n"])
    names: dict[str, list[int]] = {}
    for (name, _), n in counts.items():
        if n > 0:
            found = names.setdefault(name, [0, 0])
            found[0] += n
            found[1] += 1
    return [
        PropertyName(name=name, requests=n, values=values)
        for name, (n, values) in sorted(names.items(), key=lambda item: (-item[1][0], item[0]))
    ]


# --- models and providers ---


def _model_rows(
    reader: Reader, src: Source, filters: Filters, now: float
) -> tuple[list[Raw], bool]:
    """Metrics per (model, provider): from the rollup (of the one property value filtered
    by: ``rollup_property_models``), else the model index (ordered by both, so no sort) or
    the value's facts. True when the rows carry their exact first/last times."""
    roll = plan(reader, filters, now, "models")
    if roll is not None:
        rows = grouped(reader, roll, now, ("model", "provider"))
        return [{**r, "key": r["model"]} for r in rows], False
    of_value = value_model_rows(reader, filters, now)
    if of_value is not None:
        return of_value, True
    times = ", min(created_at) AS first_at, max(created_at) AS last_at" if src.few else ""
    sql = src.select(f"model AS key, provider, {METRICS}{times}", "GROUP BY model, provider")
    return reader.rows(sql, src.params), src.few


def models(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    limit: int | None = None,
    sort: str = "cost",
    with_scores: bool = True,
) -> list[GroupRow]:
    """Per model (and provider): requests, cost, tokens, latency, errors, cache hits, and
    mean scores (unless ``with_scores`` is false)."""
    _check(sort, limit)
    src = narrow_source(filters, now) or source(filters, now, "idx_requests_model")
    found, carried = _model_rows(reader, src, filters, now)
    rows, times = _top(reader, src, ("model", "provider"), found, sort, limit, carried)
    scores = score_means(reader, filters, now, "model") if with_scores else {}
    return [_group_row("model", raw, scores, times, raw["provider"]) for raw in rows]


def providers(
    reader: Reader, filters: Filters, now: float, *, limit: int | None = None, sort: str = "cost"
) -> list[GroupRow]:
    """Per provider (the sum of its models)."""
    _check(sort, limit)
    src = source(filters, now, "idx_requests_model")
    parts, carried = _model_rows(reader, src, filters, now)
    model_times = (
        {(r["key"], r["provider"]): (r["first_at"], r["last_at"]) for r in parts}
        if carried
        else edges(reader, src, ("model", "provider"), [(r["key"], r["provider"]) for r in parts])
    )
    grouped: dict[Any, list[Raw]] = {}
    for raw in parts:
        grouped.setdefault(raw["provider"], []).append(raw)
    rows: list[Raw] = []
    times: dict[int, tuple[str | None, str | None]] = {}
    for provider, members in grouped.items():
        spans = [model_times.get((m["key"], provider), (None, None)) for m in members]
        row = {**merge_metrics(members), "key": provider}
        times[id(row)] = (
            min((a for a, _ in spans if a), default=None),
            max((b for _, b in spans if b), default=None),
        )
        row["last_at"] = times[id(row)][1]
        rows.append(row)
    # ties (equal cost and requests: e.g. every call failed, unpriced) in provider order,
    # whichever order the models came in (PostgreSQL's hashed GROUP BY has none)
    rows.sort(key=lambda r: "" if r["key"] is None else str(r["key"]))
    rows.sort(key=SORTS[sort], reverse=sort != "name")
    scores = score_means(reader, filters, now, "provider")
    return [_group_row("provider", raw, scores, times) for raw in rows[:limit]]


def summary(reader: Reader, filters: Filters, now: float) -> GroupRow:
    """All of ``filters``'s requests as one row."""
    src = source(filters, now, "idx_requests_created_at")
    roll = plan(reader, filters, now, "models")
    if roll is None:
        raw = reader.rows(src.select(f"NULL AS key, {METRICS}"), src.params)[0]
    else:
        found = grouped(reader, roll, now, ())
        raw = {**(found[0] if found else _EMPTY), "key": None}
    first = reader.values(src.select("created_at", "ORDER BY created_at LIMIT 1"), src.params)
    last = reader.values(src.select("created_at", "ORDER BY created_at DESC LIMIT 1"), src.params)
    times = {id(raw): (first[0] if first else None, last[0] if last else None)}
    return _group_row("all", raw, score_means(reader, filters, now, "all"), times)
