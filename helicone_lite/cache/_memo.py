"""An in-process copy of full buckets, so a repeated hit does not touch SQLite.

Reading SQLite costs ~20 us and releases the GIL, which lets the request log's writer thread
take it for up to a switch interval (5 ms): the p95 of a hit. A bucket that was found full is
remembered, as its blobs, until its first slot expires. That stays correct across processes
because a full bucket only changes in three ways:

* a slot expires: the memo entry expires with it (``valid_until``, on the client's clock);
* ``clear`` (any process, e.g. the CLI): it bumps a generation counter in a memory-mapped file
  in the cache directory, which every lookup compares (a memory read: no syscall, no GIL release);
* size-limit eviction: the process may keep serving the evicted answer until it expires — a
  valid answer for that key, as a CDN edge would.

The memo is bounded in bytes (oldest-remembered first out).
"""

from __future__ import annotations

import mmap
import os
import threading
from collections.abc import Sequence
from pathlib import Path

__all__ = ["Generation", "Memo"]


class Generation:
    """A 64-bit counter shared by every process through a memory-mapped 8-byte file."""

    def __init__(self, path: Path) -> None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)  # private whatever the umask (and if an old one was not)
            if os.fstat(fd).st_size < 8:
                os.ftruncate(fd, 8)  # zero-filled; racing creators agree
            self._map = mmap.mmap(fd, 8)
        finally:
            os.close(fd)  # the mapping keeps the file open

    @property
    def value(self) -> int:
        return int.from_bytes(self._map[:8], "little")

    def bump(self) -> None:
        """Add one. Call under a cross-process lock (the cache's ``transact()``)."""
        self._map[:8] = ((self.value + 1) % (1 << 64)).to_bytes(8, "little")

    def close(self) -> None:
        self._map.close()


class Memo:
    """(key, bucket size) -> the bucket's blobs, until ``valid_until`` or a generation change."""

    def __init__(self, generation: Generation, limit_bytes: int) -> None:
        self._generation = generation
        self._limit = limit_bytes
        self._entries: dict[tuple[str, int], tuple[float, int, Sequence[bytes], int]] = {}
        self._bytes = 0
        self._lock = threading.Lock()  # for put/drop; a hit is one dict read

    @property
    def generation(self) -> int:
        return self._generation.value

    def get(self, key: str, size: int, now: float) -> Sequence[bytes] | None:
        entry = self._entries.get((key, size))
        if entry is None:
            return None
        if entry[0] > now and entry[1] == self._generation.value:
            return entry[2]
        self._drop((key, size))
        return None

    def put(
        self, key: str, size: int, valid_until: float, generation: int, blobs: Sequence[bytes]
    ) -> None:
        """Remember a full bucket read under ``generation`` (read *before* the bucket was)."""
        weight = sum(len(b) for b in blobs)
        if weight > self._limit:
            return
        with self._lock:
            self._pop((key, size))
            while self._entries and self._bytes + weight > self._limit:
                self._pop(next(iter(self._entries)))
            self._entries[(key, size)] = (valid_until, generation, blobs, weight)
            self._bytes += weight

    def drop(self, key: str) -> None:
        """Forget ``key`` at every bucket size (its bucket was found bad and deleted)."""
        with self._lock:
            for name in [name for name in self._entries if name[0] == key]:
                self._pop(name)

    def _drop(self, name: tuple[str, int]) -> None:
        with self._lock:
            self._pop(name)

    def _pop(self, name: tuple[str, int]) -> None:
        entry = self._entries.pop(name, None)
        if entry is not None:
            self._bytes -= entry[3]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0
