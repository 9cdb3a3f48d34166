"""The cache layer: ``Helicone-Cache-*`` exact, bucket and seeded caches with TTLs.

It sits inside the user layer and outside the rate limiter, so a hit is answered here: no
provider call, not counted by rate limits, cost 0, logged as its own row whose
``cache_reference_id`` is the request it came from. See docs/caching.md.

* lookup (``cache_reads``): a HIT only when all ``cache_bucket_max_size`` slots of the call's
  bucket are filled and unexpired; one slot is chosen uniformly at random (``Settings.rng``).
* save (``cache_saves``): a successful response goes into the lowest empty slot, atomically;
  a stream only once it ended cleanly (an observer keeps its chunks), replayed as a stream.
* a backend failure (Redis down, disk full) is a miss, reported once.

A call without cache options passes straight through; the machinery
(:class:`helicone_lite.cache._engine.CacheEngine`, the backend) loads on the first call that
has them.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .._home import default_home
from ..pipeline._call import Blocking, Call, Forward, Result
from ..pipeline._stack import Flow

if TYPE_CHECKING:
    from ._backend import CacheBackend
    from ._engine import CacheEngine

__all__ = ["Cache"]


class Cache:
    """The ``cache`` layer of the stack.

    ``open_backend()`` opens the backend on the first call with cache options (blocking I/O,
    run as a ``Blocking`` effect); ``describe`` names it in messages (no secrets). ``clock``
    stamps entries, ``monotonic`` times outages, ``rng`` picks a bucket's slot. ``close()``
    closes the backend if it was opened.
    """

    def __init__(
        self,
        open_backend: Callable[[], CacheBackend],
        *,
        describe: str,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
        home: Path | None = None,
        secret: str | bytes | None = None,
    ) -> None:
        """``home`` holds the entries' MAC key (``<home>/cache.key``) unless ``secret`` is
        given (processes sharing a Redis cache must share it); docs/security.md."""
        self._open_backend = open_backend
        self._home = home
        self._secret = secret
        self._describe = describe
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng or random.Random()
        self._engine: CacheEngine | None = None
        self._lock = threading.Lock()

    @property
    def engine(self) -> CacheEngine:
        engine = self._engine
        if engine is None:
            from ._engine import CacheEngine

            with self._lock:
                if self._engine is None:
                    self._engine = CacheEngine(
                        self._open_backend,
                        describe=self._describe,
                        clock=self._clock,
                        monotonic=self._monotonic,
                        rng=self._rng,
                        home=self._home if self._home is not None else default_home(),
                        secret=self._secret,
                    )
                engine = self._engine
        return engine

    def close(self) -> None:
        """Close the backend, if a call opened it. Idempotent."""
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.close()

    def wants(self, call: Call) -> bool:
        """Whether ``call`` uses the cache (else the drivers skip this layer)."""
        opts = call.options
        return bool(opts.cache_enabled or opts.cache_read or opts.cache_save)

    def handle(self, call: Call) -> Flow:
        opts = call.options
        if not (opts.cache_enabled or opts.cache_read or opts.cache_save):
            result: Result = yield Forward(call)
            return result
        engine = self._engine or self.engine
        plan = engine.plan(call)
        if plan is None:
            result = yield Forward(call)
            return result
        if plan.read:
            known, hit = engine.recall(call, plan)  # from memory: no I/O, no effect
            if not known:
                hit = yield Blocking(partial(engine.lookup, call, plan))
            if hit is not None:
                return hit
        result = yield Forward(call)
        save = engine.after(call, plan, result)
        if save is not None:
            yield Blocking(save)
        return result

    def handle_sync(
        self, call: Call, forward: Callable[[Call], Result], sleep: Callable[[float], None]
    ) -> Result:
        """``handle`` for the sync driver (pipeline/_stack.py): the same, without a generator
        (its ``Blocking`` lookup and save are plain calls, as the sync driver makes them)."""
        opts = call.options
        if not (opts.cache_enabled or opts.cache_read or opts.cache_save):
            return forward(call)
        engine = self._engine or self.engine
        plan = engine.plan(call)
        if plan is None:
            return forward(call)
        if plan.read:
            known, hit = engine.recall(call, plan)  # from memory: no I/O
            if not known:
                hit = engine.lookup(call, plan)
            if hit is not None:
                return hit
        result = forward(call)
        save = engine.after(call, plan, result)
        if save is not None:
            save()
        return result
