"""``helicone-lite prune | delete | vacuum``: retention, privacy deletions, compaction.

* ``prune --older-than 30d`` deletes requests created before the cutoff (an age or a date)
  with their properties, attempts, scores and feedback, and older alert firings;
* ``delete --user ID`` (a privacy request) or ``delete --session ID`` (its id or a unique
  prefix) deletes those requests with the same, and the cache entries their answers filled;
* ``vacuum`` compacts the file (SQLite ``VACUUM``).

``prune`` and ``delete`` print what they would remove and ask before doing it, unless
``--yes``. See :mod:`helicone_lite.store._retention` for what goes with a request.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from .._errors import OptionsError
from ._common import (
    CliError,
    bucket_store,
    counted,
    home_of,
    now_of,
    open_store,
    redis_url_of,
    store_path,
)
from ._output import Output, add_output, safe_text

__all__ = ["register"]


def register(subparsers: Any) -> None:
    prune = subparsers.add_parser(
        "prune", help="delete requests older than an age (30d) with everything they refer to"
    )
    prune.add_argument(
        "--older-than",
        required=True,
        metavar="AGE",
        help="an age (90d, 12h, 2w) or a date (2026-01-01): older requests are deleted",
    )
    _common(prune)
    prune.set_defaults(handler=run_prune)
    delete = subparsers.add_parser(
        "delete",
        help="delete one user's or one session's requests, scores and cache entries"
        " (and a user's rate-limit buckets)",
    )
    who = delete.add_mutually_exclusive_group(required=True)
    who.add_argument("--user", help="every request of this user (Helicone-User-Id)")
    who.add_argument("--session", help="every request of this session (id or unique prefix)")
    delete.add_argument(
        "--redis-url", help="the shared cache and rate limits (default: $HELICONE_LITE_REDIS_URL)"
    )
    _common(delete)
    delete.set_defaults(handler=run_delete)
    vacuum = subparsers.add_parser("vacuum", help="compact the store file (SQLite VACUUM)")
    vacuum.add_argument(
        "--page-size",
        type=int,
        help="rewrite the file with pages of this size (8192: what new stores get); every"
        " other process using the store must be stopped first",
    )
    add_output(vacuum)
    vacuum.set_defaults(handler=run_vacuum)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_output(parser)


def _confirm(args: argparse.Namespace, plan: Any, what: str) -> bool:
    """Say what would go and ask; True when it may (the user typed y). With ``--yes``
    nothing is asked or said here (the command reports what it removed), so the caller
    counts only the requests, for the progress line."""
    if args.yes:
        return True
    print(f"{what}: {_describe(plan.counts())} in {store_path(args)}", file=sys.stderr)
    if plan.requests == 0 and plan.alert_events == 0:
        return True
    print("delete them? [y/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def _progress(total: int, verb: str) -> Callable[[int], None] | None:
    """On a terminal (stderr), a line that counts the requests removed so far: a deletion
    costs ~0.25 s of CPU per 1,000 requests of a big user (docs/cli.md), so a large one
    takes seconds to minutes. Nothing when stderr is piped."""
    if not sys.stderr.isatty() or total <= 0:
        return None

    def show(done: int) -> None:
        end = "\n" if done >= total else ""
        line = f"\r{verb}: {done:,} of {counted(total, 'request')}"
        print(line, end=end, file=sys.stderr, flush=True)

    return show


def _wal_note(removed: Any) -> None:
    if removed.requests and removed.wal_emptied is False:  # (None: PostgreSQL)
        print(
            "note: another connection was reading; deleted rows stay in the WAL file until "
            "its next complete checkpoint (helicone-lite vacuum does one)",
            file=sys.stderr,
        )


def _report(args: argparse.Namespace, removed: Any, extra: dict[str, Any]) -> None:
    out = Output.from_args(args)
    if out.mode in ("json", "csv"):
        out.pairs([*removed.counts().items(), *extra.items()])
        return
    out.line(f"removed {_describe({**removed.counts(), **extra})} from {store_path(args)}")


#: the singular of each count a deletion reports (``Removed.counts()`` and ``cache_entries``)
_NOUNS = {
    "requests": "request",
    "properties": "property",
    "attempts": "attempt",
    "scores": "score",
    "session_scores": "session score",
    "alert_events": "alert event",
    "cache_entries": "cache entry",
    "rate_limit_buckets": "rate-limit bucket",
}


def _describe(counts: dict[str, int]) -> str:
    """``1 request, 2 properties, 1 cache entry``: the non-zero counts (no cache, or none of
    its entries were theirs: the cache is not mentioned), or ``nothing``."""
    shown = [
        counted(n, _NOUNS[name]) if name in _NOUNS else f"{n:,} {name.replace('_', ' ')}"
        for name, n in counts.items()
        if n
    ]
    return ", ".join(shown) or "nothing"


def run_prune(args: argparse.Namespace) -> int:
    from ..reports import parse_time
    from ..store._retention import count_prune, prune

    before = parse_time(args.older_than, now_of(args), "--older-than")
    assert before is not None
    store = open_store(args)
    plan = count_prune(store, before, requests_only=args.yes)
    if not _confirm(args, plan, f"requests before {before}"):
        raise CliError("nothing deleted")
    removed = prune(store, before, progress=_progress(plan.requests, "pruning"))
    _wal_note(removed)
    _report(args, removed, {})
    return 0


def _session(store: Any, prefix: str) -> str:
    rows = store.query(
        "SELECT DISTINCT session_id FROM requests WHERE session_id >= ? AND session_id < ? "
        "ORDER BY session_id LIMIT 2",
        [prefix, prefix + "\U0010ffff"],
    )
    ids = [r["session_id"] for r in rows]
    if prefix in ids:
        return prefix
    if len(ids) > 1:
        raise CliError(f"{safe_text(prefix)!r} is the start of several session ids", status=2)
    return ids[0] if ids else prefix


def run_delete(args: argparse.Namespace) -> int:
    from ..store._retention import count_requests, delete_requests

    if args.user is not None and not args.user:
        raise OptionsError("--user", args.user, "a user id")
    store = open_store(args)
    session = _session(store, args.session) if args.session else None
    who = f"user {args.user}" if args.user is not None else f"session {session}"
    plan = count_requests(store, user=args.user, session=session, requests_only=args.yes)
    if not _confirm(args, plan, safe_text(who)):
        raise CliError("nothing deleted")
    removed = delete_requests(
        store, user=args.user, session=session, progress=_progress(plan.requests, "deleting")
    )
    _wal_note(removed)
    entries = _forget_cache(args, removed.request_ids)
    buckets = _forget_buckets(args, args.user) if args.user is not None else 0
    _report(args, removed, {"cache_entries": entries, "rate_limit_buckets": buckets})
    return 0


def _forget_buckets(args: argparse.Namespace, user: str) -> int:
    """Forget the user's rate-limit buckets (``s=user`` policies), and with them the user's id
    in the bucket store (a privacy request leaves no trace there)."""
    store = bucket_store(args)
    if store is None:
        return 0
    try:
        return int(store.reset(segment=f"user={user}"))
    finally:
        store.close()


def _forget_cache(args: argparse.Namespace, request_ids: list[str]) -> int:
    """Remove the cached answers the deleted requests produced (Redis or the home's cache)."""
    if not request_ids:
        return 0
    url = redis_url_of(args)
    backend: Any
    if url:
        from ..cache import RedisCacheBackend

        backend = RedisCacheBackend(url, timeout=5.0)
    else:
        directory = home_of(args) / "cache"
        if not directory.exists():
            return 0
        from ..cache import DiskCacheBackend

        backend = DiskCacheBackend(directory, size_limit=None, eviction_policy=None)
    try:
        return int(backend.forget(frozenset(request_ids)))
    finally:
        backend.close()


def run_vacuum(args: argparse.Namespace) -> int:
    from ..store._retention import vacuum

    store = open_store(args)
    if args.page_size is not None and store.engine != "sqlite":
        raise CliError("--page-size is for a SQLite store (PostgreSQL has its own pages)")
    try:
        before, after = vacuum(store, args.page_size)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    out = Output.from_args(args)
    if out.mode in ("json", "csv"):
        out.pairs([("bytes_before", before), ("bytes_after", after)])
        return 0
    out.line(f"vacuumed {store_path(args)}: {before / 1e6:.1f} MB -> {after / 1e6:.1f} MB")
    return 0
