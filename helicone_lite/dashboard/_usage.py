"""Users (the list and one user's page) and properties (cost and requests per value)."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response

from .._errors import OptionsError
from ..reports._usage import SORTS
from ..store import Store
from ._overview import chart_data
from ._web import page, params_of, render, state_of

__all__ = ["properties", "user_detail", "users_list"]


def _sort(request: Request, default: str) -> str:
    sort = request.query_params.get("sort") or default
    if sort not in SORTS:
        raise OptionsError("sort", sort, ", ".join(SORTS))
    return sort


@page
def users_list(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    sort = _sort(request, "cost")
    rows = state.reports().users(params.filters, limit=200, sort=sort)
    context = {"title": "Users", "params": params, "rows": rows, "sort": sort, "sorts": list(SORTS)}
    return render(request, "users.html", context)


@page
def user_detail(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    user = request.path_params["user_id"]
    filters = dataclasses.replace(params.filters, user=user)
    reports = state.reports()
    every = "hour" if params.range in ("1h", "24h") else "day"
    rows = reports.users(filters, limit=1)
    context = {
        "title": f"User {user}",
        "params": params,
        "user": user,
        "row": rows[0] if rows else None,
        "cost_chart": chart_data(
            reports.costs(filters, every=every, by="model", top=5), "cost_usd"
        ),
        "sessions": reports.sessions(filters, limit=50),
        "models": reports.models(filters, limit=10),
    }
    return render(request, "user.html", context)


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
