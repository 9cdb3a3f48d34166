"""Users (the list and one user's page) and properties (cost and requests per value)."""

from __future__ import annotations

import dataclasses
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._errors import OptionsError
from ..reports import Filters
from ..reports._filters import parse_time
from ..reports._rollup import Rollup, plan
from ..reports._source import source
from ..reports._sql import Reader
from ..reports._threats import SORTS as THREAT_SORTS
from ..reports._usage import SORTS
from ..store import Store, epoch_from_iso
from ._web import page, params_of, render, state_of

__all__ = ["properties", "threats", "user_detail", "users_list"]

_MOST_BUCKETS = 2000


def _sort(request: Request, default: str, sorts: Any = SORTS) -> str:
    sort = request.query_params.get("sort") or default
    if sort not in sorts:
        raise OptionsError("sort", sort, ", ".join(sorts))
    return str(sort)


@page
def users_list(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    sort = _sort(request, "cost")
    rows = state.reports().users(params.filters, limit=200, sort=sort, with_scores=False)
    context = {"title": "Users", "params": params, "rows": rows, "sort": sort, "sorts": list(SORTS)}
    return render(request, "users.html", context)


@page
def threats(request: Request) -> Response:
    """Per user, the calls LLM security flagged or blocked (docs/llm-security.md)."""
    state, params = state_of(request), params_of(request)
    sort = _sort(request, "threats", THREAT_SORTS)
    rows = state.reports().threats(params.filters, limit=200, sort=sort)
    context = {
        "title": "Threats",
        "params": params,
        "rows": rows,
        "sort": sort,
        "sorts": list(THREAT_SORTS),
        "max_threats": max((r.threats for r in rows), default=0),
    }
    return render(request, "threats.html", context)


@page
def user_detail(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    user = request.path_params["user_id"]
    filters = dataclasses.replace(params.filters, user=user)
    reports = state.reports()
    every = "hour" if params.range in ("1h", "24h") else "day"
    rows = reports.users(filters, limit=1, with_scores=False)
    context = {
        "title": f"User {user}",
        "params": params,
        "user": user,
        "row": rows[0] if rows else None,
        "cost_chart": _user_costs(Reader(state.view()), filters, state.clock(), every),
        "sessions": reports.sessions(filters, limit=50),
        "models": reports.models(filters, limit=10, with_scores=False),
    }
    return render(request, "user.html", context)


def _user_costs(reader: Reader, filters: Filters, now: float, every: str) -> dict[str, Any]:
    """One user's cost per hour or day: the user's hours in ``rollup_users`` (plus the
    partial hours at the ends), else read off the user index (the user's rows only:
    ``Reports.costs`` walks the time index of the whole range, every user's rows)."""
    width = 13 if every == "hour" else 10
    suffix = ":00:00Z" if every == "hour" else "T00:00:00Z"
    roll = plan(reader, filters, now, "users")
    if roll is not None:
        sums = _cost_buckets(reader, roll, now, width)
        found = {epoch_from_iso(b + suffix): cost for b, cost in sums.items()}
    else:
        src = source(filters, now, "idx_requests_user")
        sql = src.select(
            f"substr(created_at, 1, {width}) AS bucket, total(cost_usd) AS cost",
            "GROUP BY bucket ORDER BY bucket",
        )
        rows = reader.store.query(sql, src.params)
        found = {epoch_from_iso(r["bucket"] + suffix): float(r["cost"] or 0) for r in rows}
    starts = _buckets(found, filters, now, 3600 if every == "hour" else 86400)
    return {
        "x": starts,
        "series": [{"label": "cost", "values": [found.get(x, 0.0) for x in starts]}],
    }


def _cost_buckets(reader: Reader, roll: Rollup, now: float, width: int) -> dict[str, float]:
    """Cost per time bucket named by the first ``width`` characters of its ISO time (13: the
    hour, 10: the day): the rollup's hours added into their bucket, then the raw edges'."""
    found: dict[str, float] = {}
    bucket = f"substr(hour, 1, {width})"
    sql = (
        f"SELECT {bucket} AS bucket, total(cost_usd) AS cost, sum(requests) AS n "
        f"FROM {roll.table.name} WHERE {roll.where} AND hour <> '' GROUP BY {bucket}"
    )
    rows = list(reader.rows(sql, roll.params))
    for edge in roll.edges:
        src = roll.edge_source(edge, now)
        what = f"substr(created_at, 1, {width}) AS bucket, total(cost_usd) AS cost, count(*) AS n"
        rows += reader.rows(src.select(what, "GROUP BY bucket"), src.params)
    for row in rows:
        if row["n"] and row["bucket"] is not None:
            found[row["bucket"]] = found.get(row["bucket"], 0.0) + float(row["cost"] or 0.0)
    return found


def _buckets(found: dict[float, float], filters: Filters, now: float, step: int) -> list[float]:
    """Every bucket start from the range's start (or the first bucket with cost) to its end,
    so the chart shows the days without requests as zeros, as the overview's charts do (a
    user with one active day was one lone point on an axis of several years)."""
    if not found:
        return []
    since, until = parse_time(filters.since, now), parse_time(filters.until, now, "until")
    first = min(found) if since is None else epoch_from_iso(since) // step * step
    last = max(max(found), (epoch_from_iso(until) if until else now) // step * step)
    if (last - first) / step > _MOST_BUCKETS:
        return sorted(found)
    return [first + i * step for i in range(int((last - first) // step) + 1)]


def _property_names(view: Store, most: int = 50) -> list[str]:
    """The property names in use, read by skipping along the facts' (name, value, …) key:
    one index probe per name, whatever the size of the log."""
    names: list[str] = []
    while len(names) < most:
        after = names[-1] if names else ""
        found = view.query(
            "SELECT name FROM property_facts WHERE name > ? ORDER BY name LIMIT 1", (after,)
        )
        if not found:
            break
        names.append(str(found[0]["name"]))
    return names


@page
def properties(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    reports = state.reports()
    names = _property_names(state.view())
    chosen = request.query_params.get("name") or (names[0] if names else "")
    rows = reports.properties(chosen, params.filters, sort=_sort(request, "cost")) if chosen else []
    context = {
        "title": "Properties",
        "params": params,
        "names": names,
        "chosen": chosen,
        "rows": rows,
        "max_cost": max((r.cost_usd for r in rows), default=0.0),
    }
    return render(request, "properties.html", context)
