"""A mixed log workload for the rollup tests, importable by spawned child processes."""

from __future__ import annotations

import random
from typing import Any

from helicone_lite.store import Store, iso_from_epoch

T0 = 1_795_000_000.0
MODELS = (("openai", "gpt-4o-mini"), ("openai", "gpt-4o"), ("anthropic", None), (None, "m"))
USERS = ("u1", "u2", None)


def mixed_rows(tag: str, count: int, seed: int, others: list[str]) -> list[dict[str, Any]]:
    """``count`` requests over three hours (the same hours for every writer: hot rollup rows),
    some failed, unpriced or untimed; cache hits served from this writer's earlier rows or
    from ``others`` (another writer's ids, maybe not logged yet: a hit before its original),
    properties, one id logged twice."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        provider, model = rng.choice(MODELS)
        row: dict[str, Any] = {
            "id": f"{tag}-{i:04d}",
            "created_at": iso_from_epoch(T0 + rng.randrange(3) * 3600 + rng.random() * 3000),
            "provider": provider,
            "model": model,
            "status": 200 if rng.random() > 0.1 else 500,
            "cost_usd": None if rng.random() < 0.15 else round(rng.random() / 100, 9),
            "total_tokens": rng.randrange(1, 900),
            "latency_ms": None if rng.random() < 0.1 else rng.random() * 900,
            "user_id": rng.choice(USERS),
            "properties": {"department": rng.choice("abc"), "agent": rng.choice("xyz")},
        }
        pool = [r["id"] for r in rows] + others
        if pool and rng.random() < 0.25:
            row["cache_status"] = "HIT"
            row["cache_reference_id"] = rng.choice(pool)
        rows.append(row)
    rows.append({**rows[0], "model": "again", "properties": {"department": "z"}})
    return rows


def write_mixed(url: str, tag: str, count: int, seed: int, others: list[str], start: Any) -> None:
    """Child process body: wait for ``start``, log the rows, flush, close."""
    start.wait()
    store = Store(url)
    for row in mixed_rows(tag, count, seed, others):
        store.write("requests", row)
    assert store.flush()
    store.close()
