"""Allowed values of the cache settings (kept import-free: the cache layer checks them when a
client is built, before any backend module is loaded)."""

from __future__ import annotations

__all__ = ["EVICTION_POLICIES", "check_settings"]

#: diskcache's eviction policies. ``least-recently-used`` and ``least-frequently-used`` turn
#: every hit into a write (slower hits); ``none`` never evicts (the size limit is not enforced).
EVICTION_POLICIES = (
    "least-recently-stored",
    "least-recently-used",
    "least-frequently-used",
    "none",
)


def check_settings(size_limit: object, eviction_policy: object) -> None:
    """``ValueError`` naming the setting, the value and what is allowed."""
    if isinstance(size_limit, bool) or not isinstance(size_limit, int) or size_limit <= 0:
        raise ValueError(
            f"cache_size_limit: {size_limit!r} is not allowed; expected a positive number of bytes"
        )
    if eviction_policy not in EVICTION_POLICIES:
        raise ValueError(
            f"cache_eviction_policy: {eviction_policy!r} is not allowed; expected one of "
            + ", ".join(EVICTION_POLICIES)
        )
