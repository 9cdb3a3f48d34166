"""``helicone-lite alerts [history [ID]]``: the alert rules clients recorded, and firings."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import database_of
from ._reporting import add_common, console, emit_json, run_safely

__all__ = ["register"]


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
    from ..store import Store

    store = Store(database_of(args))
    if getattr(args, "action", None) == "history":
        return _history(args, store)
    return _rules(args, store)


def _history(args: argparse.Namespace, store: Any) -> int:
    from rich.table import Table

    from ..alerts import alert_events

    events = alert_events(
        store, args.alert_id, since=args.since, until=args.until, limit=args.limit or None
    )
    if args.json:
        emit_json(events)
        return 0
    table = Table(title="Alert history", title_justify="left")
    for column in ("fired at", "alert", "value", "message"):
        table.add_column(column, overflow="fold")
    for e in events:
        value = "" if e.value is None else f"{e.value:g}"
        table.add_row(e.fired_at.replace("T", " ")[:19], e.alert_id, value, e.message or "")
    console().print(table)
    return 0


def _rules(args: argparse.Namespace, store: Any) -> int:
    from rich.table import Table

    from ..alerts import stored_alerts

    rules = stored_alerts(store)
    if args.json:
        emit_json(rules)
        return 0
    table = Table(title="Alert rules", title_justify="left")
    columns = (
        "alert",
        "metric",
        "threshold",
        "window",
        "filters",
        "notify",
        "fired",
        "last fired",
        "on",
    )
    for column in columns:
        table.add_column(column, overflow="fold")
    for r in rules:
        table.add_row(
            r.id,
            r.metric or "",
            "" if r.threshold is None else f"{r.threshold:g}",
            f"{r.window_seconds:g} s" if r.window_seconds else "",
            ", ".join(f"{k}={v}" for k, v in r.filters.items()),
            ", ".join(r.channels),
            str(r.fired),
            (r.last_fired_at or "").replace("T", " ")[:19],
            "yes" if r.enabled else "no",
        )
    console().print(table)
    return 0
