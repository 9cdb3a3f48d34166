"""``helicone-lite properties [NAME]``: cost and requests by a property's values."""

from __future__ import annotations

import argparse
from typing import Any

from ._reporting import add_common, console, emit_json, filters_from, open_reports, run_safely
from .users import SORTS

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "properties",
        help="cost and requests per value of a property (no NAME: the properties in use)",
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help="e.g. department, agent")
    parser.add_argument("-n", "--limit", type=int, default=0, help="how many values (0: all)")
    parser.add_argument("--sort", choices=SORTS, default="cost", help="order (default cost)")
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("properties", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from ..reports._render import group_table, names_table

    reports = open_reports(args)
    filters = filters_from(args)
    if args.name is None:
        names = reports.property_names(filters)
        emit_json(names) if args.json else console().print(names_table(names))
        return 0
    rows = reports.properties(args.name, filters, limit=args.limit or None, sort=args.sort)
    if args.json:
        emit_json(rows)
        return 0
    title = f"By property {args.name.lower()}"
    title += f" ({filters.describe()})" if filters.describe() else ""
    console().print(group_table(rows, title))
    return 0
