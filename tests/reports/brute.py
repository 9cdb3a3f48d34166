"""Brute-force versions of the reports, over the generated rows, to check the SQL against."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

Row = dict[str, Any]


def failed(row: Row) -> bool:
    return not 200 <= (row["status"] or 0) <= 299


def selected(row: Row, f: Any, since: str = "") -> bool:
    """Whether ``row`` passes the :class:`~helicone_lite.reports.Filters` ``f`` (properties,
    model, provider, user, ``status="error"``), created at or after ``since`` (an ISO time)."""
    return (
        all(row["properties"].get(k) == v for k, v in f.properties.items())
        and f.model in (None, row["model"])
        and getattr(f, "provider", None) in (None, row["provider"])
        and f.user in (None, row["user_id"])
        and (f.status is None or failed(row))
        and row["created_at"] >= since
    )


def p95(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def figures(rows: list[Row]) -> dict[str, Any]:
    latencies = [r["latency_ms"] for r in rows if r["latency_ms"] is not None]
    return {
        "requests": len(rows),
        "cost_usd": sum(r["cost_usd"] or 0.0 for r in rows),
        "tokens": sum(r["total_tokens"] or 0 for r in rows),
        "avg_latency_ms": sum(latencies) / len(latencies) if latencies else None,
        "p95_latency_ms": p95(latencies),
        "errors": sum(failed(r) for r in rows),
        "cache_hits": sum(r["cache_status"] == "HIT" for r in rows),
        "first_at": min(r["created_at"] for r in rows),
        "last_at": max(r["created_at"] for r in rows),
    }


def grouped(rows: list[Row], key: Callable[[Row], Any]) -> dict[Any, dict[str, Any]]:
    groups: dict[Any, list[Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    return {k: figures(v) for k, v in groups.items()}
