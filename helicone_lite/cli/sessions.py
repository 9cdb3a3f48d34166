"""``helicone-lite sessions [show ID]``: sessions, and one session as a tree."""

from __future__ import annotations

import argparse
from typing import Any

from ._reporting import add_common, console, emit_json, filters_from, open_reports, run_safely

__all__ = ["register"]

_SORTS = ("recent", "cost", "requests", "tokens", "errors", "duration")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sessions",
        help="sessions (requests, cost, duration…); 'sessions show ID' draws one as a tree",
        description="List sessions, most recent first, or show one as a tree of its paths.",
    )
    parser.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    parser.add_argument("--sort", choices=_SORTS, default="recent", help="order (default recent)")
    add_common(parser)
    actions = parser.add_subparsers(dest="action", metavar="show ID")
    show = actions.add_parser("show", help="one session (its id or a unique prefix) as a tree")
    show.add_argument("session_id", metavar="ID")
    add_common(show)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("sessions", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    reports = open_reports(args)
    filters = filters_from(args)
    if getattr(args, "action", None) == "show":
        tree = reports.session(args.session_id, filters)
        if args.json:
            emit_json(tree)
        else:
            console().print(tree.to_rich())
        return 0
    rows = reports.sessions(filters, limit=args.limit or None, sort=args.sort)
    if args.json:
        emit_json(rows)
        return 0
    from ..reports._render import sessions_table

    title = "Sessions" + (f" ({filters.describe()})" if filters.describe() else "")
    console().print(sessions_table(rows, title))
    return 0
