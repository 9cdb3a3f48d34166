"""``helicone-lite cache stats|clear``: what the cache holds and saved, and emptying it.

The backend is the one a client would use: Redis when ``--redis-url`` (or
``HELICONE_LITE_REDIS_URL``) is given, else diskcache in ``<home>/cache``. Hit rate and money
saved come from the request log (a hit's saving is the cost of the call it was served from).
"""

from __future__ import annotations

import argparse
from typing import Any

from ._common import counted, home_of, now_of, open_store, redis_url_of
from ._output import Column, Output, add_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "cache", help="cache stats (entries, hit rate, money saved), clear"
    )
    parser.add_argument("--redis-url", help="the shared cache (default: $HELICONE_LITE_REDIS_URL)")
    actions = parser.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    stats = actions.add_parser("stats", help="entries, size, hit rate, money saved; by model/seed")
    add_output(stats)
    stats.set_defaults(handler=run_stats)
    clear = actions.add_parser("clear", help="remove cached answers (all, or by seed / model)")
    clear.add_argument("--seed", help="only entries saved under this Helicone-Cache-Seed")
    clear.add_argument("--model", help="only entries for this model (as requested)")
    clear.set_defaults(handler=run_clear)


def _backend(args: argparse.Namespace, *, create: bool) -> Any:
    url = redis_url_of(args)
    if url:
        from ..cache import RedisCacheBackend

        return RedisCacheBackend(url, timeout=5.0)
    directory = home_of(args) / "cache"
    if not create and not directory.exists():
        return None
    from ..cache import DiskCacheBackend

    return DiskCacheBackend(directory, size_limit=None, eviction_policy=None)


def _money(value: Any) -> str:
    return "" if value is None else f"${value:.6f}"


def _size(value: Any) -> str:
    if value is None:
        return ""
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)  # pragma: no cover


def _groups(report: dict[str, Any], name: str, label: str) -> list[dict[str, Any]]:
    out = []
    for key, row in sorted(report[name].items(), key=lambda kv: -(kv[1].get("hits") or 0)):
        rate = row.get("hit_rate")
        out.append(
            {
                label: key,
                "entries": row.get("entries", 0),
                "size": _size(row.get("bytes", 0)),
                "hits": row.get("hits", 0),
                "misses": row.get("misses", 0),
                "hit rate": "" if rate is None else f"{rate:.1%}",
                "saved": _money(row.get("saved_usd", 0.0)),
            }
        )
    return out


def _group_columns(label: str) -> tuple[Column, ...]:
    return (
        Column(label),
        *(Column(name, kind="number") for name in ("entries", "size", "hits", "misses")),
        Column("hit rate", kind="number"),
        Column("saved", kind="number"),
    )


def run_stats(args: argparse.Namespace) -> int:
    from ..cache import cache_report

    store = open_store(args)
    backend = _backend(args, create=False)
    try:
        stored = backend.stats(now_of(args)) if backend is not None else None
    finally:
        if backend is not None:
            backend.close()
    report = cache_report(store, stored)
    out = Output.from_args(args)
    if out.mode == "json":
        out.json(report)
        return 0
    rate = report["hit_rate"]
    summary = [
        ("backend", report["backend"] or f"diskcache {home_of(args) / 'cache'} (empty)"),
        ("entries", f"{report['entries'] or 0} in {counted(report['buckets'] or 0, 'bucket')}"),
        (
            "size",
            _size(report["size_bytes"] or 0)
            + (
                f" (on disk {_size(report['disk_bytes'])} of {_size(report['size_limit'])})"
                if report["disk_bytes"] is not None
                else ""
            ),
        ),
        (
            "lookups",
            f"{report['lookups']} ({counted(report['hits'], 'hit')}, "
            f"{counted(report['misses'], 'miss', 'misses')})",
        ),
        ("hit rate", "" if rate is None else f"{rate:.1%}"),
        (
            "money saved",
            _money(report["saved_usd"])
            + (
                f" ({counted(report['unpriced_hits'], 'hit')} of unknown cost)"
                if report["unpriced_hits"]
                else ""
            ),
        ),
    ]
    out.pairs(summary, title="Cache")
    if out.mode == "csv":
        return 0
    for name, label in (("by_model", "model"), ("by_seed", "seed")):
        if report[name]:
            out.line()
            out.rows(_group_columns(label), _groups(report, name, label), title=f"By {label}")
    return 0


def run_clear(args: argparse.Namespace) -> int:
    backend = _backend(args, create=False)
    if backend is None:
        print("cache: nothing to clear (no cache yet)")
        return 0
    try:
        removed = backend.clear(seed=args.seed, model=args.model)
    finally:
        backend.close()
    scope = " and ".join(
        f"{name} {value!r}" for name, value in (("seed", args.seed), ("model", args.model)) if value
    )
    print(
        f"cache: removed {counted(removed, 'entry')}"
        + (f" ({scope})" if scope else "")
    )
    return 0
