"""``helicone-lite scores``: feedback and scores, averaged per model, prompt, user, node…"""

from __future__ import annotations

import argparse
from typing import Any

from ._reporting import add_common, console, emit_json, filters_from, open_reports, run_safely

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "scores", help="mean scores and feedback per model, prompt version, user, session path"
    )
    parser.add_argument(
        "--by",
        default="model",
        help="model (default), provider, user, prompt, path (session node), session, all, "
        "property:NAME",
    )
    add_common(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return run_safely("scores", lambda: _run(args))


def _run(args: argparse.Namespace) -> int:
    filters = filters_from(args)
    rows = open_reports(args).scores(filters, by=args.by)
    if args.json:
        emit_json(rows)
        return 0
    from ..reports._render import scores_table

    title = f"Scores by {args.by}" + (f" ({filters.describe()})" if filters.describe() else "")
    console().print(scores_table(rows, title))
    return 0
