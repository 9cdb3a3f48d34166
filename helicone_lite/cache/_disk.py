"""The local backend: diskcache (SQLite) in ``$HELICONE_LITE_HOME/cache``.

diskcache is safe across threads and processes (one connection per thread, re-opened after
fork; ``BEGIN IMMEDIATE`` for read-modify-write), which is what the atomic slot fill needs. A
bucket is one diskcache item whose value is a :class:`~._record.Record` encoded as bytes (never
a pickle: :class:`~._record.BytesDisk` refuses them); a lookup is a single read, a fill one
``transact()``. A bucket that cannot be decoded is a miss for its key only, and is deleted.
Full buckets are also remembered in process (:mod:`._memo`), so a repeated hit does not touch
SQLite at all. The directory is 0700 and its database 0600 (:mod:`helicone_lite._files`).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from .._files import private_dir, private_file
from ._backend import BackendStats, Slot, matches, produced_by, tally
from ._entry import Labels
from ._memo import Generation, Memo
from ._policies import EVICTION_POLICIES, check_settings
from ._record import BadRecord, BytesDisk, Record

__all__ = ["EVICTION_POLICIES", "DiskCacheBackend"]

_EMPTY = -math.inf  # the expiry of an empty slot: always in the past
# Policies that must see every hit (they update the entry on each read): no in-process memo.
_TOUCHING = frozenset({"least-recently-used", "least-frequently-used"})


class DiskCacheBackend:
    """Buckets in a diskcache directory, bounded by ``size_limit`` bytes.

    When the directory grows past ``size_limit``, diskcache evicts by ``eviction_policy`` (oldest
    stored first by default); both are stored in the directory, so every process agrees, and
    ``None`` keeps what is stored (the CLI opens caches that way). ``timeout`` bounds how long a
    write waits for another process's transaction (SQLite's busy timeout). ``memo_bytes`` bounds
    the in-process copy of full buckets (0: none; it is off for the LRU/LFU policies, which must
    see every read).
    """

    def __init__(
        self,
        directory: Path | str,
        *,
        size_limit: int | None = 1 << 30,
        eviction_policy: str | None = "least-recently-stored",
        timeout: float = 5.0,
        memo_bytes: int = 32 << 20,
    ) -> None:
        import diskcache

        check_settings(1 if size_limit is None else size_limit, eviction_policy or "none")
        settings: dict[str, object] = {}  # what is not given keeps its stored value
        if size_limit is not None:
            settings["size_limit"] = int(size_limit)
        if eviction_policy is not None:
            settings["eviction_policy"] = eviction_policy
        self.directory = private_dir(directory)
        private_file(self.directory / "cache.db")  # SQLite's -wal/-shm files copy its mode
        self.description = f"diskcache {self.directory}"
        self._cache = diskcache.Cache(
            str(self.directory), timeout=timeout, disk=BytesDisk, **settings
        )
        self._generation = Generation(self.directory / "generation")
        remember = eviction_policy is not None and eviction_policy not in _TOUCHING
        self._memo = Memo(self._generation, memo_bytes) if remember and memo_bytes > 0 else None
        #: whether lookups of a full bucket hand back the same bytes objects (see _memo).
        self.remembers = self._memo is not None

    def recall(self, key: str, size: int, now: float) -> Sequence[bytes] | None:
        """:meth:`lookup` from the memo only (no I/O): the remembered full bucket, or None
        when it is not remembered (then ask :meth:`lookup`)."""
        memo = self._memo
        return None if memo is None else memo.get(key, size, now)

    def lookup(self, key: str, size: int, now: float) -> Sequence[bytes] | None:
        memo = self._memo
        generation = 0
        if memo is not None:
            known = memo.get(key, size, now)
            if known is not None:
                return known
            generation = memo.generation  # read before the bucket: a clear in between wins
        record = self._read(key)
        if record is None:
            return None
        expiries, blobs = record.expiries, record.blobs
        if len(expiries) < size:
            return None
        for i in range(size):
            if expiries[i] <= now:
                return None
        full: Sequence[bytes] = blobs[:size]  # type: ignore[assignment]  # filled: bytes
        if memo is not None:
            memo.put(key, size, min(expiries[:size]), generation, full)
        return full

    def fill(
        self, key: str, size: int, now: float, blob: bytes, expires: float, labels: Labels
    ) -> int | None:
        cache = self._cache
        with cache.transact():
            record = self._read(key)
            expiries = list(record.expiries) if record else []
            blobs = list(record.blobs) if record else []
            if len(expiries) < size:
                grow = size - len(expiries)
                expiries += [_EMPTY] * grow
                blobs += [None] * grow
            index = next((i for i in range(size) if expiries[i] <= now), None)
            if index is None:
                return None
            expiries[index], blobs[index] = expires, blob
            lifetime = max(expiries) - now  # the backend's own expiry: a safety net
            value = Record(labels.seed, labels.model, tuple(expiries), tuple(blobs))
            cache.set(key, value.encode(), expire=max(lifetime, 1.0))
        return index

    def _read(self, key: str) -> Record | None:
        """The bucket of ``key``; a bucket that is not ours is deleted and read as missing."""
        try:
            data = self._cache.get(key)
            return None if data is None else Record.decode(data)
        except BadRecord:
            self.discard(key)
            return None

    def discard(self, key: str) -> None:
        """Delete the bucket of ``key`` (a bad entry); other keys are untouched."""
        if self._memo is not None:
            self._memo.drop(key)
        self._cache.delete(key)

    def slots(self, key: str) -> dict[int, bytes]:
        record = self._read(key)
        if record is None:
            return {}
        return {i: blob for i, blob in enumerate(record.blobs) if blob is not None}

    def _records(self) -> Iterator[tuple[str, Record]]:
        for key in self._keys():
            record = self._read(key)
            if record is not None:
                yield key, record

    def _keys(self) -> list[str]:
        # Not ``iterkeys()``: one pickled key (refused by BytesDisk) would end its generator.
        # Only text keys stored raw can be ours; anything else is never looked up.
        rows = self._cache._sql("SELECT key FROM Cache WHERE raw = 1 AND typeof(key) = 'text'")
        return [key for (key,) in rows.fetchall()]

    @staticmethod
    def _slots(record: Record) -> list[Slot]:
        pairs = zip(record.expiries, record.blobs, strict=True)
        return [(exp, blob) for exp, blob in pairs if blob is not None]

    def clear(self, seed: str | None = None, model: str | None = None) -> int:
        removed = 0
        with self._cache.transact():
            for key, record in self._records():
                if matches(Labels(record.seed, record.model), seed, model):
                    removed += len(self._slots(record))
                    self._cache.delete(key)
            self._generation.bump()  # every process forgets what it remembered
        if self._memo is not None:
            self._memo.clear()
        return removed

    def forget(self, request_ids: Collection[str]) -> int:
        removed = 0
        with self._cache.transact():
            for key, record in self._records():
                slots = self._slots(record)
                if any(produced_by(blob, request_ids) for _, blob in slots):
                    removed += len(slots)
                    self._cache.delete(key)
            self._generation.bump()
        if self._memo is not None:
            self._memo.clear()
        return removed

    def stats(self, now: float) -> BackendStats:
        stats = BackendStats(
            backend=self.description,
            disk_bytes=int(self._cache.volume()),
            size_limit=int(self._cache.size_limit),
        )
        buckets = ((Labels(r.seed, r.model), self._slots(r)) for _, r in self._records())
        return tally(stats, buckets, now)

    def close(self) -> None:
        self._cache.close()
        self._generation.close()

    def __repr__(self) -> str:
        return f"DiskCacheBackend({str(self.directory)!r})"
