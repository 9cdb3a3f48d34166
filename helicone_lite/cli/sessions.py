"""``helicone-lite sessions [show ID]``: sessions, and one session as a tree."""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import SESSIONS
from ._output import Column, Output, jsonable
from ._reporting import add_common, filters_from, no_rows, open_reports, run_safely

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
    show = actions.add_parser(
        "show", help="one session (its id or a unique prefix) as a tree, with request ids"
    )
    show.add_argument("session_id", metavar="ID")
    add_common(show)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("sessions", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    reports = open_reports(args)
    filters = filters_from(args)
    out = Output.from_args(args)
    if getattr(args, "action", None) == "show":
        tree = reports.session(args.session_id, filters)
        if out.mode == "json":
            out.json(tree)
        elif out.mode == "csv":  # the tree's requests, one row each (CSV has no nesting)
            out.rows(_TREE_REQUESTS, _requests_of(jsonable(tree)))
        else:
            out.rich(_no_wrap(tree.to_rich()))
        return 0
    rows = reports.sessions(filters, limit=args.limit or None, sort=args.sort)
    title = "Sessions" + (f" ({filters.describe()})" if filters.describe() else "")
    out.rows(SESSIONS, rows, title=title, empty=no_rows(args, "sessions"))
    return 0


#: the columns of ``sessions show ID --csv``: each request of the tree, with its path
_TREE_REQUESTS = tuple(
    Column(key)
    for key in (
        "session_id", "id", "path", "created_at", "model", "provider", "status", "error",
        "cost_usd", "prompt_tokens", "completion_tokens", "total_tokens", "latency_ms",
        "cache_status", "user_id", "scores",
    )
)


def _requests_of(session: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests of a session's tree (``--json`` shape), depth first, as flat rows."""
    found: list[dict[str, Any]] = []
    nodes = [session["tree"]]
    while nodes:
        node = nodes.pop()
        found += [{"session_id": session["session_id"], **r} for r in node["requests"]]
        nodes += reversed(node["children"])
    keys = [c.key for c in _TREE_REQUESTS]
    return [{k: r.get(k) for k in keys} for r in found]


def _no_wrap(tree: Any) -> Any:
    """Cut long tree lines with an ellipsis instead of wrapping them (ids stay whole: they
    come first on each line)."""
    tree.label.no_wrap = True
    tree.label.overflow = "ellipsis"
    for child in tree.children:
        _no_wrap(child)
    return tree
