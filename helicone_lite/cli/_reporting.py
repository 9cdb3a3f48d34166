"""What the report commands share: the filter options, ``--json``, errors, the store.

Every report command takes the same filters (``--since 7d --model gpt-4o --property
department=cardiology …``), turned into one :class:`helicone_lite.reports.Filters`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from .._errors import OptionsError
from ._common import database_of

__all__ = ["add_common", "console", "emit_json", "filters_from", "open_reports", "run_safely"]

_STATUS_HELP = "an HTTP status (429), a class (4xx, 5xx), ok or error"


def add_common(parser: argparse.ArgumentParser, *, filters: bool = True) -> None:
    """``--json``, ``--home`` (also accepted after the command) and the shared filters."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument(
        "--home", default=argparse.SUPPRESS, help="the helicone_lite home (as before the command)"
    )
    group = parser.add_argument_group("filters")
    group.add_argument("--since", help="from this time: 2026-11-01, 2026-11-01T09:00Z, or 24h, 7d")
    group.add_argument("--until", help="before this time (same forms as --since)")
    if not filters:
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
    group.add_argument("--prompt-id", help="only this prompt (Helicone-Prompt-Id)")
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


def console() -> Any:
    """A rich console; 140 columns wide when not a terminal (files, pipes), where 80 would
    fold the tables."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=140)


def open_reports(args: argparse.Namespace) -> Any:
    from ..reports import Reports
    from ..store import Store

    return Reports(Store(database_of(args)))


def emit_json(value: Any) -> None:
    from ..reports import to_jsonable

    json.dump(to_jsonable(value), sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def run_safely(name: str, work: Callable[[], int]) -> int:
    """Run a command; bad options and unknown ids become one line on stderr and exit 2."""
    from ..store import StoreError

    try:
        return work()
    except (ValueError, KeyError, StoreError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f"helicone-lite {name}: {message}", file=sys.stderr)
        return 2
