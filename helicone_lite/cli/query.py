"""``helicone-lite query "SQL"``: read-only SQL over the store (our HQL)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import open_store, print_rows

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "query",
        help="read-only SQL over the request log (tables: requests, request_properties, …)",
        description="Run one read-only SQL statement; write statements are refused.",
    )
    parser.add_argument("sql", help='e.g. "SELECT model, SUM(cost_usd) FROM requests GROUP BY 1"')
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")
    parser.add_argument("--json", dest="format", action="store_const", const="json")
    parser.add_argument("--csv", dest="format", action="store_const", const="csv")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError

    store = open_store(args)
    try:
        rows = store.query(args.sql)
    except StoreError as exc:
        print(f"helicone-lite query: {exc}", file=sys.stderr)
        return 2
    print_rows(rows, args.format)
    return 0
