"""``helicone-lite migrate --to postgresql://...``: copy the store into another database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ._common import console, open_store

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="copy the store (requests, sessions, prompts, scores, alerts) into PostgreSQL",
        description="Copy every table of the store (--database-url or <home>/helicone.db)"
        " into the --to database, idempotently, then compare the row counts.",
    )
    parser.add_argument("--to", required=True, help="the target, e.g. postgresql://host/db")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from ..store import Store, StoreError
    from ..store._migrate import copy_store, copy_tables

    try:
        source = open_store(args)
        target = Store(args.to)
    except (StoreError, ValueError) as exc:
        print(f"helicone-lite migrate: {exc}", file=sys.stderr)
        return 2
    try:
        total = sum(n for _, _, n in copy_tables(source, target))
        with Progress(console=console(), transient=True) as bar:
            task = bar.add_task(f"copying to {target.location}", total=total)
            results = copy_store(source, target, lambda _t, n: bar.advance(task, n))
    except StoreError as exc:
        print(f"helicone-lite migrate: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    out = console()
    for r in results:
        mark = "ok" if r.ok else "MISSING ROWS"
        out.print(f"{r.table}: {r.source} -> {r.target} {mark}", markup=False, highlight=False)
    return 0 if all(r.ok for r in results) else 1
