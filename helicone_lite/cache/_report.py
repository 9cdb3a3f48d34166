"""What the cache did, from the request log: lookups, hit rate, money saved.

A hit is logged as its own row (``cache_status = 'HIT'``, cost 0) whose ``cache_reference_id``
is the id of the call that produced the answer; the money a hit saved is that call's cost. So
the savings are a self-join of ``requests`` (:data:`SAVED_SQL`), and stay correct when prices
or the cache change later.
"""

from __future__ import annotations

from typing import Any

from ._backend import BackendStats

__all__ = ["SAVED_SQL", "cache_report", "money_saved"]

#: money saved per model: each hit row joined to the row of the call it was served from.
SAVED_SQL = """
SELECT {group} AS name, COUNT(*) AS hits, SUM(o.cost_usd) AS saved_usd,
       COUNT(o.cost_usd) AS priced
FROM requests AS h LEFT JOIN requests AS o ON o.id = h.cache_reference_id
WHERE h.cache_status = 'HIT'
GROUP BY 1
"""

_LOOKUPS_SQL = """
SELECT {group} AS name, SUM(h.cache_status = 'HIT') AS hits,
       SUM(h.cache_status = 'MISS') AS misses
FROM requests AS h WHERE h.cache_status IN ('HIT', 'MISS')
GROUP BY 1
"""

_HAS_SEED_SQL = "SELECT COUNT(*) AS n FROM pragma_table_info('requests') WHERE name = 'cache_seed'"


def money_saved(store: Any) -> float:
    """US dollars the cache saved: the summed cost of the calls every hit was served from.

    >>> # money_saved(client.store) -> 0.0123
    """
    rows = store.query(SAVED_SQL.format(group="'all'"))
    return float(rows[0]["saved_usd"] or 0.0) if rows else 0.0


def _grouped(store: Any, group: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in store.query(_LOOKUPS_SQL.format(group=group)):
        name = row["name"] if row["name"] is not None else "(none)"
        hits, misses = int(row["hits"] or 0), int(row["misses"] or 0)
        out[name] = {
            "hits": hits,
            "misses": misses,
            "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
            "saved_usd": 0.0,
            "unpriced_hits": 0,
        }
    for row in store.query(SAVED_SQL.format(group=group)):
        name = row["name"] if row["name"] is not None else "(none)"
        item = out.setdefault(name, {"hits": 0, "misses": 0, "hit_rate": None})
        item["saved_usd"] = float(row["saved_usd"] or 0.0)
        item["unpriced_hits"] = int(row["hits"]) - int(row["priced"])
    return out


def cache_report(store: Any, backend: BackendStats | None) -> dict[str, Any]:
    """Everything ``helicone-lite cache stats`` prints, as one JSON-able dict."""
    totals = _grouped(store, "'all'").get("all", {})
    by_model = _grouped(store, "h.model")
    has_seed = bool(store.query(_HAS_SEED_SQL)[0]["n"])
    by_seed = _grouped(store, "h.cache_seed") if has_seed else {}
    stored = backend.as_dict() if backend is not None else {}
    for name, row in stored.get("by_model", {}).items():
        by_model.setdefault(name, {}).update(row)
    for name, row in stored.get("by_seed", {}).items():
        by_seed.setdefault(name, {}).update(row)
    hits, misses = totals.get("hits", 0), totals.get("misses", 0)
    return {
        "backend": stored.get("backend"),
        "entries": stored.get("entries"),
        "buckets": stored.get("buckets"),
        "expired_entries": stored.get("expired"),
        "size_bytes": stored.get("size_bytes"),
        "disk_bytes": stored.get("disk_bytes"),
        "size_limit": stored.get("size_limit"),
        "lookups": hits + misses,
        "hits": hits,
        "misses": misses,
        "hit_rate": round(hits / (hits + misses), 4) if hits + misses else None,
        "saved_usd": totals.get("saved_usd", 0.0),
        "unpriced_hits": totals.get("unpriced_hits", 0),
        "by_model": by_model,
        "by_seed": by_seed,
    }
