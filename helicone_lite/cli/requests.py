"""``helicone-lite requests [show ID] [--follow]``: the log, one request in full, or live.

``requests`` lists the most recent calls (newest first) with the shared filters plus
``--cache hit|miss``; ``requests show ID`` prints one call in full (see :mod:`._request_show`);
``requests --follow`` prints the last calls, then each new one as it is logged, until Ctrl-C
(it polls the store every ``--interval`` seconds, reading rows by ``rowid``, i.e. in the
order they were written).
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from typing import Any

from .._errors import OptionsError
from ._common import now_of, open_store
from ._output import Column, Output
from ._reporting import add_common, filters_from, no_rows, run_safely

__all__ = ["COLUMNS", "newest_ids", "register"]

_SELECT = (
    "SELECT rowid AS seq, id, created_at, provider, model, status, cache_status, "
    "prompt_tokens, completion_tokens, total_tokens, cost_usd, latency_ms, user_id, "
    "session_id, session_path, prompt_id, prompt_version, error FROM requests"
)
_CACHE = {"hit": "HIT", "miss": "MISS"}
_FOLLOW_BATCH = 1000
_CHUNK = 500  # ids per IN (...) lookup


def _when(value: Any) -> str:
    return "" if not value else str(value).replace("T", " ")[:19]


def _money(value: Any) -> str:
    return "" if value is None else f"${value:.6f}"


def _status(row: Any) -> str:
    return f"{row.get('status')} HIT" if row.get("cache_status") == "HIT" else str(row["status"])


#: the columns of the listing (JSON and CSV carry every selected column instead)
COLUMNS = (
    Column("id", kind="id"),
    Column("created_at", "time", kind="time", fmt=_when),
    Column("status", kind="id", of=_status),
    Column("model"),
    Column("cost_usd", "cost", kind="number", fmt=_money, drop=4),
    Column("total_tokens", "tokens", kind="number", drop=3),
    Column(
        "latency_ms", "ms", kind="number", fmt=lambda v: "" if v is None else f"{v:.0f}", drop=5
    ),
    Column("user_id", "user", drop=6),
    Column("session_id", "session", drop=7),
    Column("session_path", "path", drop=8),
    Column("error", drop=9),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "requests",
        help="recent calls (id, time, status, model, cost…); 'requests show ID'; --follow",
        description="List logged calls, newest first; show one in full; or follow new ones.",
    )
    parser.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    parser.add_argument("--errors", action="store_true", help="only failed calls (--status error)")
    parser.add_argument("--cache", choices=tuple(_CACHE), help="only cache hits, or misses")
    parser.add_argument(
        "-f", "--follow", action="store_true", help="then print new calls as they are logged"
    )
    parser.add_argument(
        "--interval", type=float, default=0.5, help="--follow: seconds between polls (0.5)"
    )
    add_common(parser)
    actions = parser.add_subparsers(dest="action", metavar="show ID")
    show = actions.add_parser("show", help="one request in full (its id or a unique prefix)")
    show.add_argument("request_id", metavar="ID")
    show.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("requests", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "show":
        from ._request_show import show

        return show(args)
    if args.limit < 0:
        raise OptionsError("--limit", args.limit, "0 or more")
    if args.interval <= 0:
        raise OptionsError("--interval", args.interval, "a number of seconds above 0")
    filters = _filters(args)
    now = now_of(args)
    store = open_store(args)
    out = Output.from_args(args)
    if args.follow:
        where, params = filters.where(now)
        return _follow(store, out, args, where, params, sleep=time.sleep)
    rows = _newest(store, filters, now, args.limit)
    out.rows(
        COLUMNS, [_clean(r) for r in rows], title="Requests, newest first", empty=no_rows(args)
    )
    return 0


def _filters(args: argparse.Namespace) -> Any:
    if args.errors:
        if args.status not in (None, "error"):
            raise OptionsError("--errors", "--status " + str(args.status), "one of the two")
        args.status = "error"
    filters = filters_from(args)
    if args.cache:
        filters = dataclasses.replace(filters, cache_status=_CACHE[args.cache])
    return filters


def newest_ids(filters: Any, now: float) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and params, a ``LIMIT ?`` to add) of the newest matching request ids."""
    from ..reports._source import Source, source

    if filters.first_property() is None and (filters.user or filters.session):
        where, params = filters.where(now)
        src = Source("requests", where, tuple(params))
    else:
        src = source(filters, now, "idx_requests_created_at")
    return src.select("id", "ORDER BY created_at DESC, id DESC LIMIT ?"), src.params


def _newest(store: Any, filters: Any, now: float, limit: int) -> list[dict[str, Any]]:
    """The ``limit`` newest matching requests: their ids from a covering index read newest
    first, then those rows. A property filter reads its ``(name, value, created_at)`` facts;
    a user or session filter lets SQLite take that column's index (the user's or session's
    rows, then sorted); any other filter walks the time index back until ``limit`` rows
    match. Left to itself SQLite took the model index for ``--model`` and sorted all of that
    model's rows (0.7 s on 1,000,000 requests), and built the whole id list of a property
    value before reading the time index (0.57 s)."""
    sql, params = newest_ids(filters, now)
    ids = [r["id"] for r in store.query(sql, [*params, limit])]
    by_id: dict[Any, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        found = store.query(f"{_SELECT} WHERE id IN ({', '.join('?' * len(chunk))})", chunk)
        by_id.update((r["id"], r) for r in found)
    return [by_id[i] for i in ids if i in by_id]


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row.pop("seq", None)
    return row


def _follow(
    store: Any,
    out: Output,
    args: argparse.Namespace,
    where: str,
    params: list[Any],
    *,
    sleep: Any,
) -> int:
    """The last ``--limit`` calls, oldest first, then each new one, until Ctrl-C."""
    rows = store.query(
        f"{_SELECT} WHERE {where} ORDER BY rowid DESC LIMIT ?", [*params, args.limit]
    )
    rows.reverse()
    top = store.query("SELECT COALESCE(MAX(rowid), 0) AS top FROM requests")[0]["top"]
    last = max([top, *(r["seq"] for r in rows)])
    out.rows(COLUMNS, (_clean(r) for r in rows), title="Requests (following; Ctrl-C stops)")
    while True:
        sleep(args.interval)
        top = store.query("SELECT COALESCE(MAX(rowid), 0) AS top FROM requests")[0]["top"]
        while last < top:  # rows not matching the filters are skipped over, not re-read
            upper = min(top, last + _FOLLOW_BATCH)
            new = store.query(
                f"{_SELECT} WHERE rowid > ? AND rowid <= ? AND {where} ORDER BY rowid",
                [last, upper, *params],
            )
            last = upper
            if new:
                out.rows(COLUMNS, (_clean(r) for r in new), header=False)
