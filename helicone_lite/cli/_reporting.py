"""What the report commands share: the filter options, output options, errors, the store.

Every report command takes the same filters (``--since 7d --model gpt-4o --property
department=cardiology …``), turned into one :class:`helicone_lite.reports.Filters`, and the
same output options (``--json``, ``--csv``; see :mod:`._output`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .._errors import OptionsError
from ._common import CliError, open_store, store_path
from ._output import add_output

__all__ = ["add_common", "add_filters", "filters_from", "no_rows", "open_reports", "run_safely"]

_STATUS_HELP = "an HTTP status (429), a class (4xx, 5xx), ok or error"


def add_common(parser: argparse.ArgumentParser, *, filters: bool = True) -> None:
    """``--json``/``--csv``, ``--home`` (also accepted after the command), the shared filters."""
    add_output(parser)
    parser.add_argument(
        "--home", default=argparse.SUPPRESS, help="the helicone_lite home (as before the command)"
    )
    add_filters(parser, full=filters)


def add_filters(parser: argparse.ArgumentParser, *, full: bool = True) -> None:
    group = parser.add_argument_group("filters")
    group.add_argument("--since", help="from this time: 2026-11-01, 2026-11-01T09:00Z, or 24h, 7d")
    group.add_argument("--until", help="before this time (same forms as --since)")
    if not full:
        return
    group.add_argument("--model", help="only this model (as asked for)")
    group.add_argument("--provider", help="only this provider")
    group.add_argument("--user", help="only this user (Helicone-User-Id)")
    group.add_argument("--session", help="only this session id")
    group.add_argument("--status", help=f"only this status: {_STATUS_HELP}")
    group.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="only requests with this property value (repeatable: all must match)",
    )
    group.add_argument(
        "--prompt", "--prompt-id", dest="prompt_id", help="only this prompt (Helicone-Prompt-Id)"
    )
    group.add_argument("--prompt-version", type=int, help="only this prompt version")


def filters_from(args: argparse.Namespace) -> Any:
    """The :class:`Filters` the options describe (OptionsError for bad values)."""
    from ..reports import Filters

    properties: dict[str, str] = {}
    for item in getattr(args, "property", None) or ():
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise OptionsError("--property", item, "NAME=VALUE, e.g. department=cardiology")
        properties[name.strip()] = value
    return Filters(
        since=args.since,
        until=args.until,
        model=getattr(args, "model", None),
        provider=getattr(args, "provider", None),
        user=getattr(args, "user", None),
        session=getattr(args, "session", None),
        status=getattr(args, "status", None),
        properties=properties,
        prompt_id=getattr(args, "prompt_id", None),
        prompt_version=getattr(args, "prompt_version", None),
    )


def open_reports(args: argparse.Namespace) -> Any:
    from ..reports import Reports

    return Reports(open_store(args), clock=args.clock)


def no_rows(args: argparse.Namespace, what: str = "requests") -> str:
    """The line printed for an empty listing: ``no requests in PATH``."""
    return f"no {what} in {store_path(args)}"


def run_safely(name: str, work: Callable[[], int]) -> int:
    """Run a command; unknown ids (KeyError) become bad input (exit 2). Other errors are
    turned into one line by ``main``."""
    try:
        return work()
    except KeyError as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise CliError(str(message), status=2) from exc
