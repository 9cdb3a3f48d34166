"""``helicone-lite alerts [history [ID]]``: the alert rules clients recorded, and firings."""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import when
from ._common import open_store
from ._output import Column, Output
from ._reporting import add_common, run_safely

__all__ = ["register"]

_HISTORY = (
    Column("fired_at", "fired at", kind="time", fmt=when),
    Column("alert_id", "alert", kind="id"),
    Column("value", kind="number", fmt=lambda v: "" if v is None else f"{v:g}"),
    Column("message"),
)
_RULES = (
    Column("id", "alert", kind="id"),
    Column("metric"),
    Column("threshold", kind="number", fmt=lambda v: "" if v is None else f"{v:g}"),
    Column(
        "window_seconds", "window", kind="number", fmt=lambda v: f"{v:g} s" if v else "", drop=3
    ),
    Column("filters", fmt=lambda v: ", ".join(f"{k}={x}" for k, x in (v or {}).items()), drop=5),
    Column("channels", "notify", fmt=lambda v: ", ".join(v or ()), drop=6),
    Column("fired", kind="number"),
    Column("last_fired_at", "last fired", kind="time", fmt=when, drop=4),
    Column("enabled", "on", fmt=lambda v: "yes" if v else "no", drop=2),
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "alerts", help="alert rules (cost, error rate, p95 latency) and when they fired"
    )
    add_common(parser, filters=False)
    actions = parser.add_subparsers(dest="action", metavar="history [ID]")
    history = actions.add_parser("history", help="firings, newest first (of one rule: ID)")
    history.add_argument("alert_id", nargs="?", metavar="ID")
    history.add_argument("-n", "--limit", type=int, default=50, help="how many (0: all)")
    add_common(history, filters=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("alerts", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    store = open_store(args)
    out = Output.from_args(args)
    if getattr(args, "action", None) == "history":
        from ..alerts import alert_events

        events = alert_events(
            store, args.alert_id, since=args.since, until=args.until, limit=args.limit or None
        )
        out.rows(_HISTORY, events, title="Alert history")
        return 0
    from ..alerts import stored_alerts

    out.rows(_RULES, stored_alerts(store), title="Alert rules")
    return 0
