"""Sessions: the list (one row per ``Helicone-Session-Id``) and one session as a tree."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .._errors import OptionsError
from ..store import epoch_from_iso
from ._filters import ERRORS_SUM, Filters
from ._rows import ScoreValue, SessionRow
from ._scores import UnknownSessionError, typed_value
from ._session_rank import ranked_from_rollup, usable
from ._source import Source, source
from ._sql import Reader
from ._tree import SessionRequest, SessionTree, build_tree, normalize_path

__all__ = ["SESSION_SORTS", "resolve_session", "session_tree", "sessions"]

_LIST = (
    "session_id AS key, count(*) AS requests, total(cost_usd) AS cost_usd, "
    f"total(total_tokens) AS tokens, {ERRORS_SUM} AS errors"
)
# last end in epoch ms (start + latency): it parses every timestamp, so only the sessions
# shown get it (or all of them, to sort by duration).
_END_MS = "max((julianday(created_at) - 2440587.5) * 86400000.0 + coalesce(latency_ms, 0))"
_DURATION = f"{_END_MS} - (julianday(min(created_at)) - 2440587.5) * 86400000.0"
_DETAILS = (
    f"{_LIST}, min(created_at) AS first_at, max(created_at) AS last_at, {_END_MS} AS end_ms, "
    "max(session_name) AS name, group_concat(DISTINCT user_id) AS users"
)
SESSION_SORTS = ("recent", "cost", "requests", "tokens", "errors", "duration")
_REQUEST_COLUMNS = (
    "id, created_at, session_path, session_name, model, provider, status, error, cost_usd, "
    "prompt_tokens, completion_tokens, total_tokens, latency_ms, cache_status, user_id"
)


def sessions(
    reader: Reader,
    filters: Filters,
    now: float,
    *,
    limit: int | None = 50,
    sort: str = "recent",
) -> list[SessionRow]:
    """Sessions with requests matching ``filters``, most recent (or costliest, …) first.

    Figures count the matching requests only. The most recent sessions are found by reading
    the time index backwards until ``limit`` distinct sessions are seen; other orders, with
    only a time range, read the top of the session rollup's index for that order
    (``_session_rank.py``), else group the session index (in order, no sort) and rank the
    groups.
    """
    if sort not in SESSION_SORTS:
        raise OptionsError("sort", sort, ", ".join(SESSION_SORTS))
    if limit is not None and (isinstance(limit, bool) or limit < 1):
        raise OptionsError("limit", limit, "a positive number of sessions, or None for all")
    if sort == "recent" and limit:
        src = source(filters, now, "idx_requests_created_at")
        if filters.user is not None and not filters.properties:
            ids = _recent_of_user(reader, src, filters, now, limit)
        else:
            ids = _recent(reader, src, limit)
    else:
        found = None
        if limit and usable(reader, filters, sort, limit):
            found = ranked_from_rollup(reader, filters, now, sort, limit, _RANKS[sort])
        if found is None:
            found = _ranked(reader, source(filters, now, "idx_requests_session"), sort, limit)
        ids = found
    details = _details(reader, filters, now, ids)
    feedback = _session_scores(reader, ids)
    rows = [_row(details[i], feedback.get(i, {})) for i in ids if i in details]
    if sort == "recent":
        rows.sort(key=lambda r: r.last_at, reverse=True)
    return rows


def _recent(reader: Reader, src: Source, limit: int) -> list[str]:
    """The ``limit`` sessions with the latest requests, latest first: a prefix of the
    requests newest first, longer until it holds ``limit`` sessions (or all of them). A
    ``LIMIT`` rather than reading the ordered statement lazily: PostgreSQL's client cursor
    receives every row of a statement (all 1,000,000 session ids for the 50 most recent)."""
    sql = src.select("session_id", "ORDER BY created_at DESC LIMIT ?", "session_id IS NOT NULL")
    page = limit * 32
    while True:
        found = reader.values(sql, (*src.params, page))
        seen = list(dict.fromkeys(found))
        if len(seen) >= limit or len(found) < page:
            return seen[:limit]
        page *= 8


#: entries of the time index read back for one user's recent sessions before grouping
#: the user's own rows instead
_WALK = 50_000


def _recent_of_user(
    reader: Reader, src: Source, filters: Filters, now: float, limit: int
) -> list[str]:
    """One user's most recent sessions. Reading the time index back until ``limit``
    sessions are seen reads the whole log for a user with fewer sessions (150 ms on
    1,000,000 requests), and grouping the user's rows of the user index sorts them all
    (90 ms for the busiest user of that log). So: the walk back, over the newest
    ``_WALK`` requests of the range only; if it finds fewer than ``limit`` sessions, the
    user's rows, grouped by session, newest last request first."""
    everyone, _ = dataclasses.replace(filters, user=None).where(now)
    bound_sql = (
        f"SELECT created_at FROM requests INDEXED BY idx_requests_created_at WHERE {everyone} "
        "ORDER BY created_at DESC LIMIT 1 OFFSET ?"
    )
    _, time_params = dataclasses.replace(filters, user=None).where(now)
    bound = reader.values(bound_sql, (*time_params, _WALK))
    if not bound:  # the range holds fewer requests than that: the plain walk
        return _recent(reader, src, limit)
    walked = Source(src.table, f"{src.where} AND created_at >= ?", (*src.params, bound[0]))
    found = _recent(reader, walked, limit)
    if len(found) >= limit:
        return found
    where, params = filters.where(now)
    src = Source("requests INDEXED BY idx_requests_user", where, tuple(params))
    sql = src.select(
        "session_id, max(created_at) AS last",
        "GROUP BY session_id ORDER BY last DESC, session_id DESC LIMIT ?",
        "session_id IS NOT NULL",
    )
    return [str(r["session_id"]) for r in reader.rows(sql, (*src.params, limit))]


