"""``helicone-lite query "SQL"``: read-only SQL over the store (our HQL)."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import CliError, open_store
from ._output import Column, Output, add_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "query",
        help="read-only SQL over the request log (tables: requests, request_properties, …)",
        description="Run one read-only SQL statement; write statements are refused.",
    )
    parser.add_argument("sql", help='e.g. "SELECT model, SUM(cost_usd) FROM requests GROUP BY 1"')
    add_output(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..store import StoreError
    from ..store._readonly import QUERY_SECONDS

    store = open_store(args)
    output = Output.from_args(args)
    try:
        if output.tty:  # a table fits its widths to every row: read them all
            rows = store.query(args.sql)
            names = list(rows[0]) if rows else []
            columns = [Column(name, kind=_kind(rows, name)) for name in names]
            output.rows(columns, rows)
            return 0
        # piped, --json, --csv: rows written as they are fetched (a server-side cursor on
        # PostgreSQL), memory flat whatever the result's size; the time limit is per fetch
        names, stream = store.query_stream(args.sql, timeout=QUERY_SECONDS)
        try:
            dicts = (dict(zip(names, row, strict=False)) for row in stream)
            output.rows([Column(name) for name in names], dicts, streamed=True)
        finally:
            stream.close()
    except StoreError as exc:  # the SQL is the user's input: exit 2
        raise CliError(str(exc), status=2) from exc
    return 0


def _kind(rows: list[dict[str, Any]], name: str) -> str:
    """Numbers are never cut; ids (and other text) may be, in a narrow terminal."""
    values = [r[name] for r in rows[:50] if r[name] is not None]
    if values and all(isinstance(v, (int, float)) for v in values):
        return "number"
    if name == "id" or name.endswith(("_id", "_at")):
        return "id"
    return "text"
