"""The overview: the seed article's "dashboard at a glance"."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._errors import OptionsError
from ..alerts import alert_events
from ..reports import CostBucket
from ..store import epoch_from_iso
from ._params import ViewParams, month_start, today_start
from ._state import Dashboard
from ._web import page, params_of, render, state_of

__all__ = ["chart_data", "overview", "overview_panel"]

_HOURLY = ("1h", "24h")


def chart_data(buckets: Sequence[CostBucket], field: str) -> dict[str, Any]:
    """uPlot's shape: ``x`` (epoch seconds of each bucket) and one series per key."""
    starts = sorted({b.start for b in buckets})
    index = {start: i for i, start in enumerate(starts)}
    keys: dict[str, list[float]] = {}
    for b in buckets:
        label = b.key if b.key is not None else "all"
        values = keys.setdefault(label, [0.0] * len(starts))
        values[index[b.start]] += float(getattr(b, field) or 0)
    ordered = sorted(keys.items(), key=lambda kv: (kv[0] == "(other)", -sum(kv[1])))
    return {
        "x": [epoch_from_iso(s) for s in starts],
        "series": [{"label": k, "values": v} for k, v in ordered],
    }


def _by(request: Request) -> str:
    by = request.query_params.get("by") or "model"
    return by if by in ("model", "provider") else "model"


@page
def overview(request: Request) -> Response:
    """The page itself: filters and three panels that load (and refresh) on their own, so
    the figures never wait for each other."""
    params = params_of(request)
    context = {"title": "Overview", "params": params, "by": _by(request)}
    return render(request, "overview.html", context)


def _kpis(state: Dashboard, params: ViewParams, by: str) -> dict[str, Any]:
    reports, now, filters = state.reports(), state.clock(), params.filters
    return {
        "summary": reports.summary(filters),
        "month": reports.summary(params.scoped(month_start(now))),
        "today": reports.summary(params.scoped(today_start(now))),
        "latency": reports.latency(filters),
        "cache": reports.cache_savings(filters),
    }


def _charts(state: Dashboard, params: ViewParams, by: str) -> dict[str, Any]:
    every = "hour" if params.range in _HOURLY else "day"
    buckets = state.reports().costs(params.filters, every=every, by=by, top=6)
    return {
        "cost_chart": chart_data(buckets, "cost_usd"),
        "requests_chart": chart_data(buckets, "requests"),
    }


def _tops(state: Dashboard, params: ViewParams, by: str) -> dict[str, Any]:
    reports = state.reports()
    return {
        # the panel shows no scores: not computing them halves its time over 90 days
        "top_users": reports.users(params.filters, limit=6, with_scores=False),
        "top_models": reports.models(params.filters, limit=6, with_scores=False),
        "alerts": alert_events(state.view(), limit=5, clock=state.clock),
    }


_PANELS: dict[str, Callable[[Dashboard, ViewParams, str], dict[str, Any]]] = {
    "kpis": _kpis,
    "charts": _charts,
    "tops": _tops,
}


@page
def overview_panel(request: Request) -> Response:
    """One panel of the overview (``/overview/kpis``, ``charts``, ``tops``)."""
    name = request.path_params["panel"]
    build = _PANELS.get(name)
    if build is None:
        raise OptionsError("panel", name, ", ".join(_PANELS))
    params, by = params_of(request), _by(request)
    context = {"params": params, "by": by, **build(state_of(request), params, by)}
    return render(request, f"_overview_{name}.html", context)
