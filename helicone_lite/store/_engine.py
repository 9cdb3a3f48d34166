"""What the store's two engines (SQLite, PostgreSQL) have in common, seen from the callers.

Product code (prompt registry, scores, alerts, reports) talks to a :class:`Connection`: a
DB-API-like object whose ``execute`` takes SQLite-spelled SQL (``?`` placeholders) and returns
a cursor. ``sqlite3.Connection`` is one as it is; on PostgreSQL it is a thin wrapper that
translates the statement (``_dialect.py``). Nothing here imports a database driver.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

__all__ = [
    "Connection",
    "Cursor",
    "describe_url",
    "is_database_url",
    "refuse_url_as_path",
    "resolve_database",
    "store_location",
]

Params = Sequence[Any] | Mapping[str, Any]
_POSTGRES_SCHEMES = frozenset({"postgresql", "postgres"})
#: a PostgreSQL URL, possibly with its '//' collapsed by pathlib
_URL_AS_PATH = re.compile(r"^\s*(postgres(?:ql)?):/+", re.IGNORECASE)


class Cursor(Protocol):
    """The part of a DB-API cursor the package uses."""

    @property
    def description(self) -> Any: ...

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def fetchmany(self, size: int = ..., /) -> list[Any]: ...

    def close(self) -> None: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """A connection that runs the store's SQL (SQLite spelling) on either engine."""

    def execute(self, sql: str, parameters: Params = ..., /) -> Cursor: ...

    def executemany(self, sql: str, parameters: Iterable[Params], /) -> Cursor: ...

    @property
    def in_transaction(self) -> bool: ...


def is_database_url(location: object) -> bool:
    """True for a PostgreSQL URL (``postgresql://`` or ``postgres://``); False for a path.

    >>> is_database_url("postgresql://app@db.internal/helicone"), is_database_url("/tmp/h.db")
    (True, False)
    """
    if not isinstance(location, str):
        return False
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.lower() in _POSTGRES_SCHEMES


def refuse_url_as_path(option: str, location: object) -> None:
    """OptionsError if ``location``, meant as a SQLite file path, is a PostgreSQL URL: one
    given where a path is expected, or turned into a path (``Path("postgresql://h/db")`` is
    ``postgresql:/h/db``), would otherwise become a SQLite file named after the URL.

    >>> from pathlib import Path
    >>> refuse_url_as_path("db", Path("postgresql://app:pw@db.internal/helicone"))
    Traceback (most recent call last):
    ...
    helicone_lite._errors.OptionsError: db: 'postgresql://app@db.internal/helicone' is not allowed; expected a SQLite file path (give a PostgreSQL URL as a str, to database_url= or Store(url))
    """
    text = os.fspath(location) if isinstance(location, (str, os.PathLike)) else None
    if not isinstance(text, str):
        return
    match = _URL_AS_PATH.match(text)
    if match is None:
        return
    from .._errors import OptionsError

    url = f"{match.group(1)}://{text[match.end() :]}"
    raise OptionsError(
        option,
        describe_url(url),
        "a SQLite file path (give a PostgreSQL URL as a str, to database_url= or Store(url))",
    )


def describe_url(url: str) -> str:
    """The URL without its password (and without query options), for messages.

    >>> describe_url("postgresql://app:s3cret@db.internal:5433/helicone?sslmode=require")
    'postgresql://app@db.internal:5433/helicone'
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "postgresql://<unparseable URL>"
    user = f"{parts.username}@" if parts.username else ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{user}{host}{port}{parts.path}"


def store_location(database_url: str | None, home: Path) -> str | Path:
    """Where a client logs: ``database_url`` if given (a PostgreSQL URL, or a SQLite URL's
    path), else ``<home>/helicone.db``."""
    return resolve_database(database_url) or home / "helicone.db"


def resolve_database(url: str | None) -> str | None:
    """What ``Store`` takes for a ``database_url`` setting: the PostgreSQL URL as given, a
    ``sqlite:///path`` URL's path, a plain path as given; None for None or "".

    >>> resolve_database("sqlite:////var/lib/app/helicone.db")
    '/var/lib/app/helicone.db'
    >>> resolve_database("mysql://db/x")
    Traceback (most recent call last):
    ...
    ValueError: database_url: unsupported scheme 'mysql' in 'mysql://db/x'; use postgresql://..., sqlite:///path, or a file path
    """
    if not url:
        return None
    if not isinstance(url, str):
        raise ValueError(f"database_url must be a string, got {type(url).__name__}")
    if is_database_url(url):
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    if scheme.lower() == "sqlite":
        return rest[1:] if rest.startswith("/") else rest
    shown = describe_url(url) if "@" in url else url
    raise ValueError(
        f"database_url: unsupported scheme {scheme!r} in {shown!r}; use postgresql://...,"
        " sqlite:///path, or a file path"
    )
