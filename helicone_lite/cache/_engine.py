"""What the cache layer does for one call: plan it, look it up, save its answer.

``helicone_lite.cache._layer.Cache`` is the layer (the generator, written once for sync
and async); it creates one :class:`CacheEngine` on the first call that has cache options, so
clients that never cache load none of this.

Backend failures (Redis down, disk full) are misses: the operation that failed (lookups or
saves) is skipped for ``FAULT_COOLDOWN`` seconds, so a dead server costs no call a timeout, and
the first failure of an outage is logged once. A bad entry (its MAC fails, :mod:`._seal`, or it
does not decode) is different: a miss for that key only, and its bucket is deleted.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

from .._kinds import KINDS, kind_of
from ..options._values import DEFAULT_CACHE_SECONDS
from ..pipeline._call import Call, Result, StreamObserver
from ._backend import CacheBackend
from ._entry import Entry, Labels
from ._key import cache_key
from ._replay import Replay, dump_chunks, dump_response, is_complete, load_chunks, load_response
from ._seal import BadEntry, Seal, load_seal

__all__ = ["CACHEABLE_KINDS", "CacheEngine", "Plan"]

_log = logging.getLogger("helicone_lite")

CACHEABLE_KINDS = frozenset(KINDS)  # every kind with a reply type (the native ones too)


class Plan(NamedTuple):
    """What the cache does with one call: its key, bucket size, read/save, TTL, seed."""

    key: str
    size: int
    read: bool
    save: bool
    ttl: int
    seed: str | None


class _Health:
    """Whether one kind of backend operation is failing, and until when to leave it alone."""

    __slots__ = ("down_until", "failing", "operation")

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.down_until = 0.0
        self.failing = False


class CacheEngine:
    """Lookups and saves against one backend, for one client (shared by its copies)."""

    #: seconds a failed operation is skipped (its calls are misses) before it is tried again.
    FAULT_COOLDOWN = 5.0
    #: bytes of decoded slots kept (entries are immutable).
    DECODED_BYTES = 8 << 20

    def __init__(
        self,
        open_backend: Callable[[], CacheBackend],
        *,
        describe: str,
        clock: Callable[[], float],
        monotonic: Callable[[], float],
        rng: random.Random,
        home: Path,
        secret: str | bytes | None = None,
    ) -> None:
        self._open_backend = open_backend
        self._describe = describe
        self._clock = clock
        self._monotonic = monotonic
        self._rng = rng
        self._backend: CacheBackend | None = None
        self._home = home
        self._secret = secret
        self._seal: Seal | None = None
        self._lock = threading.Lock()
        self._reads, self._writes = _Health("lookup"), _Health("save")
        self._warned: set[str] = set()
        self._decoded: dict[int, tuple[bytes, Entry]] = {}
        self._decoded_bytes = 0

    # -- planning -------------------------------------------------------------------------
    def plan(self, call: Call) -> Plan | None:
        """The call's plan, or None when it is not cacheable (a kind or a parameter)."""
        opts = call.options
        read, save = opts.cache_reads, opts.cache_saves
        if not (read or save) or call.kind not in CACHEABLE_KINDS or not call.targets:
            return None
        try:
            key = cache_key(call, seed=opts.cache_seed, ignore=opts.cache_ignore_keys or ())
        except TypeError as exc:
            self._warn_once("key", "helicone_lite cache: call not cached (%s)", exc)
            return None
        control = opts.cache_control
        ttl = control.max_age if control is not None else DEFAULT_CACHE_SECONDS
        size = opts.cache_bucket_max_size or 1
        return Plan(key, size, read, save and ttl > 0, ttl, opts.cache_seed)

    # -- hits -----------------------------------------------------------------------------
    def recall(self, call: Call, plan: Plan) -> tuple[bool, Result | None]:
        """``(True, the hit or None for a miss)`` when the backend remembers the bucket and
        its entries are decoded already: memory only, no I/O, so the layer answers without a
        ``Blocking`` effect (no worker thread for an async client). ``(False, None)``: ask
        :meth:`lookup`."""
        backend = self._backend
        recall = getattr(backend, "recall", None)
        if recall is None or self._seal is None or self._reads.failing:
            return False, None
        if self._reads.down_until and self._monotonic() < self._reads.down_until:
            return False, None
        blobs = recall(plan.key, plan.size, self._clock())
        if blobs is None:
            return False, None
        decoded = self._decoded
        entries = []
        for blob in blobs:  # every slot, before the slot is drawn: the rng draws as lookup's
            known = decoded.get(id(blob))
            if known is None or known[0] is not blob:
                return False, None
            entries.append(known[1])
        index = self._rng.randrange(plan.size) if plan.size > 1 else 0
        try:
            return True, self._answer(call, entries[index], index)
        except Exception:  # a bad entry: lookup (in a Blocking effect) removes its bucket
            return False, None

    def lookup(self, call: Call, plan: Plan) -> Result | None:
        """The hit's Result, or None (a miss, or the backend is failing)."""
        health = self._reads
        backend = self._ready(health)
        if backend is None:
            return None
        try:
            blobs = backend.lookup(plan.key, plan.size, self._clock())
        except Exception as exc:
            self._fault(exc, health)
            return None
        if health.failing:
            self._recovered(health)
        if blobs is None:
            return None
        index = self._rng.randrange(plan.size) if plan.size > 1 else 0
        try:
            return self._answer(call, self._decode(plan.key, blobs[index]), index)
        except Exception as exc:  # one bad entry: a miss for this key, not a backend outage
            self._bad_entry(backend, plan.key, exc)
            return None

    def _answer(self, call: Call, entry: Entry, index: int) -> Result | None:
        if entry.kind != call.kind or entry.stream != call.stream:
            return None
        if entry.expires <= self._clock():  # the sealed expiry, whatever the backend says
            return None
        return _hit(entry, index)

    def read_slot(self, key: str, blob: bytes) -> Entry:
        """Check and decode one stored slot of ``key`` (:class:`BadEntry` if it is not ours)."""
        return self._decode(key, blob)

    def _decode(self, key: str, blob: bytes) -> Entry:
        """Check and decode a slot once per blob object: a remembered bucket (the local
        backend's memo) hands back the same bytes objects, so a repeated hit costs a dict
        lookup here."""
        known = self._decoded.get(id(blob))
        if known is not None and known[0] is blob:  # the blob is held, so its id is not reused
            return known[1]
        if not isinstance(blob, bytes):
            raise BadEntry("an empty slot was marked filled")
        entry = Entry.decode(self.seal.open(key, blob))
        if not getattr(self._backend, "remembers", False):
            return entry  # fresh bytes on every lookup (Redis): nothing to gain
        if self._decoded_bytes + len(blob) > self.DECODED_BYTES:
            self._decoded.clear()  # rare: start over rather than keep an LRU order
            self._decoded_bytes = 0
        if len(blob) <= self.DECODED_BYTES // 8:
            self._decoded[id(blob)] = (blob, entry)
            self._decoded_bytes += len(blob)
        return entry

    # -- misses ---------------------------------------------------------------------------
    def after(self, call: Call, plan: Plan, result: Result) -> Callable[[], None] | None:
        """Mark a looked-up call as a MISS; the save of its answer, if it succeeded (blocking
        I/O: the layer runs it as a ``Blocking`` effect)."""
        if plan.read:
            result.headers["Helicone-Cache"] = "MISS"
            result.log["cache_status"] = "MISS"
        if plan.seed is not None:
            result.log["cache_seed"] = plan.seed
        if not plan.save or result.error is not None:
            return None
        if result.stream is not None:
            result.observe(_Keep(self, call, plan, result))
        elif result.response is not None:
            body = dump_response(result.response)
            if body is not None:
                return partial(self._save, call, plan, result, body, stream=False, model=None)
        return None

    def save_stream(self, call: Call, plan: Plan, result: Result, chunks: list[Any]) -> None:
        """Save a stream that ended cleanly (and reached a ``finish_reason``)."""
        if not chunks or not is_complete(call.kind, chunks):
            return
        model = kind_of(call.kind).model(chunks)  # type: ignore[union-attr]  # planned: known
        self._save(call, plan, result, dump_chunks(call.kind, chunks), stream=True, model=model)

    def _save(
        self,
        call: Call,
        plan: Plan,
        result: Result,
        body: bytes,
        *,
        stream: bool,
        model: str | None,
    ) -> None:
        health = self._writes
        backend = self._ready(health)
        if backend is None:
            return
        now = self._clock()
        log = result.log
        index = log.get("fallback_index", call.target_index)
        target = call.targets[index] if 0 <= index < len(call.targets) else call.target
        entry = Entry(
            request_id=call.id,
            kind=call.kind,
            stream=stream,
            created=now,
            expires=now + plan.ttl,
            latency_ms=round((self._monotonic() - call.started) * 1000, 3),
            model=call.model,
            provider=log.get("provider") or target.provider,
            response_model=model or getattr(result.response, "model", None),
            seed=plan.seed,
            body=body,
        )
        labels = Labels(plan.seed, call.model)
        try:
            blob = self.seal.seal(plan.key, entry.encode())
            slot = backend.fill(plan.key, plan.size, now, blob, entry.expires, labels)
        except Exception as exc:
            self._fault(exc, health)
            return
        if health.failing:
            self._recovered(health)
        if slot is not None:
            log["cache_bucket_idx"] = slot

    # -- the backend and its failures -------------------------------------------------------
    @property
    def backend(self) -> CacheBackend:
        """The backend, opened on first use (Redis when ``redis_url`` is set, else diskcache)."""
        backend = self._backend
        if backend is None:
            with self._lock:
                if self._backend is None:
                    self._backend = self._open_backend()
                backend = self._backend
        return backend

    def close(self) -> None:
        """Close the backend, if it was opened."""
        with self._lock:
            backend, self._backend = self._backend, None
        if backend is not None:
            backend.close()

    @property
    def seal(self) -> Seal:
        """The MAC key of this client's entries (``cache_secret``, else ``<home>/cache.key``)."""
        seal = self._seal
        if seal is None:
            with self._lock:
                if self._seal is None:
                    self._seal = load_seal(self._home, self._secret)
                seal = self._seal
        return seal

    def _bad_entry(self, backend: CacheBackend, key: str, exc: Exception) -> None:
        """A miss for ``key`` only: delete its bucket, say so once."""
        try:
            backend.discard(key)
        except Exception as failure:
            self._fault(failure, self._writes)
        if isinstance(exc, BadEntry) and exc.foreign:
            self._warn_once(
                "foreign",
                "helicone_lite cache: an entry sealed with another cache secret was removed; "
                "processes sharing a cache must share Client(cache_secret=...) or "
                "HELICONE_LITE_CACHE_SECRET",
            )
            return
        self._warn_once(
            "entry", "helicone_lite cache: a bad entry was removed (%s)", _short(str(exc))
        )

    def _ready(self, health: _Health) -> CacheBackend | None:
        if health.down_until and self._monotonic() < health.down_until:
            return None
        try:
            self.seal  # noqa: B018  # a secret that cannot be read disables the cache like a fault
            return self.backend
        except Exception as exc:
            self._fault(exc, health)
            return None

    def _fault(self, exc: Exception, health: _Health) -> None:
        """Skip this operation for a while; log the first failure of an outage only."""
        from .._redact import redact

        with self._lock:
            health.down_until = self._monotonic() + self.FAULT_COOLDOWN
            first = not (self._reads.failing or self._writes.failing)
            health.failing = True
        if first:
            _log.warning(
                "helicone_lite cache: %s failed on %s (%s); calls are served as misses until "
                "it works again",
                health.operation,
                self._describe,
                redact(f"{type(exc).__name__}: {exc}"),
            )

    def _recovered(self, health: _Health) -> None:
        with self._lock:
            health.failing, health.down_until = False, 0.0
            healthy = not (self._reads.failing or self._writes.failing)
        if healthy:
            _log.info("helicone_lite cache: the backend works again")

    def _warn_once(self, topic: str, message: str, *args: object) -> None:
        with self._lock:
            if topic in self._warned:
                return
            self._warned.add(topic)
        _log.warning(message, *args)


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _hit(entry: Entry, index: int) -> Result:
    log: dict[str, Any] = {
        "cache_status": "HIT",
        "cache_reference_id": entry.request_id,
        "cost_usd": 0.0,
        "cache_bucket_idx": index,
        "provider": entry.provider,
    }
    if entry.response_model is not None:
        log["response_model"] = entry.response_model
    if entry.seed is not None:
        log["cache_seed"] = entry.seed
    headers = {
        "Helicone-Cache": "HIT",
        "Helicone-Cache-Bucket-Idx": str(index),
        "Helicone-Cache-Latency": str(round(entry.latency_ms)),
    }
    if entry.stream:
        return Result(stream=Replay(load_chunks(entry.kind, entry.body)), headers=headers, log=log)
    response = load_response(entry.kind, entry.body)
    # the log stores the cached bytes: no re-serialising on the writer, and the user may
    # change the response it gets back
    return Result(response=response, headers=headers, log=log, wire=(response, entry.body))


class _Keep(StreamObserver):
    """Keeps a stream's chunks (references) and saves them once it ended cleanly."""

    __slots__ = ("_call", "_chunks", "_engine", "_plan", "_result")

    def __init__(self, engine: CacheEngine, call: Call, plan: Plan, result: Result) -> None:
        self._engine, self._call, self._plan, self._result = engine, call, plan, result
        self._chunks: list[Any] = []

    def on_chunk(self, chunk: Any) -> None:
        self._chunks.append(chunk)

    def on_end(self, error: BaseException | None) -> None:
        if error is None:
            self._engine.save_stream(self._call, self._plan, self._result, self._chunks)
        self._chunks = []
