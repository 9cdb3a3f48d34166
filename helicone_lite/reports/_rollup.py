"""Reading the hourly rollups (schema v6, ``store/_rollup_schema.py``) instead of raw rows.

A report's filters are answered from a rollup when every filter it sets is a key of that
rollup (the time range, plus model/provider for ``rollup_models``, and the status for
``rollup_status``, its twin split by status; user for ``rollup_users``, the grouped
property's value for ``rollup_properties``, and model and provider with it for
``rollup_property_models``; user with it for ``rollup_property_users``). The time range is
cut in three: the whole hours in the middle are read from the rollup; the partial hours at
either end (``since`` up to the next hour, the last hour up to ``until``) from the raw rows,
one short range of the time index each. Anything else (session, prompt, cache status,
another property, a status with users or properties) reads the raw rows as before: same
results, only slower.

Figures are sums, so the two parts add up exactly (counts and token sums; money and latency
up to floating-point rounding).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..store import epoch_from_iso, iso_from_epoch
from ._filters import ERRORS_SUM, HITS_SUM, Filters, parse_time
from ._source import Source, source
from ._sql import Reader

__all__ = ["Cut", "Raw", "Rollup", "cut", "grouped", "plan", "property_edge", "series"]

Raw = dict[str, Any]

_KEYED = (
    "model",
    "provider",
    "user",
    "session",
    "status",
    "prompt_id",
    "prompt_version",
    "cache_status",
)
_RAW_SUMS = (
    "count(*) AS requests, total(cost_usd) AS cost_usd, total(total_tokens) AS tokens, "
    "total(latency_ms) AS latency_sum, count(latency_ms) AS latency_n, "
    f"{ERRORS_SUM} AS errors, {HITS_SUM} AS cache_hits, "
    "min(created_at) AS first_at, max(created_at) AS last_at"
)
_ROLLUP_SUMS = (
    "sum(requests) AS requests, total(cost_usd) AS cost_usd, total(tokens) AS tokens, "
    "total(latency_sum) AS latency_sum, sum(latency_n) AS latency_n, sum(errors) AS errors, "
    "sum(cache_hits) AS cache_hits"
)
#: each group's first and last hour: two text aggregates that double the cost of the scan
#: (users over 90 days: 51 -> 101 ms), so read only when asked (``grouped(hours=True)``)
_HOURS = ", min(nullif(hour, '')) AS first_hour, max(nullif(hour, '')) AS last_hour"
_ADDED = ("requests", "cost_usd", "tokens", "latency_sum", "latency_n", "errors", "cache_hits")


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    #: report column -> (rollup column, its bit in ``nulls``; 0: never NULL)
    columns: dict[str, tuple[str, int]]
    #: Filters field -> report column it tests
    filters: dict[str, str]
    #: the rollup that answers the same reports filtered by status (None: the raw rows)
    by_status: str | None = None
    #: ... filtered by model or provider (None: the raw rows)
    by_model: str | None = None


#: the columns and filters of the rollups keyed by model and provider (models, status, scores)
_BY_MODEL = (
    {"model": ("model", 1), "provider": ("provider", 2)},
    {"model": "model", "provider": "provider"},
)
#: ... and of those keyed by property name and value (properties, property scores)
_BY_VALUE: tuple[dict[str, tuple[str, int]], dict[str, str]] = (
    {"name": ("name", 0), "value": ("value", 0)},
    {},
)

TABLES = {
    "models": _Table("rollup_models", *_BY_MODEL, by_status="status"),
    # rollup_models' figures per exact status too (not its cache savings)
    "status": _Table("rollup_status", *_BY_MODEL),
    "users": _Table("rollup_users", {"user_id": ("user_id", 1)}, {"user": "user_id"}),
    # score sums per model, provider and exact status (a status filter tests its own table)
    "scores": _Table("rollup_scores", *_BY_MODEL, by_status="scores"),
    # score sums per property value (the grouped property, as ``properties``)
    "property_scores": _Table("rollup_property_scores", *_BY_VALUE),
    "properties": _Table("rollup_properties", *_BY_VALUE, by_model="property_models"),
    # rollup_properties' figures per model and provider too
    "property_models": _Table(
        "rollup_property_models", {**_BY_VALUE[0], **_BY_MODEL[0]}, _BY_MODEL[1]
    ),
    # rollup_properties' figures per user too (users of one property value)
    "property_users": _Table(
        "rollup_property_users", {**_BY_VALUE[0], "user_id": ("user_id", 1)}, {"user": "user_id"}
    ),
}


@dataclass(frozen=True, slots=True)
class Rollup:
    """Where a report's rows are: ``FROM table WHERE where`` (params) plus raw ``edges``."""

    table: _Table
    where: str
    params: tuple[Any, ...]
    edges: tuple[Filters, ...]
    prop: str | None = None

    def column(self, name: str) -> str:
        column, bit = self.table.columns[name]
        if not bit:
            return column
        return f"CASE WHEN (nulls & {bit}) = {bit} THEN NULL ELSE {column} END"

    def group(self, names: Sequence[str]) -> str:
        """The GROUP BY of ``names`` (the stored key and its NULL bit)."""
        columns = [self.table.columns[name] for name in names]
        bits = [bit for _, bit in self.table.columns.values() if bit]
        if bits and all(any(b == bit for _, b in columns) for bit in bits):
            # every NULL bit of the table is in the group: the stored ``nulls`` itself, so
            # the group follows the primary key's order (no sort)
            return ", ".join([*(column for column, _ in columns), "nulls"])
        parts = []
        for column, bit in columns:
            parts += [column, f"(nulls & {bit})"] if bit else [column]
        return ", ".join(parts)

    def members(
        self, names: Sequence[str], keys: Sequence[tuple[Any, ...]]
    ) -> tuple[str, list[Any]]:
        """SQL (and params) selecting the groups ``keys`` (values of ``names``) only."""
        clauses, params = [], []
        for key in keys:
            parts = []
            for name, value in zip(names, key, strict=True):
                column, bit = self.table.columns[name]
                if value is None:
                    parts.append(f"(nulls & {bit}) = {bit}")
                else:
                    parts.append(f"{column} = ?" + (f" AND (nulls & {bit}) = 0" if bit else ""))
                    params.append(value)
            clauses.append(f"({' AND '.join(parts)})")
        return f"({' OR '.join(clauses) or '1 = 0'})", params

    def edge_source(self, edge: Filters, now: float) -> Source:
        """The raw rows of a partial hour: a range of the time index (joined with the
        grouped property's rows; the facts are ordered by value first, not by time)."""
        if self.prop is None:
            return source(edge, now, "idx_requests_created_at", use_facts=False)
        return property_edge(edge, now, self.prop)


