"""``helicone-lite scores``: feedback and scores, averaged per model, prompt, user, node…"""

from __future__ import annotations

import argparse
from typing import Any

from ._columns import SCORES
from ._output import Output
from ._reporting import add_common, filters_from, open_reports, run_safely

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
    title = f"Scores by {args.by}" + (f" ({filters.describe()})" if filters.describe() else "")
    Output.from_args(args).rows(SCORES, rows, title=title)
    return 0
