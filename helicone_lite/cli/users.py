"""``helicone-lite users``: per user requests, cost, latency (mean, p95), errors, cache."""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import USERS
from ._output import Output
from ._reporting import add_common, filters_from, no_rows, open_reports, run_safely

__all__ = ["register"]

SORTS = ("cost", "requests", "tokens", "errors", "latency", "recent", "name")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "users", help="per user: requests, cost, tokens, latency (avg, p95), errors, cache hits"
    )
    parser.add_argument("-n", "--limit", type=int, default=50, help="how many (0: all)")
    parser.add_argument("--sort", choices=SORTS, default="cost", help="order (default cost)")
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("users", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    rows = open_reports(args).users(filters, limit=args.limit or None, sort=args.sort)
    out = Output.from_args(args)
    title = "Users" + (f" ({filters.describe()})" if filters.describe() else "")
    out.rows(USERS, rows, title=title, empty=no_rows(args))
    return 0
