"""``helicone-lite threats``: per user, the calls LLM security flagged or blocked."""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import THREATS
from ._output import Output
from ._reporting import add_common, filters_from, no_rows, open_reports, run_safely

__all__ = ["register"]

SORTS = ("threats", "blocked", "score", "recent", "rate", "name")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "threats",
        help="per user: calls LLM security screened, flagged and blocked, by category",
    )
    parser.add_argument("-n", "--limit", type=int, default=50, help="how many (0: all)")
    parser.add_argument("--sort", choices=SORTS, default="threats", help="order (default threats)")
    parser.add_argument(
        "--all", dest="include_clean", action="store_true", help="users with no threat too"
    )
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("threats", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    rows = open_reports(args).threats(
        filters, limit=args.limit or None, sort=args.sort, include_clean=args.include_clean
    )
    out = Output.from_args(args)
    title = "Threats" + (f" ({filters.describe()})" if filters.describe() else "")
    out.rows(THREATS, rows, title=title, empty=no_rows(args, "flagged or blocked calls"))
    return 0
