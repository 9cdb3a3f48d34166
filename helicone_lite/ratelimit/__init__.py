"""Rate limits and budgets: token buckets shared across threads, processes and machines.

The interceptor is :class:`helicone_lite.ratelimit._layer.RateLimiter`; this package
holds the bucket arithmetic (:mod:`._bucket`), the two stores that make it atomic (a mapped
slot file, :class:`LocalBuckets`; Redis, :class:`RedisBuckets`) and the cost estimates
(:mod:`._estimate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from ._bucket import BackendError, Bucket, BucketState, Decision
from ._slots import LocalBuckets

__all__ = [
    "LEGACY_FILE",
    "LOCAL_FILE",
    "BackendError",
    "Bucket",
    "BucketState",
    "Buckets",
    "Decision",
    "LocalBuckets",
    "local_buckets",
    "local_exists",
    "open_buckets",
]

#: the file of the local store, inside the helicone_lite home (with ``ratelimit.names``).
LOCAL_FILE = "ratelimit.slots"
#: the SQLite store of older versions: its buckets are imported when the slot file is created.
LEGACY_FILE = "ratelimit.db"


class Buckets(Protocol):
    """A bucket store. Every method is atomic for all the clients sharing the store."""

    def take(self, buckets: Sequence[Bucket], now: float) -> Decision:
        """Reserve each bucket's amount if every one has room, else change nothing."""
        ...

    def adjust(self, changes: Sequence[tuple[Bucket, float]], now: float) -> tuple[float, ...]:
        """Charge each bucket ``delta`` more (a refund when negative); the levels after."""
        ...

    def states(self, now: float) -> list[BucketState]:
        """The buckets that are not full (the live ones)."""
        ...

    def reset(self, policy: str | None = None, segment: str | None = None) -> int:
        """Refill the matching buckets (all when both are None); how many there were."""
        ...

    def close(self) -> None: ...


def open_buckets(home: Path, *, redis_url: str | None = None, timeout: float = 2.0) -> Buckets:
    """Redis when ``redis_url`` is set, else ``<home>/ratelimit.slots``."""
    if redis_url:
        from ._redis import RedisBuckets

        return RedisBuckets(redis_url, timeout=timeout)
    return local_buckets(Path(home))


def local_buckets(home: Path) -> LocalBuckets:
    """The local store of ``home`` (importing an older version's ``ratelimit.db`` once)."""
    return LocalBuckets(home / LOCAL_FILE, legacy=home / LEGACY_FILE)


def local_exists(home: Path) -> bool:
    """Whether ``home`` holds local bucket state (the slot file, or an older SQLite one)."""
    return (home / LOCAL_FILE).exists() or (home / LEGACY_FILE).exists()