def property_edge(edge: Filters, now: float, name: str | None) -> Source:
    """Rows of property ``name`` (any name when None) within ``edge``'s (short) time range,
    read off the time index: ``name`` and ``value`` are the property's."""
    where, params = edge.where(now, skip_property=name)
    tests = ["p.value IS NOT NULL"]
    first: list[Any] = []
    if name is not None:
        tests.insert(0, "p.name = ?")
        first.append(name)
        wanted = edge.properties.get(name)
        if wanted is not None:
            tests.append("p.value = ?")
            first.append(wanted)
    table = (
        "requests INDEXED BY idx_requests_created_at "
        "JOIN request_properties p ON p.request_id = requests.id"
    )
    return Source(table, f"{' AND '.join(tests)} AND {where}", (*first, *params))


@dataclass(frozen=True, slots=True)
class Cut:
    """A report's time range cut at ``unit`` boundaries (seconds: an hour, a day): ``lo``
    and ``hi`` bound the whole units in the middle (None: open on that side), read from a
    rollup; ``edges`` are ``filters`` over the partial units at either end, read raw."""

    lo: str | None
    hi: str | None
    edges: tuple[Filters, ...]


def cut(filters: Filters, now: float, unit: int) -> Cut | None:
    """``filters``'s range cut at ``unit`` boundaries; None when it holds no whole unit
    between two partial ones (under two units: the raw rows are few)."""
    since = parse_time(filters.since, now, "since")
    until = parse_time(filters.until, now, "until")
    lo = _boundary(since, unit, up=True) if since is not None else None
    hi = _boundary(until, unit, up=False) if until is not None else None
    if lo is not None and hi is not None and lo >= hi:
        return None
    edges = []
    if since is not None and lo is not None and since < lo:
        edges.append(dataclasses.replace(filters, since=since, until=min(lo, until or lo)))
    if until is not None and hi is not None and hi < until:
        edges.append(dataclasses.replace(filters, since=max(hi, since or hi), until=until))
    return Cut(lo, hi, tuple(edges))