_RANKS = {
    "cost": "total(cost_usd)",
    "requests": "count(*)",
    "tokens": "total(total_tokens)",
    "errors": ERRORS_SUM,
    "duration": _DURATION,
    "recent": "max(created_at)",
}


def _ranked(reader: Reader, src: Source, sort: str, limit: int | None) -> list[str]:
    """Session ids by one aggregate (only that one: the scan covers every session)."""
    sql = src.select(
        f"session_id AS key, {_RANKS[sort]} AS rank",
        "GROUP BY session_id",
        "session_id IS NOT NULL",
    )
    rows = reader.rows(sql, src.params)
    rows.sort(key=lambda r: (r["rank"] or 0, r["key"]), reverse=True)
    return [r["key"] for r in (rows[:limit] if limit else rows)]


def _row(raw: dict[str, Any], scores: dict[str, ScoreValue]) -> SessionRow:
    start_ms = epoch_from_iso(raw["first_at"]) * 1000.0
    return SessionRow(
        session_id=raw["key"],
        name=raw["name"],
        requests=int(raw["requests"]),
        cost_usd=float(raw["cost_usd"] or 0.0),
        tokens=int(raw["tokens"] or 0),
        duration_ms=max(0.0, float(raw["end_ms"]) - start_ms),
        errors=int(raw["errors"] or 0),
        first_at=raw["first_at"],
        last_at=raw["last_at"],
        users=tuple(sorted(set((raw["users"] or "").split(",")) - {""})),
        scores=scores,
    )


def _details(
    reader: Reader, filters: Filters, now: float, ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Full figures of the chosen sessions, from the session index."""
    where, params = filters.where(now)
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (
            f"SELECT {_DETAILS} FROM requests INDEXED BY idx_requests_session "
            f"WHERE session_id IN ({', '.join('?' * len(chunk))}) AND {where} "
            "GROUP BY session_id"
        )
        out.update((r["key"], r) for r in reader.rows(sql, (*chunk, *params)))
    return out


def _session_scores(reader: Reader, ids: Sequence[str]) -> dict[str, dict[str, ScoreValue]]:
    out: dict[str, dict[str, ScoreValue]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        sql = (
            "SELECT session_id, name, value, value_type FROM session_scores "
            f"WHERE session_id IN ({', '.join('?' * len(chunk))})"
        )
        for r in reader.rows(sql, chunk):
            value = typed_value(r["value"], r["value_type"])
            out.setdefault(r["session_id"], {})[r["name"]] = value
    return out


def resolve_session(reader: Reader, session_id: str) -> str:
    """``session_id`` itself, or the one session id it is a unique prefix of."""
    if not isinstance(session_id, str) or not session_id:
        raise OptionsError("session", session_id, "a session id (or a unique prefix of one)")
    sql = "SELECT 1 FROM requests INDEXED BY idx_requests_session WHERE session_id = ? LIMIT 1"
    if reader.one(sql, (session_id,)) is not None:
        return session_id
    found = reader.values(
        "SELECT DISTINCT session_id FROM requests INDEXED BY idx_requests_session "
        "WHERE session_id >= ? AND session_id < ? LIMIT 2",
        (session_id, session_id + "\U0010ffff"),
    )
    if not found:
        raise UnknownSessionError(session_id, reader.store.location)
    if len(found) > 1:
        raise OptionsError("session", session_id, "a longer prefix: several sessions match")
    return str(found[0])


def session_tree(reader: Reader, session_id: str, filters: Filters, now: float) -> SessionTree:
    """One session (id or unique id prefix) as a tree of its ``filters``-matching requests."""
    session_id = resolve_session(reader, session_id)
    where, params = filters.where(now)
    rows = reader.rows(
        f"SELECT {_REQUEST_COLUMNS} FROM requests INDEXED BY idx_requests_session "
        f"WHERE session_id = ? AND {where} ORDER BY created_at, rowid",
        (session_id, *params),
    )
    scores: dict[str, dict[str, ScoreValue]] = {}
    for r in reader.rows(
        "SELECT s.request_id, s.name, s.value, s.value_type FROM scores s JOIN requests r "
        "ON r.id = s.request_id WHERE r.session_id = ?",
        (session_id,),
    ):
        scores.setdefault(r["request_id"], {})[r["name"]] = typed_value(r["value"], r["value_type"])
    requests = [
        SessionRequest(
            id=r["id"],
            path=normalize_path(r["session_path"]),
            created_at=r["created_at"],
            model=r["model"],
            provider=r["provider"],
            status=r["status"],
            error=r["error"],
            cost_usd=r["cost_usd"],
            prompt_tokens=r["prompt_tokens"],
            completion_tokens=r["completion_tokens"],
            total_tokens=r["total_tokens"],
            latency_ms=r["latency_ms"],
            cache_status=r["cache_status"],
            user_id=r["user_id"],
            scores=scores.get(r["id"], {}),
        )
        for r in rows
    ]
    name = next((r["session_name"] for r in rows if r["session_name"]), None)
    feedback = _session_scores(reader, [session_id]).get(session_id, {})
    return build_tree(session_id, requests, name=name, scores=feedback)
