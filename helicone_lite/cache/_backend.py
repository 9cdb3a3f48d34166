"""What a cache backend is, and the bookkeeping the backends share.

A backend stores *buckets*: one per cache key, each with up to 20 numbered *slots*, every slot
holding one :class:`~helicone_lite.cache.Entry` blob and its expiry time. Two operations are on
the call path and must be atomic across threads, processes and (for Redis) machines:

* ``lookup(key, size, now)``: the blobs of slots ``0 … size-1`` if **every** one is filled and
  unexpired, else ``None``;
* ``fill(key, size, now, blob, expires, labels)``: write ``blob`` into the lowest slot below
  ``size`` that is empty or expired and return its index, or return ``None`` when all are
  taken (two concurrent misses never overwrite one slot).

Blobs are sealed (:mod:`._seal`: a MAC bound to the key) by the engine before ``fill`` and
checked after ``lookup``; a backend stores bytes and never unpickles what it reads back. A
stored bucket a backend cannot decode is a miss for that key, never an error for every key.

``now`` and ``expires`` are on the client's clock (``Settings.clock``), so tests can move time
without sleeping; backends also set their own expiry as a safety net.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ._entry import Labels

__all__ = ["BackendStats", "CacheBackend", "Slot", "matches", "produced_by", "tally"]

#: (expires, blob) of one filled slot, as a backend reads it back.
Slot = tuple[float, bytes]


@runtime_checkable
class CacheBackend(Protocol):
    """Shared cache state. Implementations: ``DiskCacheBackend``, ``RedisCacheBackend``."""

    #: a short, secret-free description (``diskcache /path``, ``redis redis://host:6379/0``).
    description: str

    def lookup(self, key: str, size: int, now: float) -> Sequence[bytes] | None: ...

    def fill(
        self, key: str, size: int, now: float, blob: bytes, expires: float, labels: Labels
    ) -> int | None: ...

    def discard(self, key: str) -> None:
        """Delete the bucket of ``key`` (it held a bad entry); no other key is touched."""
        ...

    def slots(self, key: str) -> dict[int, bytes]:
        """Every filled slot of a bucket, expired or not, by index (for inspection)."""
        ...

    def clear(self, seed: str | None = None, model: str | None = None) -> int:
        """Remove buckets (all, or those of a seed and/or model); return the slots removed."""
        ...

    def forget(self, request_ids: Collection[str]) -> int:
        """Remove the buckets holding an answer produced by one of ``request_ids`` (a
        privacy deletion); return the slots removed."""
        ...

    def stats(self, now: float) -> BackendStats: ...

    def close(self) -> None: ...


@dataclass
class BackendStats:
    """What is stored now: unexpired entries (slots), their bytes, by model and by seed."""

    backend: str
    entries: int = 0
    buckets: int = 0
    expired: int = 0
    size_bytes: int = 0
    disk_bytes: int | None = None
    size_limit: int | None = None
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    by_seed: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "entries": self.entries,
            "buckets": self.buckets,
            "expired": self.expired,
            "size_bytes": self.size_bytes,
            "disk_bytes": self.disk_bytes,
            "size_limit": self.size_limit,
            "by_model": self.by_model,
            "by_seed": self.by_seed,
        }


def tally(
    stats: BackendStats, buckets: Iterable[tuple[Labels, Iterable[Slot]]], now: float
) -> BackendStats:
    """Count the unexpired slots of ``buckets`` into ``stats``."""
    for labels, slots in buckets:
        filled = list(slots)
        fresh = [(exp, blob) for exp, blob in filled if exp > now]
        stats.expired += len(filled) - len(fresh)
        if not fresh:
            continue
        stats.buckets += 1
        size = sum(len(blob) for _, blob in fresh)
        stats.entries += len(fresh)
        stats.size_bytes += size
        seed = labels.seed if labels.seed is not None else "(none)"
        for group, name in ((stats.by_model, labels.model), (stats.by_seed, seed)):
            row = group.setdefault(name, {"entries": 0, "bytes": 0})
            row["entries"] += len(fresh)
            row["bytes"] += size
    return stats


def matches(labels: Labels, seed: str | None, model: str | None) -> bool:
    """Whether a bucket falls under ``clear(seed=…, model=…)`` (``None`` matches anything)."""
    return (seed is None or labels.seed == seed) and (model is None or labels.model == model)


def produced_by(blob: bytes, request_ids: Collection[str]) -> bool:
    """Whether the entry ``blob`` is the answer of one of ``request_ids`` (a blob that does
    not parse belongs to nobody)."""
    from ._entry import Entry
    from ._seal import unchecked_entry

    try:
        return Entry.meta_of(unchecked_entry(blob)).get("request_id") in request_ids
    except ValueError:
        return False
