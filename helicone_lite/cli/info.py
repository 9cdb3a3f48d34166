"""``helicone-lite info``: what this installation uses and holds.

The version, the home and the store (path, size, schema version, row counts, first and last
request), the cache and rate-limit backends a client would use here, and whether Redis
answers. It never creates a store: without one it says so.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from ._common import home_of, open_store, redis_url_of, store_path
from ._output import Output, add_output

__all__ = ["register"]

_COUNTED = ("requests", "attempts", "scores", "session_scores", "prompts", "alerts", "alert_events")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "info", help="version, home, store (size, schema, row counts), backends, Redis status"
    )
    parser.add_argument(
        "--redis-url", help="the shared backend (default: $HELICONE_LITE_REDIS_URL)"
    )
    add_output(parser)
    parser.set_defaults(handler=run)


def _size(path: Path) -> int:
    total = 0
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            total += part.stat().st_size
    return total


def _bytes(value: int) -> str:
    amount = float(value)
    for unit in ("B", "KB", "MB", "GB"):
        if amount < 1024 or unit == "GB":
            return f"{amount:.0f} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(value)  # pragma: no cover


def _store_items(args: argparse.Namespace) -> list[tuple[str, Any]]:
    path = store_path(args)
    if not path.is_file():
        return [("store", f"none at {path} (run your app with helicone_lite.Client(...) first)")]
    store = open_store(args)
    try:
        items: list[tuple[str, Any]] = [
            ("store", str(path)),
            ("store size", _bytes(_size(path))),
            ("schema version", store.schema_version),
        ]
        for table in _COUNTED:
            count = store.query(f"SELECT count(*) AS n FROM {table}")[0]["n"]
            items.append((f"{table}", count))
        span = store.query(
            "SELECT (SELECT min(created_at) FROM requests) AS first, "
            "(SELECT max(created_at) FROM requests) AS last"
        )[0]
        items += [("first request", span["first"]), ("last request", span["last"])]
    finally:
        store.close()
    return items


def _backends(args: argparse.Namespace) -> list[tuple[str, Any]]:
    from ..cache._redis import redacted_url

    home = home_of(args)
    url = redis_url_of(args)
    if url is None:
        cache = home / "cache"
        limits = home / "ratelimit.slots"
        return [
            ("cache backend", f"diskcache {cache}" + ("" if cache.exists() else " (empty)")),
            ("rate-limit backend", f"slot file {limits}" + ("" if limits.exists() else " (empty)")),
            ("redis", "not configured (HELICONE_LITE_REDIS_URL, --redis-url)"),
        ]
    shown = redacted_url(url)
    return [
        ("cache backend", f"redis {shown}"),
        ("rate-limit backend", f"redis {shown}"),
        ("redis", _ping(url)),
    ]


def _ping(url: str) -> str:
    try:
        import redis
    except ImportError:
        return "cannot check: the redis package is not installed (pip install helicone-lite[redis])"
    client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
    start = time.perf_counter()
    try:
        client.ping()
    except Exception as exc:  # any failure is the answer here
        return f"does not answer: {type(exc).__name__}: {exc}"
    finally:
        client.close()
    return f"answers ({(time.perf_counter() - start) * 1000:.1f} ms)"


def run(args: argparse.Namespace) -> int:
    from importlib.metadata import PackageNotFoundError, version

    try:
        installed = version("helicone-lite")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from .. import __version__ as installed
    items: list[tuple[str, Any]] = [("version", installed), ("home", str(home_of(args)))]
    items += _store_items(args)
    items += _backends(args)
    Output.from_args(args).pairs(items, title="helicone_lite")
    return 0
