"""Code run in child processes by the cache tests (importable, for the spawn start method)."""

from __future__ import annotations

from typing import Any

from .conftest import KEY


def fill_bucket(
    base_url: str, home: str, redis_url: str | None, size: int, calls: int, barrier: Any
) -> None:
    """Make ``calls`` identical cached calls with a bucket of ``size``, racing the other process."""
    import helicone_lite

    extra = {"redis_url": redis_url} if redis_url else {}
    client = helicone_lite.Client(api_key=KEY, base_url=base_url, home=home, **extra)
    headers = {"Helicone-Cache-Enabled": "true", "Helicone-Cache-Bucket-Max-Size": str(size)}
    barrier.wait()
    for _ in range(calls):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "What is diabetes?"}],
            extra_headers=headers,
        )
    client.close()
