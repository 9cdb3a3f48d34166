"""What the sub-commands share: where the home and the store are, and how errors read.

Read commands open the store with :func:`open_store`, which refuses a home that holds no
store (it never creates one); :class:`CliError` is a message for stderr and an exit status.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .._home import default_home

__all__ = [
    "STORE_FILE",
    "CliError",
    "counted",
    "home_of",
    "now_of",
    "open_store",
    "redis_url_of",
    "store_path",
]

STORE_FILE = "helicone.db"


class CliError(Exception):
    """One line for stderr (``helicone-lite COMMAND: message``) and the exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and its noun, agreeing: ``1 request``, ``2 requests``, ``1 cache entry``,
    ``0 cache entries`` (``plural`` for a noun that takes neither ``-s`` nor ``-ies``).

    >>> counted(1, "request"), counted(1_200, "request"), counted(2, "property")
    ('1 request', '1,200 requests', '2 properties')
    """
    if n == 1:
        return f"1 {noun}"
    if plural is None:
        consonant_y = noun.endswith("y") and noun[-2:-1] not in ("a", "e", "i", "o", "u")
        plural = noun[:-1] + "ies" if consonant_y else noun + "s"
    return f"{n:,} {plural}"


def now_of(args: argparse.Namespace) -> float:
    """"Now" in epoch seconds: the clock ``main`` was given (the real one by default)."""
    clock: Callable[[], float] = args.clock
    return clock()


def home_of(args: argparse.Namespace) -> Path:
    """``--home`` (before or after the command), else ``$HELICONE_LITE_HOME`` or the data dir."""
    home = getattr(args, "home", None)
    return Path(home).expanduser() if home else default_home()


def store_path(args: argparse.Namespace) -> Path:
    return home_of(args) / STORE_FILE


def database_of(args: argparse.Namespace) -> Any:
    """``--database-url`` (or ``$HELICONE_LITE_DATABASE_URL``), else ``<home>/helicone.db``."""
    import os

    from ..store._engine import resolve_database

    url = getattr(args, "database_url", None) or os.environ.get("HELICONE_LITE_DATABASE_URL")
    return resolve_database(url) or store_path(args)


def open_store(args: argparse.Namespace, *, create: bool = False) -> Any:
    """The store (``--database-url`` or the home's file); CliError when a SQLite file is
    missing (unless ``create``): a report never creates an empty store."""
    from ..store import Store

    database = database_of(args)
    if not create and isinstance(database, Path) and not database.is_file():
        raise CliError(
            f"no store at {database}; run your app with helicone_lite.Client(...) first"
        )
    return Store(database)


def redis_url_of(args: argparse.Namespace) -> str | None:
    """``--redis-url``, else ``$HELICONE_LITE_REDIS_URL``."""
    return getattr(args, "redis_url", None) or os.environ.get("HELICONE_LITE_REDIS_URL") or None


def bucket_store(args: argparse.Namespace) -> Any:
    """The rate-limit bucket store the command reads: Redis when a URL is set, else the
    home's slot file if there is one (None: no bucket was ever taken there)."""
    from ..ratelimit import local_exists, open_buckets

    url, home = redis_url_of(args), home_of(args)
    return open_buckets(home, redis_url=url) if url or local_exists(home) else None


def console() -> Any:
    """A rich console on stdout (progress bars of long commands such as ``migrate``)."""
    from rich.console import Console

    return Console()
