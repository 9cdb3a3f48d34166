"""The operational pages: cache, rate limits, alerts and scores."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._errors import OptionsError
from ..alerts import alert_events, stored_alerts
from ._web import page, params_of, render, state_of

__all__ = ["alerts", "cache", "limits", "scores"]

_SCORE_GROUPS = ("model", "provider", "user", "prompt", "path", "session", "all")


def _cache_backend(request: Request) -> dict[str, Any] | None:
    """The local cache's entries and size (None when nothing was ever cached here)."""
    state = state_of(request)
    url = request.app.state.redis_url
    if url:
        from ..cache import RedisCacheBackend

        backend: Any = RedisCacheBackend(url, timeout=2.0)
    else:
        directory = state.home / "cache"
        if not directory.exists():
            return None
        from ..cache import DiskCacheBackend

        backend = DiskCacheBackend(directory, size_limit=None, eviction_policy=None)
    try:
        stats: dict[str, Any] = backend.stats(state.clock()).as_dict()
        return stats
    finally:
        backend.close()


@page
def cache(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    savings = state.reports().cache_savings(params.filters)
    context = {
        "title": "Cache",
        "params": params,
        "savings": savings,
        "backend": _cache_backend(request),
    }
    return render(request, "cache.html", context)


def _bucket_store(request: Request) -> Any:
    from ..ratelimit import local_exists, open_buckets

    url, home = request.app.state.redis_url, state_of(request).home
    return open_buckets(home, redis_url=url) if url or local_exists(home) else None


@page
def limits(request: Request) -> Response:
    state = state_of(request)
    buckets = _bucket_store(request)
    now = state.clock()
    try:
        rows = [s.describe(now) for s in buckets.states(now)] if buckets is not None else []
    finally:
        if buckets is not None:
            buckets.close()
    rows.sort(key=lambda r: (str(r["policy"]), str(r["segment"])))
    context = {"title": "Rate limits", "rows": rows, "source": buckets is not None}
    return render(request, "limits.html", context)


@page
def alerts(request: Request) -> Response:
    state = state_of(request)
    view = state.view()
    rules = stored_alerts(view)
    names = {r.id: r.name or r.id for r in rules}
    events = alert_events(view, limit=100, clock=state.clock)
    context = {"title": "Alerts", "rules": rules, "events": events, "names": names}
    return render(request, "alerts.html", context)


@page
def scores(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    by = request.query_params.get("by") or "model"
    if by not in _SCORE_GROUPS and not by.startswith("property:"):
        raise OptionsError("by", by, ", ".join([*_SCORE_GROUPS, "property:NAME"]))
    rows = state.reports().scores(params.filters, by=by)
    context = {"title": "Scores", "params": params, "rows": rows, "by": by, "groups": _SCORE_GROUPS}
    return render(request, "scores.html", context)
