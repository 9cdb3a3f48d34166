"""``helicone-lite limits``: the live rate-limit buckets; ``limits reset`` refills them.

A bucket is live while it is not full (a full bucket and a missing one are the same). The
buckets are read from ``<home>/ratelimit.slots``, or from Redis with ``--redis-url`` (default
``$HELICONE_LITE_REDIS_URL``), as the clients that filled them were configured.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import bucket_store, counted, now_of
from ._output import Column, Output, add_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "limits",
        help="live rate-limit buckets (policy, segment, remaining, reset); 'limits reset'",
        description="List the rate-limit buckets that are not full, or reset some.",
    )
    _store_options(parser)
    add_output(parser)
    parser.set_defaults(handler=run_list)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    reset = actions.add_parser(
        "reset",
        help="refill buckets: one policy (and segment), or --all",
        description="Refill the buckets of POLICY (all its segments, or SEGMENT's), or all.",
    )
    reset.add_argument("policy", nargs="?", help="e.g. '100;w=3600;s=user'")
    reset.add_argument(
        "segment", nargs="?", help="'user=alice', 'department=cardiology', 'global', or the value"
    )
    reset.add_argument("--all", action="store_true", help="refill every bucket")
    _store_options(reset)
    reset.set_defaults(handler=run_reset)


def _store_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-url",
        default=argparse.SUPPRESS,
        help="read the buckets from Redis (default: $HELICONE_LITE_REDIS_URL, else the home)",
    )


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    return "".join(f"{n}{unit}" for n, unit in parts if n)


_COLUMNS = (
    Column("policy", kind="id"),
    Column("segment"),
    Column("remaining", kind="number"),
    Column("limit", kind="number"),
    Column("reset", "full in", kind="number", fmt=lambda v: _duration(int(v))),
)


def run_list(args: argparse.Namespace) -> int:
    buckets = bucket_store(args)
    now = now_of(args)
    rows = [s.describe(now) for s in buckets.states(now)] if buckets is not None else []
    out = Output.from_args(args)
    out.rows(
        _COLUMNS,
        rows,
        title="Live rate-limit buckets",
        empty="No live rate-limit buckets (every bucket is full).",
    )
    return 0


def _target(args: argparse.Namespace) -> tuple[str | None, str | None]:
    """The stored (policy, segment) that ``reset`` names, normalised like the limiter's."""
    from ..options import RateLimitPolicy
    from ..options._values import parse_policies

    [policy] = parse_policies(args.policy)
    segment: str | None = args.segment
    if segment is not None and "=" not in segment and segment != "global":
        segment = f"{policy.segment}={segment}" if policy.segment else "global"
    if policy.segment == "property" and segment and "=" in segment:
        name = segment.partition("=")[0]
        policy = RateLimitPolicy(policy.quota, policy.window, policy.unit, name)
    return policy.normalised(), segment


def run_reset(args: argparse.Namespace) -> int:
    from .._errors import OptionsError

    if not args.all and not args.policy:
        print("helicone-lite limits reset: name a POLICY (and SEGMENT), or --all", file=sys.stderr)
        return 2
    try:
        policy, segment = (None, None) if args.all else _target(args)
    except (OptionsError, ValueError) as exc:
        print(f"helicone-lite limits reset: {exc}", file=sys.stderr)
        return 2
    buckets = bucket_store(args)
    count = buckets.reset(policy, segment) if buckets is not None else 0
    print(f"Reset {counted(count, 'bucket')}.")
    return 0
