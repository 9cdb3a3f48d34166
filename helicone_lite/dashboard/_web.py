"""Rendering: the Jinja2 environment (autoescaped), number formats, pages and fragments.

A page handler returns ``render(request, "page.html", {...})``. A request from htmx that asks
for a live update (``HX-Request`` with ``?live=1``) gets only the template's ``live`` block,
so polling re-renders the figures, not the whole page.
"""

from __future__ import annotations

import hmac
import json
import math
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from .._errors import OptionsError
from .._inert import page_text
from ._params import RANGES, ViewParams
from ._state import Dashboard

__all__ = ["NAV", "csrf_ok", "environment", "params_of", "render", "state_of"]

_HERE = Path(__file__).parent

#: the side navigation: (path, label, icon name).
NAV = (
    ("/", "Overview", "grid"),
    ("/requests", "Requests", "list"),
    ("/sessions", "Sessions", "tree"),
    ("/users", "Users", "user"),
    ("/threats", "Threats", "shield"),
    ("/properties", "Properties", "tag"),
    ("/prompts", "Prompts", "doc"),
    ("/scores", "Scores", "star"),
    ("/cache", "Cache", "bolt"),
    ("/limits", "Rate limits", "gauge"),
    ("/alerts", "Alerts", "bell"),
    ("/query", "Query", "code"),
)


def money(value: Any) -> str:
    if value is None:
        return "—"
    amount = float(value)
    if amount == 0:
        return "$0"
    if abs(amount) >= 100:
        return f"${amount:,.0f}"
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    if abs(amount) >= 0.01:
        return f"${amount:.4f}"
    return f"${amount:.6f}"


def ms(value: Any) -> str:
    if value is None:
        return "—"
    amount = float(value)
    return f"{amount / 1000:.2f} s" if amount >= 10_000 else f"{amount:,.0f} ms"


def number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def pct(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value) * 100:.1f} %"


def when(value: Any) -> str:
    """Store time text (``2026-11-26T23:55:17.123Z``) as ``2026-11-26 23:55:17``."""
    if not isinstance(value, str) or len(value) < 19:
        return "—" if value is None else str(value)
    return value[:10] + " " + value[11:19]


def when_short(value: Any) -> str:
    """``12-05 09:18:20``: the table form (the year is in the detail)."""
    text = when(value)
    return text[5:] if len(text) == 19 else text


def short(value: Any, width: int = 8) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= width else text[:width] + "…"


def pretty_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        # every value printed: stored text's bidi overrides, zero-width and control
        # characters shown as escapes (``\u202e``), as the terminal shows them
        finalize=page_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        ms=ms,
        number=number,
        pct=pct,
        when=when,
        when_short=when_short,
        short=short,
        pretty=pretty_json,
    )
    env.globals.update(nav=NAV, ranges=list(RANGES), now_utc=_now_utc)
    return env


def _now_utc() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def state_of(request: Request) -> Dashboard:
    state: Dashboard = request.app.state.dashboard
    return state


def params_of(request: Request) -> ViewParams:
    """The page's filters from its URL (OptionsError, shown as a 400 page, if malformed)."""
    return ViewParams.parse(request.query_params, request.query_params.getlist("prop"))


def csrf_ok(request: Request, form: Mapping[str, Any]) -> bool:
    given = form.get("csrf") or request.headers.get("x-csrf-token") or ""
    return isinstance(given, str) and hmac.compare_digest(
        given.encode(), state_of(request).csrf.encode()
    )


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    *,
    status: int = 200,
) -> Response:
    env: jinja2.Environment = request.app.state.jinja
    template = env.get_template(name)
    state = state_of(request)
    full = {
        "request": request,
        "root": request.scope.get("root_path", ""),
        "path": request.scope["path"],
        "csrf": state.csrf,
        "db_path": state.where,
        "poll_ms": int(state.poll_seconds * 1000),
        **context,
    }
    live = request.headers.get("hx-request") == "true" and request.query_params.get("live")
    if live and "live" in template.blocks:
        body = "".join(template.blocks["live"](template.new_context(full)))
    else:
        body = template.render(full)
    return HTMLResponse(body, status_code=status, headers={"cache-control": "no-store"})


Handler = Callable[[Request], Response]


def page(handler: Handler) -> Handler:
    """A page over the store: the empty state when there is no store, a 400 page for bad
    filters (the message names the option and what it allows), never a traceback."""
    from ..prompts import PromptNotFoundError
    from ..reports import UnknownRequestError, UnknownSessionError
    from ..store import StoreError

    def wrapped(request: Request) -> Response:
        state = state_of(request)
        if not state.exists():
            return render(request, "empty.html", {"title": "No requests yet"})
        try:
            return handler(request)
        except (UnknownRequestError, UnknownSessionError, PromptNotFoundError) as exc:
            return _problem(request, "Not found", exc, 404)
        except OptionsError as exc:
            return _problem(request, "Bad input", exc, 400)
        except StoreError as exc:
            return _problem(request, "Store error", exc, 500)

    wrapped.__name__ = handler.__name__
    wrapped.__doc__ = handler.__doc__
    return wrapped


def _problem(request: Request, title: str, exc: Exception, status: int) -> Response:
    return render(request, "error.html", {"title": title, "message": str(exc)}, status=status)
