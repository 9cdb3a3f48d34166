"""Requests one at a time: a sorted, paged list, one request in full, and latency percentiles.

The list finds a page's ids on a covering index (the time index, or the property facts when
a property is filtered) and only then reads those rows' other columns, so paging through a
million requests never touches the wide rows (bodies) of the pages skipped.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors import OptionsError
from ._days import DAY, MOST_DAYS, days_in_range
from ._filters import Filters
from ._rollup import grouped, plan
from ._rows import Row
from ._scores import UnknownRequestError, typed_value
from ._source import Source, source
from ._sql import Reader
from ._status_sort import status_arms_page

__all__ = [
    "REQUEST_SORTS",
    "LatencyPercentiles",
    "RequestDetail",
    "RequestPage",
    "latency_percentiles",
    "request_detail",
    "request_page",
]

#: sort keys of the request list -> the covered column they order by.
REQUEST_SORTS: Mapping[str, str] = {
    "time": "created_at",
    "cost": "cost_usd",
    "latency": "latency_ms",
    "tokens": "total_tokens",
    "model": "model",
    "status": "status",
    "user": "user_id",
}
_LIST_COLUMNS = (
    "id, created_at, model, provider, status, error, user_id, session_id, session_path, "
    "session_name, prompt_tokens, completion_tokens, total_tokens, cost_usd, latency_ms, "
    "ttft_ms, cache_status, prompt_id, prompt_version, stream"
)
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class RequestPage(Row):
    """One page of the request list: ``rows`` (dicts of the list columns) of ``total``."""

    rows: tuple[Mapping[str, Any], ...]
    total: int
    page: int
    per_page: int
    sort: str
    descending: bool

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


@dataclass(frozen=True, slots=True)
class RequestDetail(Row):
    """One request in full: its row (JSON columns decoded), attempts and scores."""

    row: Mapping[str, Any]
    attempts: tuple[Mapping[str, Any], ...] = ()
    scores: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LatencyPercentiles(Row):
    """p50/p95 latency (nearest rank) over the ``sample`` most recent matching requests."""

    p50_ms: float | None
    p95_ms: float | None
    sample: int


def request_page(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    sort: str = "time",
    descending: bool = True,
    page: int = 1,
    per_page: int = 50,
) -> RequestPage:
    """Page ``page`` (from 1) of the matching requests ordered by ``sort``."""
    if sort not in REQUEST_SORTS:
        raise OptionsError("sort", sort, ", ".join(REQUEST_SORTS))
    if isinstance(page, bool) or page < 1:
        raise OptionsError("page", page, "a page number from 1")
    if isinstance(per_page, bool) or not 1 <= per_page <= 500:
        raise OptionsError("per_page", per_page, "1 to 500 rows a page")
    src = source(filters, now, "idx_requests_created_at")
    total = _total(reader, filters, now, src)
    column = REQUEST_SORTS[sort]
    order = "DESC" if descending else "ASC"
    tail = f"ORDER BY {column} {order}, created_at {order}, id {order} LIMIT ? OFFSET ?"
    offset = (page - 1) * per_page
    index = _sort_index(reader, filters, sort, total, offset + per_page)
    days = None
    if index is not None and index in _DAY_INDEXES.values():
        days = days_in_range(reader, index, filters, now, _MOST_DAYS)
    if index == _STATUS_INDEX:
        ids = _status_page(reader, filters.where(now), order, per_page, offset)
    elif sort == "status" and _status_arms(reader, filters, total):
        ids = status_arms_page(reader, filters.where(now), order, per_page, offset, total)
    elif days is not None and index is not None:
        page_of = (index, column, order, per_page, offset)
        ids = _day_page(reader, filters.where(now), days, *page_of) if days else []
    else:
        index = None if index in _DAY_INDEXES.values() else index  # (too many days: sort)
        if index is not None:
            where, params = filters.where(now)
            src = Source(f"requests INDEXED BY {index}", where, tuple(params))
        ids = reader.values(src.select("id", tail), (*src.params, per_page, offset))
    rows = _rows_by_id(reader, ids)
    return RequestPage(
        rows=tuple(rows[i] for i in ids if i in rows),
        total=total,
        page=page,
        per_page=per_page,
        sort=sort,
        descending=descending,
    )


def _total(reader: Reader, filters: Filters, now: float, src: Source) -> int:
    """How many requests match: from the hourly model rollups when they can answer (a time
    range, a model or provider: the whole hours summed, the partial hours at the ends
    counted), else by counting the range's index entries (140 ms of CPU for all of
    1,000,000 requests; every page of the list paid it, whatever its sort)."""
    roll = plan(reader, filters, now, "models")
    if roll is not None:
        found = grouped(reader, roll, now, [])
        return int(found[0]["requests"]) if found else 0
    return int(reader.values(src.select("count(*)"), src.params)[0])


#: sorts with an index of their own (schema: SORT_INDEXES_MIGRATION,
#: LATENCY_TOKENS_SORT_MIGRATION), and sorts by a report index's lead column: that index
#: holds the requests grouped by it, so SQLite sorts only the time order within a group
#: ("temp b-tree for right part of order by") and stops with the page's group (model: 11-29
#: ms of CPU instead of 200 ms sorting all 1,000,000 requests; user: 0.1-15 ms). ``status``:
#: a partial index of the rare statuses, merged with the 200s (``_status_page``).
_STATUS_INDEX = "idx_requests_status"
_SORT_INDEXES = {
    "cost": "idx_requests_cost",
    "latency": "idx_requests_latency",
    "tokens": "idx_requests_tokens",
    "model": "idx_requests_model",
    "user": "idx_requests_user",
    "status": _STATUS_INDEX,
}
#: the same sorts from SORT_BY_DAY_MIGRATION: each index leads with the day
#: (``substr(created_at, 1, 10)``), so a prune removes neighbouring entries; a page merges
#: one ordered stream a day (``_day_page``)
_DAY_INDEXES = {
    "cost": "idx_requests_day_cost",
    "latency": "idx_requests_day_latency",
    "tokens": "idx_requests_day_tokens",
}
#: most days a page merges (beyond, it sorts)
_MOST_DAYS = MOST_DAYS
#: what STATUS_SORT_MIGRATION's partial index holds: every status but 200, and no status
_RARE_STATUS = "(status <> 200 OR status IS NULL)"
#: fewer requests in the range than this: sorting them is cheap
_FEWEST = 5_000
#: most index entries a page may walk past (out of the range) before sorting is cheaper
_MOST_WALKED = 200_000


def _sort_index(reader: Reader, filters: Filters, sort: str, total: int, wanted: int) -> str | None:
    """The index that holds the requests in ``sort`` order, when reading it is cheaper than
    sorting the range: filters that set a time range only (the index holds the time), a
    range of many requests, and a page near enough to the top that the entries outside the
    range walked past stay few (about ``wanted`` x all requests / ``total``)."""
    if reader.store.engine != "sqlite":  # (PostgreSQL's planner chooses; no rowid)
        return None
    if total < _FEWEST or dataclasses.replace(filters, since=None, until=None) != Filters():
        return None
    by_day = _DAY_INDEXES.get(sort)
    if by_day is not None and reader.has_index(by_day):
        return by_day  # (out of the range it walks at most the two end days' entries)
    index = _SORT_INDEXES.get(sort)
    if index is None or not reader.has_index(index):
        return None
    every = reader.values("SELECT max(rowid) FROM requests")
    if wanted * int(every[0] or 0) > _MOST_WALKED * total:
        return None
    return index


def _status_arms(reader: Reader, filters: Filters, total: int) -> bool:
    """PostgreSQL, sorted by status: read the statuses' runs in order (``_status_sort``)
    when only a time range is set (``total`` is then the range's exact count) and the range
    is too large to sort cheaply."""
    if reader.store.engine == "sqlite" or total < _FEWEST:
        return False
    if dataclasses.replace(filters, since=None, until=None) != Filters():
        return False
    return reader.has_index(_STATUS_INDEX)


def _status_page(
    reader: Reader, where: tuple[str, list[Any]], order: str, per_page: int, offset: int
) -> list[Any]:
    """One page of the list sorted by status, without sorting the range: the rare statuses
    in order from their partial index, the 200s in time order from the time index, and the
    compound's ``ORDER BY`` merges the two ordered streams (SQLite's ``MERGE (UNION ALL)``;
    only ties on the same instant are sorted). 1,000,000 requests over 90 days: 372 ms of
    sorting, < 1 ms for the first page."""
    clause, params = where
    columns = "SELECT id, status, created_at FROM requests INDEXED BY"
    sql = (
        f"{columns} {_STATUS_INDEX} WHERE {clause} AND {_RARE_STATUS} UNION ALL "
        f"{columns} idx_requests_created_at WHERE {clause} AND status = 200 "
        f"ORDER BY 2 {order}, 3 {order}, 1 {order} LIMIT ? OFFSET ?"
    )
    rows = reader.rows(sql, (*params, *params, per_page, offset))
    return [r["id"] for r in rows]


def _day_page(
    reader: Reader,
    where: tuple[str, list[Any]],
    days: list[str | None],
    index: str,
    column: str,
    order: str,
    per_page: int,
    offset: int,
) -> list[Any]:
    """One page of the list sorted by ``column`` from its day-led ``index``: each day's
    entries are read in order and SQLite's compound ``ORDER BY`` merges the streams
    (``MERGE (UNION ALL)``), so nothing is sorted and a page reads about its own rows and
    one entry a day (``EXPLAIN QUERY PLAN``: no temp b-tree)."""
    clause, params = where
    arms, values = [], []
    for day in days:
        test = f"{DAY} IS NULL" if day is None else f"{DAY} = ?"
        arms.append(
            f"SELECT id, {column}, created_at FROM requests INDEXED BY {index} "
            f"WHERE {test} AND {clause}"
        )
        values += [*([] if day is None else [day]), *params]
    sql = f"{' UNION ALL '.join(arms)} ORDER BY 2 {order}, 3 {order}, 1 {order} LIMIT ? OFFSET ?"
    return [r["id"] for r in reader.rows(sql, (*values, per_page, offset))]


def _rows_by_id(reader: Reader, ids: list[Any]) -> dict[Any, dict[str, Any]]:
    out: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT {_LIST_COLUMNS} FROM requests WHERE id IN ({marks})"
        out.update((r["id"], r) for r in reader.rows(sql, chunk))
    return out


def _decoded(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


_JSON_COLUMNS = (
    "properties",
    "prompt_inputs",
    "request_body",
    "response_body",
    "reply_headers",
)


def request_detail(reader: Reader, request_id: str) -> RequestDetail:
    """The request ``request_id`` in full. :class:`UnknownRequestError` if there is none."""
    row = reader.one("SELECT * FROM requests WHERE id = ?", (request_id,))
    if row is None:
        raise UnknownRequestError(request_id, reader.store.path)
    for name in _JSON_COLUMNS:
        row[name] = _decoded(row.get(name))
    attempts = reader.rows(
        "SELECT * FROM attempts WHERE request_id = ? ORDER BY attempt", (request_id,)
    )
    scores = {
        r["name"]: typed_value(r["value"], r["value_type"])
        for r in reader.rows(
            "SELECT name, value, value_type FROM scores WHERE request_id = ? ORDER BY name",
            (request_id,),
        )
    }
    return RequestDetail(row=row, attempts=tuple(attempts), scores=scores)


def latency_percentiles(
    reader: Reader, filters: Filters, now: float, *, sample: int = 50_000
) -> LatencyPercentiles:
    """Nearest-rank p50 and p95 latency of the ``sample`` most recent matching requests
    (read backwards off the time index, so the cost does not grow with the log)."""
    src = source(filters, now, "idx_requests_created_at")
    sql = src.select("latency_ms", "ORDER BY created_at DESC LIMIT ?", "latency_ms IS NOT NULL")
    values = sorted(float(v) for v in reader.values(sql, (*src.params, sample)))
    if not values:
        return LatencyPercentiles(None, None, 0)

    def rank(p: int) -> float:
        return values[max(0, -(-p * len(values) // 100) - 1)]

    return LatencyPercentiles(rank(50), rank(95), len(values))
