"""``helicone-lite properties [NAME]``: cost and requests by a property's values."""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import NAMES, group_columns
from ._output import Output
from ._reporting import add_common, filters_from, open_reports, run_safely
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
    reports = open_reports(args)
    filters = filters_from(args)
    out = Output.from_args(args)
    suffix = f" ({filters.describe()})" if filters.describe() else ""
    if args.name is None:
        out.rows(NAMES, reports.property_names(filters), title="Properties" + suffix)
        return 0
    rows = reports.properties(args.name, filters, limit=args.limit or None, sort=args.sort)
    name = args.name.lower()
    out.rows(group_columns(name), rows, title=f"By property {name}{suffix}")
    return 0