def _boundary(iso: str, unit: int, *, up: bool) -> str:
    """The ``unit`` boundary at or after (``up``) or at or before ``iso``."""
    stamp = epoch_from_iso(iso)
    return iso_from_epoch((-(-stamp // unit) if up else stamp // unit) * unit)


def _table_for(
    reader: Reader, filters: Filters, table: str, prop: str | None
) -> tuple[_Table, tuple[str, list[Any]] | None, str | None] | None:
    """The rollup that answers ``filters`` for report ``table`` (its status-split or
    model-split twin where a filter asks for it), the status filter's SQL, and the grouped
    property's wanted value; None when no rollup can answer."""
    if not reader.rollups():
        return None
    spec = TABLES[table]
    if spec.by_model is not None and (filters.model, filters.provider) != (None, None):
        spec = TABLES[spec.by_model]
        if not reader.has_table(spec.name):
            return None
    status: tuple[str, list[Any]] | None = None
    if filters.status is not None and spec.by_status is not None:
        spec = TABLES[spec.by_status]
        if not reader.has_table(spec.name):
            return None
        status = filters.status_where()
    allowed = set(spec.filters) | ({"status"} if status is not None else set())
    for name in _KEYED:
        if getattr(filters, name) is not None and name not in allowed:
            return None
    wanted = dict(filters.properties)
    value = wanted.pop(prop, None) if prop is not None else None
    if wanted:
        return None
    return spec, status, value


def plan(
    reader: Reader, filters: Filters, now: float, table: str, *, prop: str | None = None
) -> Rollup | None:
    """How to read ``filters``'s requests from rollup ``table`` (None: it cannot answer).

    ``prop``: the property grouped by (``rollup_properties``), whose value filter is allowed.
    A status filter on ``models`` reads ``rollup_status`` (its ``status`` column tested as
    the raw rows' is), a model or provider filter on ``properties`` reads
    ``rollup_property_models``; only where that table exists (``reader.has_table``).
    """
    chosen = _table_for(reader, filters, table, prop)
    if chosen is None:
        return None
    spec, status, value = chosen
    hours = cut(filters, now, 3600)
    if hours is None:
        return None
    lo, hi = hours.lo, hours.hi
    clauses: list[str] = []
    params: list[Any] = []
    if prop is not None:
        clauses.append("name = ?")
        params.append(prop)
        if value is not None:
            clauses.append("value = ?")
            params.append(value)
    if lo is not None:
        clauses.append("hour >= ?")
        params.append(lo)
    elif hi is not None:
        clauses.append("hour > ''")  # rows without a time are outside any range
    if hi is not None:
        clauses.append("hour < ?")
        params.append(hi)
    for field, name in spec.filters.items():
        wanted_value = getattr(filters, field)
        if wanted_value is not None:
            column, bit = spec.columns[name]
            clauses.append(f"{column} = ? AND (nulls & {bit}) = 0")
            params.append(wanted_value)
    if status is not None:
        clauses.append(status[0])
        params.extend(status[1])
    where = " AND ".join(clauses) or "1 = 1"
    return Rollup(spec, where, tuple(params), hours.edges, prop)


def _add(into: Raw, row: Raw) -> None:
    for name in _ADDED:
        into[name] = (into.get(name) or 0) + (row[name] or 0)


def grouped(
    reader: Reader, roll: Rollup, now: float, names: Sequence[str], *, hours: bool = False
) -> list[Raw]:
    """Sums per group of report columns ``names`` (all rows as one group when empty): the
    ``METRICS`` figures, plus ``latency_n`` and the first/last times where known
    (``first_at``/``last_at`` from the raw edges; with ``hours``, ``first_hour``/
    ``last_hour`` from the rollup, else None: :func:`hour_edges` reads them for a few groups).
    Groups in key order (NULL first), as an index scan gives them."""
    found: dict[tuple[Any, ...], Raw] = {}
    keys = ", ".join(f"{roll.column(n)} AS {n}" for n in names)
    group = f"GROUP BY {roll.group(names)}" if names else ""
    sql = (
        f"SELECT {keys + ', ' if keys else ''}{_ROLLUP_SUMS}{_HOURS if hours else ''} "
        f"FROM {roll.table.name} WHERE {roll.where} {group}"
    )
    for row in reader.rows(sql, roll.params):
        if not row["requests"]:
            continue
        found[tuple(row[n] for n in names)] = {
            "first_hour": None,
            "last_hour": None,
            **row,
            "first_at": None,
            "last_at": None,
        }
    raw_names = ", ".join(names)
    for edge in roll.edges:
        src = roll.edge_source(edge, now)
        tail = f"GROUP BY {raw_names}" if names else ""
        edge_sql = src.select(f"{raw_names + ', ' if names else ''}{_RAW_SUMS}", tail)
        for row in reader.rows(edge_sql, src.params):
            if not row["requests"]:
                continue
            key = tuple(row[n] for n in names)
            into = found.setdefault(
                key, {**dict(zip(names, key, strict=True)), "first_hour": None, "last_hour": None}
            )
            _add(into, row)
            firsts = [t for t in (into.get("first_at"), row["first_at"]) if t]
            lasts = [t for t in (into.get("last_at"), row["last_at"]) if t]
            into["first_at"] = min(firsts, default=None)
            into["last_at"] = max(lasts, default=None)
    rows = []
    for key in sorted(found, key=lambda k: tuple((v is not None, v or "") for v in k)):
        row = found[key]
        n = int(row["latency_n"] or 0)
        row["latency_n"] = n
        row["avg_latency_ms"] = float(row["latency_sum"]) / n if n else None
        row["requests"] = int(row["requests"])
        row["cost_usd"] = float(row["cost_usd"] or 0.0)
        row["tokens"] = int(row["tokens"] or 0)
        rows.append(row)
    return rows


def series(
    reader: Reader,
    roll: Rollup,
    now: float,
    names: Sequence[str],
    starts: Sequence[str],
    only: Sequence[tuple[Any, ...]] | None = None,
) -> dict[tuple[int, tuple[Any, ...]], list[Any]]:
    """``[requests, cost, tokens]`` per (bucket index, group): hours of the rollup added into
    the bucket that starts at or before them (``starts``: the buckets' starts, ascending);
    ``only`` those groups (values of ``names``), when given."""
    from bisect import bisect_right

    out: dict[tuple[int, tuple[Any, ...]], list[Any]] = {}

    def add(index: int, key: tuple[Any, ...], n: Any, cost: Any, tokens: Any) -> None:
        if index < 0 or not n:
            return
        values = out.setdefault((index, key), [0, 0.0, 0])
        values[0] += int(n)
        values[1] += float(cost or 0.0)
        values[2] += int(tokens or 0)

    keys = "".join(f", {roll.column(n)} AS {n}" for n in names)
    group = "".join(f", {g}" for g in [roll.group(names)] if names)
    chosen, chosen_params = roll.members(names, only) if only is not None else ("1 = 1", [])
    sql = (
        f"SELECT hour{keys}, sum(requests) AS n, total(cost_usd) AS cost, total(tokens) AS tokens "
        f"FROM {roll.table.name} WHERE {roll.where} AND hour <> '' AND {chosen} "
        f"GROUP BY hour{group}"
    )
    wanted = None if only is None else set(only)
    for row in reader.rows(sql, (*roll.params, *chosen_params)):
        index = bisect_right(starts, row["hour"]) - 1
        add(index, tuple(row[n] for n in names), row["n"], row["cost"], row["tokens"])
    raw_names = ", ".join(names)
    for edge in roll.edges:
        src = roll.edge_source(edge, now)
        tail = f"GROUP BY {raw_names}" if names else ""
        sums = "count(*) AS n, total(cost_usd) AS cost, total(total_tokens) AS tokens"
        sql = src.select(f"{raw_names + ', ' if names else ''}{sums}", tail)
        index = bisect_right(starts, str(parse_time(edge.since, now))) - 1
        for row in reader.rows(sql, src.params):
            key = tuple(row[n] for n in names)
            if wanted is None or key in wanted:
                add(index, key, row["n"], row["cost"], row["tokens"])
    return out
