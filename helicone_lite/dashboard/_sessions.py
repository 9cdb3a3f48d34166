"""Sessions: the list, one session as a collapsible tree with a waterfall, and a request's
conversation as a fragment (what clicking a tree node loads)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from .._errors import OptionsError
from ..reports import SessionTree
from ..reports._sessions import SESSION_SORTS
from ._requests import thread_of
from ._web import page, params_of, render, state_of

__all__ = ["conversation", "session_detail", "sessions_list", "waterfall"]

_ROW = 24  # waterfall row height (SVG units)


@page
def sessions_list(request: Request) -> Response:
    state, params = state_of(request), params_of(request)
    sort = request.query_params.get("sort") or "recent"
    if sort not in SESSION_SORTS:
        raise OptionsError("sort", sort, ", ".join(SESSION_SORTS))
    rows = state.reports().sessions(params.filters, limit=100, sort=sort)
    context = {
        "title": "Sessions",
        "params": params,
        "rows": rows,
        "sort": sort,
        "sorts": SESSION_SORTS,
    }
    return render(request, "sessions.html", context)


def waterfall(tree: SessionTree) -> dict[str, Any]:
    """Bars of the session's requests on one time axis, for an SVG (0..1000 wide)."""
    requests = sorted(
        (r for node in tree.root.walk() for r in node.requests), key=lambda r: r.start_ms
    )
    if not requests:
        return {"bars": [], "height": _ROW, "span_ms": 0.0}
    start = requests[0].start_ms
    span = max(max(r.end_ms for r in requests) - start, 1.0)
    bars = []
    for i, r in enumerate(requests):
        x = (r.start_ms - start) / span * 1000
        width = max((r.end_ms - r.start_ms) / span * 1000, 2.0)
        bars.append(
            {
                "id": r.id,
                "label": f"{r.path}  {r.model or ''}",
                "x": round(x, 2),
                "y": i * _ROW + 4,
                "width": round(min(width, 1000 - x), 2) or 2.0,
                "latency_ms": r.latency_ms,
                "failed": r.failed,
                "cached": r.cache_status == "HIT",
            }
        )
    return {"bars": bars, "height": len(bars) * _ROW + 8, "span_ms": span}


@page
def session_detail(request: Request) -> Response:
    state = state_of(request)
    params = params_of(request)
    tree = state.reports().session(request.path_params["session_id"])
    context = {
        "title": "Session",
        "params": params,
        "tree": tree,
        "waterfall": waterfall(tree),
    }
    return render(request, "session.html", context)


@page
def conversation(request: Request) -> Response:
    """A request's conversation alone (loaded into the session page by htmx)."""
    detail = state_of(request).reports().request(request.path_params["request_id"])
    row = detail.row
    context = {
        "row": row,
        "thread": thread_of(row.get("request_body"), row.get("response_body")),
    }
    return render(request, "_conversation.html", context)
