"""``helicone-lite export csv|jsonl``: the request log, filtered, as a file (with progress)."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack
from typing import Any

from ._common import counted
from ._reporting import add_common, filters_from, open_reports, run_safely

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("export", help="export requests as CSV or JSON lines")
    parser.add_argument("format", choices=("csv", "jsonl"), help="output format")
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    parser.add_argument(
        "--bodies", action="store_true", help="include request/response bodies and headers"
    )
    parser.add_argument("--columns", help="comma-separated columns (default: all but bodies)")
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("export", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from ..reports._export import write

    fmt = "jsonl" if args.json else "csv" if args.csv else args.format
    reports = open_reports(args)
    filters = filters_from(args)
    columns = [c.strip() for c in args.columns.split(",")] if args.columns else None
    chosen = columns or reports.export_columns(bodies=args.bodies)
    unknown = set(chosen) - set(reports.export_columns(bodies=True))
    if unknown:
        from .._errors import OptionsError

        raise OptionsError("--columns", ",".join(sorted(unknown)), "columns of requests")
    total = reports.export_count(filters)
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with ExitStack() as stack:
        out = (
            stack.enter_context(open(args.output, "w", newline="", encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        stack.enter_context(progress)
        task = progress.add_task(f"exporting {fmt}", total=total)
        count = write(
            reports.export(filters, columns=chosen),
            out,
            fmt,
            chosen,
            progress=lambda n: progress.update(task, completed=n),
        )
    if args.output:
        print(f"exported {counted(count, 'request')} to {args.output}", file=sys.stderr)
    return 0
