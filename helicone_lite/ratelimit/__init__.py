"""Rate limits and budgets: token buckets shared across threads, processes and machines.

The interceptor is :class:`helicone_lite.ratelimit._layer.RateLimiter`; this package
holds the bucket arithmetic (:mod:`._bucket`), the two stores that make it atomic (SQLite
:class:`LocalBuckets`, Redis :class:`RedisBuckets`) and the cost estimates (:mod:`._estimate`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ._bucket import Bucket, BucketState, Decision, reset_seconds
from ._estimate import Prices, UnitPrices, completion_bound, prompt_bound
from ._local import BackendError, LocalBuckets

__all__ = [
    "LOCAL_FILE",
    "BackendError",
    "Bucket",
    "BucketState",
    "Buckets",
    "Decision",
    "LocalBuckets",
    "Prices",
    "UnitPrices",
    "completion_bound",
    "open_buckets",
    "prompt_bound",
    "reset_seconds",
]

#: the file of the local store, inside the helicone_lite home.
LOCAL_FILE = "ratelimit.db"


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


def open_buckets(home: Path, settings: Any) -> Buckets:
    """Redis when ``settings.redis_url`` is set, else ``<home>/ratelimit.db``."""
    url = getattr(settings, "redis_url", None)
    if url:
        from ._redis import RedisBuckets

        return RedisBuckets(url, timeout=getattr(settings, "ratelimit_timeout", 2.0))
    return LocalBuckets(Path(home) / LOCAL_FILE)
