"""``helicone-lite costs``: where the money goes (by model, provider, user, property), and
when (``--every hour|day|week``); plus what the cache saved.

``--json`` prints one object (``{"by", "rows", "total", "cache"}``, or ``{"every", "by",
"buckets"}``); ``--csv`` and piped output the rows; a terminal also gets the total and the
cache savings below the table."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .._errors import OptionsError
from ._columns import costs_columns, group_columns
from ._common import counted, now_of
from ._output import Output
from ._reporting import add_common, filters_from, open_reports, run_safely

__all__ = ["register"]


def _by(value: str) -> str:
    if value in ("model", "provider", "user") or (
        value.startswith("property:") and value[len("property:") :].strip()
    ):
        return value
    raise argparse.ArgumentTypeError("model, provider, user or property:NAME")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "costs", help="cost by model/provider/user/property, or over time (--every day)"
    )
    parser.add_argument(
        "--by", type=_by, help="model (default without --every), provider, user, property:NAME"
    )
    parser.add_argument("--every", choices=("hour", "day", "week"), help="a time series")
    parser.add_argument("--top", type=int, default=8, help="groups shown by name (default 8)")
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("costs", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from ..reports._render import money

    if args.top < 1:
        raise OptionsError("--top", args.top, "at least 1")
    reports = open_reports(args)
    filters = filters_from(args)
    out = Output.from_args(args)
    suffix = f" ({filters.describe()})" if filters.describe() else ""
    if args.every:
        rows = reports.costs(filters, every=args.every, by=args.by, top=args.top)
        if out.mode == "json":
            out.json({"every": args.every, "by": args.by, "buckets": rows})
            return 0
        title = f"Cost every {args.every}" + (f" by {args.by}" if args.by else "") + suffix
        out.rows(costs_columns(args.by is not None), rows, title=title)
        return 0
    by = args.by or "model"
    groups = reports.breakdown(by, filters)
    total = reports.summary(filters)
    savings = reports.cache_savings(filters)
    unpriced = _unpriced(reports, filters, now_of(args))
    if out.mode == "json":
        out.json({"by": by, "rows": groups, "total": total, "cache": savings, "unpriced": unpriced})
        return 0
    out.rows(group_columns(by), groups, title=f"Cost by {by}{suffix}")
    note = (
        f"{counted(unpriced, 'request')} of unknown cost, not counted as $0:\n"
        "  add their price to prices.json, then run `helicone-lite reprice`"
    )
    if not out.tty:
        if unpriced:  # the table stays clean for a pipe; the warning goes to stderr
            print(note, file=sys.stderr)
        return 0
    cost = "unknown" if unpriced and unpriced == total.requests else money(total.cost_usd)
    requests, tokens = counted(total.requests, "request"), counted(total.tokens, "token")
    out.line(f"total: {requests}, {cost}, {tokens}")
    if unpriced:
        for line in note.splitlines():
            out.line(line)
    out.line(
        f"cache: {counted(savings.hits, 'hit')} of {counted(savings.requests, 'request')} "
        f"({savings.hit_rate * 100:.1f} %), saved {money(savings.saved_usd)} and "
        f"{counted(savings.saved_tokens, 'token')}"
    )
    return 0


def _unpriced(reports: Any, filters: Any, now: float) -> int:
    """Successful, non-cached requests the filters select whose cost is unknown."""
    where, params = filters.where(now)
    sql = (
        f"SELECT COUNT(*) AS n FROM requests WHERE ({where}) AND cost_usd IS NULL "
        "AND status = 200 AND (cache_status IS NULL OR cache_status != 'HIT')"
    )
    rows = reports.store.query(sql, tuple(params))
    return int(rows[0]["n"]) if rows else 0
