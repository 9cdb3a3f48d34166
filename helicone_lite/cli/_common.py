"""What the sub-commands share: where the store is, and how to print rows."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .._home import default_home

__all__ = ["console", "home_of", "open_store", "print_rows"]


def home_of(args: argparse.Namespace) -> Path:
    home = getattr(args, "home", None)
    return Path(home).expanduser() if home else default_home()


def database_of(args: argparse.Namespace) -> Any:
    """``--database-url`` (or ``$HELICONE_LITE_DATABASE_URL``), else ``<home>/helicone.db``."""
    import os

    from ..store._engine import resolve_database

    url = getattr(args, "database_url", None) or os.environ.get("HELICONE_LITE_DATABASE_URL")
    return resolve_database(url) or home_of(args) / "helicone.db"


def open_store(args: argparse.Namespace) -> Any:
    from ..store import Store

    return Store(database_of(args))


def console() -> Any:
    from rich.console import Console

    return Console()


def print_rows(
    rows: Sequence[Mapping[str, Any]],
    fmt: str = "table",
    *,
    title: str | None = None,
    columns: Iterable[str] | None = None,
) -> None:
    """Print rows as a rich table, CSV or JSON."""
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt == "json":
        json.dump([dict(r) for r in rows], sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in cols))
    console().print(table)
