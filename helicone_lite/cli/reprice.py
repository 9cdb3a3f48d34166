"""``helicone-lite reprice``: price stored rows again after prices changed.

Prices come from ``<home>/prices.json`` (your prices, see docs/costs.md), then genai-prices,
exactly as a client prices a new call. By default only rows of unknown cost are priced;
``--all`` re-prices every successful row; ``--model PATTERN`` limits it to matching models;
``--dry-run`` only counts. Cache hits keep their cost of 0.
"""

from __future__ import annotations

import argparse
from fnmatch import translate
from typing import Any

from ._common import counted, home_of, open_store

__all__ = ["register", "reprice"]

_SELECT = (
    "SELECT id, model, response_model, provider, prompt_tokens, completion_tokens, "
    "cached_tokens, cache_write_tokens FROM requests WHERE status = 200 "
    "AND (cache_status IS NULL OR cache_status != 'HIT')"
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "reprice", help="price stored rows again (after editing prices.json)"
    )
    parser.add_argument("--all", action="store_true", help="every row, not only unpriced ones")
    parser.add_argument("--model", help="only models matching this pattern (fnmatch)")
    parser.add_argument("--dry-run", action="store_true", help="count, change nothing")
    parser.add_argument("--home", default=argparse.SUPPRESS, help="the helicone_lite home")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from .._errors import OptionsError

    try:
        changed, unknown = reprice(args)
    except OptionsError as exc:
        print(f"helicone-lite reprice: {exc}")
        return 2
    verb = "would change" if args.dry_run else "changed"
    print(f"{verb} {counted(changed, 'row')}; {counted(unknown, 'row')} still of unknown cost")
    return 0


def reprice(args: argparse.Namespace) -> tuple[int, int]:
    """``(rows whose cost changed, rows left without a price)``."""
    import re

    from .._cost import Usage
    from .._prices import PriceTable

    table = PriceTable.load(None, home_of(args))
    store = open_store(args)
    sql = _SELECT if args.all else _SELECT + " AND cost_usd IS NULL"
    pattern = re.compile(translate(args.model), re.IGNORECASE) if args.model else None
    updates: list[tuple[float | None, str]] = []
    unknown = 0
    for row in store.query(sql):
        if pattern is not None and not pattern.fullmatch(str(row["model"] or "")):
            continue
        usage = Usage(
            prompt_tokens=row["prompt_tokens"] or 0,
            completion_tokens=row["completion_tokens"] or 0,
            cached_tokens=row["cached_tokens"] or 0,
            cache_write_tokens=row["cache_write_tokens"] or 0,
        )
        cost = _cost(table, row, usage)
        unknown += cost is None
        updates.append((cost, row["id"]))
    if not args.dry_run and updates:
        with store.transaction() as connection:
            connection.executemany("UPDATE requests SET cost_usd = ? WHERE id = ?", updates)
    store.close()
    return sum(1 for cost, _ in updates if cost is not None), unknown


def _cost(table: Any, row: Any, usage: Any) -> float | None:
    for name in (row["response_model"], row["model"]):
        price = table.find(name) if name else None
        if price is not None:
            return float(price.cost(usage))
    if not usage.prompt_tokens and not usage.completion_tokens:
        return None
    result: float | None = table.cost(row["response_model"] or row["model"], None, usage)
    return result
