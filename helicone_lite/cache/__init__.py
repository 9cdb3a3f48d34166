"""Cache state: entries, keys, the diskcache and Redis backends, and the savings report.

The ``Cache`` interceptor (``helicone_lite.cache._layer``) uses these, and so does the
CLI's ``helicone-lite cache stats|clear``. Names load on first use (``import helicone_lite``
stays cheap for clients that never cache); diskcache and redis load when a backend opens.

>>> from helicone_lite.cache import open_backend, money_saved
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._policies import EVICTION_POLICIES

if TYPE_CHECKING:
    from ._backend import BackendStats, CacheBackend
    from ._disk import DiskCacheBackend
    from ._redis import RedisCacheBackend
    from ._report import SAVED_SQL, cache_report, money_saved

__all__ = [
    "EVICTION_POLICIES",
    "SAVED_SQL",
    "BackendStats",
    "CacheBackend",
    "DiskCacheBackend",
    "RedisCacheBackend",
    "cache_report",
    "describe_backend",
    "money_saved",
    "open_backend",
]

_LAZY = {
    "BackendStats": "_backend",
    "CacheBackend": "_backend",
    "DiskCacheBackend": "_disk",
    "RedisCacheBackend": "_redis",
    "SAVED_SQL": "_report",
    "cache_report": "_report",
    "money_saved": "_report",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # import once; later lookups are plain module attributes
    return value


def open_backend(
    home: Path,
    *,
    redis_url: str | None = None,
    size_limit: int | None = None,
    eviction_policy: str | None = None,
) -> CacheBackend:
    """The backend a client uses: Redis when ``redis_url`` is set, else diskcache in
    ``home / "cache"`` bounded by ``size_limit`` bytes, evicting by ``eviction_policy`` (None
    keeps what the directory has stored)."""
    if redis_url:
        from ._redis import RedisCacheBackend

        return RedisCacheBackend(redis_url)
    from ._disk import DiskCacheBackend

    return DiskCacheBackend(
        Path(home) / "cache", size_limit=size_limit, eviction_policy=eviction_policy
    )


def describe_backend(home: Path, *, redis_url: str | None = None) -> str:
    """What :func:`open_backend` would open, without secrets (for messages)."""
    if redis_url:
        from ._redis import redacted_url

        return f"redis {redacted_url(redis_url)}"
    return f"diskcache {Path(home) / 'cache'}"
