"""The overview: the seed article's "dashboard at a glance"."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from ..alerts import alert_events
from ..reports import CostBucket
from ..store import epoch_from_iso
from ._params import month_start, today_start
from ._web import page, params_of, render, state_of

__all__ = ["chart_data", "overview"]

_HOURLY = ("1h", "24h")


def chart_data(buckets: Sequence[CostBucket], field: str) -> dict[str, Any]:
    """uPlot's shape: ``x`` (epoch seconds of each bucket) and one series per key."""
    starts = sorted({b.start for b in buckets})
    index = {start: i for i, start in enumerate(starts)}
    keys: dict[str, list[float]] = {}
    for b in buckets:
        label = b.key if b.key is not None else "(none)"
        values = keys.setdefault(label, [0.0] * len(starts))
        values[index[b.start]] += float(getattr(b, field) or 0)
    ordered = sorted(keys.items(), key=lambda kv: (kv[0] == "(other)", -sum(kv[1])))
    return {
        "x": [epoch_from_iso(s) for s in starts],
        "series": [{"label": k, "values": v} for k, v in ordered],
    }


@page
def overview(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    reports = state.reports()
    now = state.clock()
    filters = params.filters
    by = request.query_params.get("by") or "model"
    if by not in ("model", "provider"):
        by = "model"
    every = "hour" if params.range in _HOURLY else "day"
    buckets = reports.costs(filters, every=every, by=by, top=6)
    context = {
        "title": "Overview",
        "params": params,
        "by": by,
        "summary": reports.summary(filters),
        "month": reports.summary(params.scoped(month_start(now))),
        "today": reports.summary(params.scoped(today_start(now))),
        "latency": reports.latency(filters),
        "cache": reports.cache_savings(filters),
        "cost_chart": chart_data(buckets, "cost_usd"),
        "requests_chart": chart_data(buckets, "requests"),
        "top_users": reports.users(filters, limit=6),
        "top_models": reports.models(filters, limit=6),
        "alerts": alert_events(state.view(), limit=5, clock=state.clock),
    }
    return render(request, "overview.html", context)
