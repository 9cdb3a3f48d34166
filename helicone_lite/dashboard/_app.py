"""``create_app``: the dashboard as one ASGI (Starlette) application."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .._errors import OptionsError
from .._home import default_home
from ..store._engine import describe_url, is_database_url, refuse_url_as_path, resolve_database
from . import _ops, _overview, _prompts, _query, _requests, _sessions, _usage
from ._security import Guard
from ._state import Dashboard
from ._web import environment, render

__all__ = ["create_app"]

_STATIC = Path(__file__).parent / "static"


def _not_found(request: Request, exc: Exception) -> Response:
    return render(
        request, "error.html", {"title": "Not found", "message": str(request.url.path)}, status=404
    )


def _routes() -> list[Route | Mount]:
    return [
        Route("/", _overview.overview, name="overview"),
        Route("/overview/{panel}", _overview.overview_panel),
        Route("/requests", _requests.requests_list, name="requests"),
        Route("/requests/{request_id:path}/feedback", _requests.request_feedback, methods=["POST"]),
        Route("/requests/{request_id:path}/score", _requests.request_score, methods=["POST"]),
        Route("/requests/{request_id:path}/thread", _sessions.conversation),
        Route("/requests/{request_id:path}", _requests.request_detail, name="request"),
        Route("/sessions", _sessions.sessions_list, name="sessions"),
        Route("/sessions/{session_id:path}", _sessions.session_detail, name="session"),
        Route("/users", _usage.users_list, name="users"),
        Route("/users/{user_id:path}", _usage.user_detail, name="user"),
        Route("/properties", _usage.properties, name="properties"),
        Route("/prompts", _prompts.prompts_list, name="prompts"),
        Route("/prompts/{prompt_id}/{action}", _prompts.prompt_action, methods=["POST"]),
        Route("/prompts/{prompt_id}", _prompts.prompt_detail, name="prompt"),
        Route("/scores", _ops.scores, name="scores"),
        Route("/cache", _ops.cache, name="cache"),
        Route("/limits", _ops.limits, name="limits"),
        Route("/alerts", _ops.alerts, name="alerts"),
        Route("/query", _query.query, name="query"),
        Mount("/static", app=StaticFiles(directory=_STATIC), name="static"),
    ]


def create_app(
    home: str | os.PathLike[str] | None = None,
    *,
    db: str | os.PathLike[str] | None = None,
    database_url: str | None = None,
    token: str | None = None,
    redis_url: str | None = None,
    clock: Callable[[], float] = time.time,
    query_timeout: float = 5.0,
    poll_seconds: float = 5.0,
) -> Starlette:
    """The dashboard over ``home``'s store (``db``: another store file) as an ASGI app.

    ``database_url``: the store as a ``postgresql://`` URL (or ``sqlite:///path``), e.g. the
    database several machines log to (docs/scaling.md); ``db`` takes a file path only.
    ``token``: require it on every request (see docs/dashboard.md); without one, only
    loopback ``Host`` names are answered. ``redis_url``: read the cache and rate-limit state
    from Redis (default: ``$HELICONE_LITE_REDIS_URL``, else the home's local files).
    Mount it in your own service::

        app.mount("/llm", helicone_lite.dashboard.create_app(home="/var/lib/helicone-lite"))
    """
    where = Path(home).expanduser() if home is not None else default_home()
    state = Dashboard(
        where,
        _location(where, db, database_url),
        clock=clock,
        query_timeout=query_timeout,
        poll_seconds=poll_seconds,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        state.close()

    app = Starlette(routes=_routes(), exception_handlers={404: _not_found}, lifespan=lifespan)
    app.state.dashboard = state
    app.state.jinja = environment()
    app.state.redis_url = redis_url or os.environ.get("HELICONE_LITE_REDIS_URL") or None
    app.add_middleware(Guard, token=token, csrf=state.csrf)
    return app


def _location(
    home: Path, db: str | os.PathLike[str] | None, database_url: str | None
) -> Path | str:
    """The store: ``database_url`` (a PostgreSQL URL stays a str), else ``db``, else the
    home's file. OptionsError for a PostgreSQL URL given as ``db`` (it is not a path)."""
    if db is not None:
        refuse_url_as_path("db", db)
    if database_url:
        try:
            resolved = resolve_database(database_url)
        except ValueError:
            shown = describe_url(database_url) if "@" in database_url else database_url
            raise OptionsError(
                "database_url", shown, "a postgresql:// URL, sqlite:///path or a file path"
            ) from None
        if resolved is not None:
            return resolved if is_database_url(resolved) else Path(resolved).expanduser()
    return Path(db).expanduser() if db is not None else home / "helicone.db"
