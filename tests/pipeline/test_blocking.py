"""``Blocking`` keeps the event loop free: cache lookups and rate-limit reservations wait in
worker threads while other tasks on the loop keep running."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import helicone_lite
from helicone_lite.cache._layer import Cache
from helicone_lite.ratelimit import Bucket, Decision
from helicone_lite.ratelimit._layer import RateLimiter
from helicone_lite.testing import FakeProvider

KEY = "sk-test-SECRET-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
FAILSAFE = 20.0  # seconds a gate waits before giving up (only if the loop was blocked)


class Gate:
    """Holds every blocking call of a backend until the test opens it."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.opened = threading.Event()
        self.timed_out = False
        self.threads: set[str] = set()

    def wait(self) -> None:
        self.threads.add(threading.current_thread().name)
        self.entered.set()
        if not self.opened.wait(FAILSAFE):
            self.timed_out = True


class GatedCache:
    """A cache backend whose lookups wait on a gate, then ask the real backend."""

    def __init__(self, real: Any, gate: Gate) -> None:
        self._real, self._gate = real, gate
        self.description = "gated " + real.description

    def lookup(self, key: str, size: int, now: float) -> Sequence[bytes] | None:
        self._gate.wait()
        result: Sequence[bytes] | None = self._real.lookup(key, size, now)
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class GatedBuckets:
    """A bucket store whose reservations wait on a gate, then ask the real store."""

    def __init__(self, real: Any, gate: Gate) -> None:
        self._real, self._gate = real, gate

    def take(self, buckets: Sequence[Bucket], now: float) -> Decision:
        self._gate.wait()
        decision: Decision = self._real.take(buckets, now)
        return decision

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


def _layer(client: Any, kind: type[Any]) -> Any:
    return next(layer for layer in client._helicone_runtime.stack if isinstance(layer, kind))


async def test_the_loop_keeps_ticking_while_a_cache_lookup_and_a_reservation_wait(
    home: Path,
) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.AsyncClient(api_key=KEY, base_url=fake.openai_base_url, home=home)
        cache_gate, limit_gate = Gate(), Gate()
        engine = _layer(client, Cache).engine
        engine._backend = GatedCache(engine.backend, cache_gate)
        limiter = _layer(client, RateLimiter)
        limiter._buckets = GatedBuckets(limiter.buckets, limit_gate)
        ticks = 0
        stop = False

        async def ticker() -> None:
            nonlocal ticks
            while not stop:
                ticks += 1
                await asyncio.sleep(0)

        ticking = asyncio.create_task(ticker())
        cached = asyncio.create_task(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                extra_headers={"Helicone-Cache-Enabled": "true"},
            )
        )
        limited = asyncio.create_task(
            client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                extra_headers={"Helicone-RateLimit-Policy": "10;w=60"},
            )
        )
        while not (cache_gate.entered.is_set() and limit_gate.entered.is_set()):
            await asyncio.sleep(0)
        # both wait on their backend now; the loop must go on serving other tasks meanwhile
        seen = ticks
        while ticks < seen + 200:
            await asyncio.sleep(0)
        assert not cached.done() and not limited.done()
        cache_gate.opened.set()
        limit_gate.opened.set()
        answers = await asyncio.gather(cached, limited)
        stop = True
        await ticking
        await client.close()
    assert not cache_gate.timed_out and not limit_gate.timed_out
    assert all(a.choices[0].message.content for a in answers)
    assert threading.main_thread().name not in cache_gate.threads | limit_gate.threads
    assert all(name.startswith("helicone-lite-io") for name in cache_gate.threads)


def test_the_sync_client_runs_blocking_work_inline(home: Path) -> None:
    with FakeProvider() as fake:
        client = helicone_lite.Client(api_key=KEY, base_url=fake.openai_base_url, home=home)
        gate = Gate()
        gate.opened.set()
        engine = _layer(client, Cache).engine
        engine._backend = GatedCache(engine.backend, gate)
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Cache-Enabled": "true"}
        )
        client.close()
    assert gate.threads == {threading.current_thread().name}
