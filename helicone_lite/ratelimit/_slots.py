"""Bucket state in a mapped slot file, exact across threads, asyncio tasks and processes.

Every decision (read the call's buckets, decide, write them) runs under one exclusive
``flock`` on the whole slot file (:mod:`._slotfile`), taken after this store's thread lock:
the lock is per open file description, so every process and every store object excludes the
others, and the kernel drops it when a process dies. One lock for the table, not one per slot:
a decision touches one to three slots plus the header, growth and pruning rewrite the table,
and the critical section is a few microseconds, far below a call. A decision is a memory
read and write (no system call but the lock's two and the size check's ``lseek``), so a
local policy costs the call microseconds where the SQLite store it replaces spent ~150 µs
running cold. A call with one bucket (one policy) takes ``_take_one``: no lists, the same
floats.

After ``fork`` the child re-opens the file (its own description, its own lock) and gets a new
thread lock (a thread of the parent may have held the old one). Lock waits are bounded
(``lock_timeout``): a stuck lock is a :class:`BackendError`, not a hang. The arithmetic is
:mod:`._bucket`'s, on the same floats, so the levels equal the SQLite store's.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import os
import threading
import weakref
from collections.abc import Sequence
from contextlib import suppress
from functools import partial
from pathlib import Path

from ._bucket import (
    BackendError,
    Bucket,
    BucketState,
    Decision,
    decide,
    decide_one,
    full_at,
    refill,
    settle,
)
from ._slotfile import (
    Name,
    Record,
    Table,
    build,
    checked,
    legacy_buckets,
    lock_file,
    name_line,
    names_gen,
    open_table,
    set_retired,
    write_new,
)
from ._slotnames import Names

__all__ = ["LocalBuckets"]

#: prune full buckets once every this many decisions (or the table's size, if larger)
_PRUNE_EVERY = 512
_DIGESTS_LIMIT = 4096
_UNNAMED = "(unknown)"


class LocalBuckets:
    """Token buckets in the slot file ``path`` (``<home>/ratelimit.slots``); the first open
    imports the live buckets of ``legacy`` (the SQLite ``ratelimit.db`` of older versions).

    >>> import tempfile, pathlib
    >>> store = LocalBuckets(pathlib.Path(tempfile.mkdtemp()) / "ratelimit.slots")
    >>> store.states(0.0)
    []
    """

    def __init__(
        self, path: Path, *, legacy: Path | None = None, lock_timeout: float = 5.0
    ) -> None:
        self.path = Path(path)
        self.names_path = self.path.with_suffix(".names")
        self._names = Names(self.names_path)
        self._legacy = legacy
        self._timeout = lock_timeout
        self._lock = threading.Lock()
        self._fd = -1
        self._table: Table | None = None
        self._ticks = itertools.count(1)
        self._digests: dict[str, bytes] = {}
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: _forked(ref))

    def __repr__(self) -> str:
        return f"LocalBuckets({str(self.path)!r})"

    # --- the backend interface ---

    def take(self, buckets: Sequence[Bucket], now: float) -> Decision:
        """Reserve every bucket's amount, or none of them."""
        now = float(now)
        if len(buckets) == 1:
            return self._take_one(buckets[0], now)
        digests = [self._digest(b.key) for b in buckets]
        table, used = self._acquire()
        try:
            table = self._room(table, used, len(buckets), now)
            found = [table.find(d) for d in digests]
            levels = [_level(b, record, now) for b, (_, record) in zip(buckets, found, strict=True)]
            decision = decide(buckets, levels)
            if decision.admitted:
                for put in zip(buckets, digests, found, decision.tokens, strict=True):
                    self._put(table, *put, now)
            self._prune(table, now)
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()
        return decision

    def _take_one(self, bucket: Bucket, now: float) -> Decision:
        """``take`` of one bucket (a call with one policy): the general path's reads, float
        operations and writes, in the same order, without its lists."""
        digest = self._digests.get(bucket.key) or self._digest(bucket.key)
        table, used = self._acquire()
        try:
            if not table.room_for(used, 1):
                table = self._room(table, used, 1, now)
            found = table.find(digest)
            decision = decide_one(bucket, _level(bucket, found[1], now))
            if decision.admitted:
                self._put(table, bucket, digest, found, decision.tokens[0], now)
            self._prune(table, now)
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()
        return decision

    def adjust(self, changes: Sequence[tuple[Bucket, float]], now: float) -> tuple[float, ...]:
        """Charge each bucket ``delta`` more (refund when negative); the levels afterwards."""
        now = float(now)
        if len(changes) == 1:
            return (self._adjust_one(*changes[0], now),)
        buckets = [b for b, _ in changes]
        digests = [self._digest(b.key) for b in buckets]
        table, used = self._acquire()
        try:
            table = self._room(table, used, len(buckets), now)
            found = [table.find(d) for d in digests]
            levels = tuple(
                settle(_level(b, record, now), b.capacity, delta)
                for (b, delta), (_, record) in zip(changes, found, strict=True)
            )
            for put in zip(buckets, digests, found, levels, strict=True):
                self._put(table, *put, now)
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()
        return levels

    def _adjust_one(self, bucket: Bucket, delta: float, now: float) -> float:
        """``adjust`` of one bucket, without the general path's lists."""
        digest = self._digests.get(bucket.key) or self._digest(bucket.key)
        table, used = self._acquire()
        try:
            if not table.room_for(used, 1):
                table = self._room(table, used, 1, now)
            found = table.find(digest)
            level = settle(_level(bucket, found[1], now), bucket.capacity, delta)
            self._put(table, bucket, digest, found, level, now)
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()
        return level

    def states(self, now: float) -> list[BucketState]:
        """Every bucket not yet full again (the live ones), for listing."""
        table, _ = self._acquire()
        try:
            live = [record for _, record in table.live() if record.full_at > now]
            names = self._names.read()
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()
        unnamed = (_UNNAMED, _UNNAMED)
        found = []
        for r in live:
            key, policy, segment = names.get(r.digest) or (r.digest.hex(), *unnamed)
            found.append(
                BucketState(key, policy, segment, r.capacity, int(r.window), r.tokens, r.updated)
            )
        return sorted(found, key=lambda s: (s.policy, s.segment))

    def reset(self, policy: str | None = None, segment: str | None = None) -> int:
        """Forget (refill) the buckets of ``policy`` (and ``segment``); all when both are None.

        Their records leave the names file too (it is rewritten without them), so a user's
        id does not outlive ``reset(segment="user=ID")`` there (``delete --user``)."""
        table, _ = self._acquire()
        try:
            names = self._names.read()

            def chosen(name: Name | None) -> bool:
                return (policy is None or (name is not None and name[1] == policy)) and (
                    segment is None or (name is not None and name[2] == segment)
                )

            count = 0
            for index, record in list(table.live()):
                if chosen(names.get(record.digest)):
                    table.forget(index)
                    count += 1
            self._names.drop(table, names, chosen)
            return count
        except OSError as exc:
            raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
        finally:
            self._release()

    def close(self) -> None:
        with self._lock:
            self._close_table()
            self._names.close()

    # --- the lock ---

    def _acquire(self) -> tuple[Table, int]:
        """This store's thread lock, then the file's lock; the table, checked, and how many
        of its slots are used."""
        self._lock.acquire()
        try:
            for _ in range(8):
                table = self._table or self._open()
                lock_file(self._fd, self._timeout, self.path)
                used, gone = checked(table, self._fd, self.path)
                if not gone:
                    return table, used
                if self._same_file():  # a rebuild died between marking it and replacing it
                    set_retired(table, False)
                    return table, used
                fcntl.flock(self._fd, fcntl.LOCK_UN)  # rebuilt: the path has the new file
                self._close_table()
            raise BackendError(f"rate-limit store {self.path}: replaced too often while opening")
        except BaseException as exc:
            if self._fd >= 0:
                with suppress(OSError):
                    fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()
            if isinstance(exc, OSError):
                raise BackendError(f"rate-limit store {self.path}: {exc}") from exc
            raise

    def _release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        except OSError:  # not suppress(): that would cost every decision ~1 µs
            pass
        finally:
            self._lock.release()

    def _same_file(self) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    # --- the file ---

    def _open(self) -> Table:
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(self.path, os.O_RDWR | nofollow)
        except FileNotFoundError:
            fd = self._create()
        return self._adopt(fd)

    def _adopt(self, fd: int) -> Table:
        """Map the slot file open at ``fd`` as this store's table (``fd`` closed on failure)."""
        try:
            buffer, count = open_table(fd, self.path)
        except BaseException:
            os.close(fd)
            raise
        self._fd, self._table = fd, Table(buffer, count)
        return self._table

    def _create(self) -> int:
        """A new slot file, holding the buckets of an old ``ratelimit.db`` if there is one."""
        imported = list(legacy_buckets(self._legacy)) if self._legacy else []
        records = {record.digest: record for _, record in imported}
        fd = write_new(self.path, bytes(build(records.values(), 0)), replace=False)
        if fd < 0:  # another process created it first (with the same import)
            return os.open(self.path, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0))
        if imported:
            self._names.write_all(name_line(r.digest, *name) for name, r in imported)
        return fd

    def _close_table(self) -> None:
        if self._table is not None:
            buffer = self._table.buffer
            self._table = None
            with suppress(OSError, ValueError, BufferError):
                buffer.close()  # type: ignore[union-attr]
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    def _room(self, table: Table, used: int, new: int, now: float) -> Table:
        """``table``, or a rebuilt one (pruned, resized) when ``new`` more slots would pass
        its load limit. The rebuilt file is locked before it replaces the old one at the path,
        and the old one is marked retired before that, so no process decides in either alone."""
        if table.room_for(used, new):
            return table
        records = [r for _, r in table.live() if r.full_at > now]
        content = bytes(build(records, names_gen(table)))
        set_retired(table, True)
        try:
            fd = write_new(
                self.path,
                content,
                replace=True,
                before=partial(lock_file, timeout=self._timeout, path=self.path),
            )
        except BaseException:
            set_retired(table, False)
            raise
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._close_table()
        table = self._adopt(fd)
        self._names.compact(table, {r.digest for r in records})
        return table

    def _put(
        self,
        table: Table,
        bucket: Bucket,
        digest: bytes,
        found: tuple[int, Record | None],
        tokens: float,
        now: float,
    ) -> None:
        """Write ``bucket`` at level ``tokens`` into the slot ``found`` (index, what it held)."""
        index, before = found
        at = now if before is None else max(now, before.updated)
        full = full_at(tokens, at, bucket.capacity, bucket.rate)
        record = Record(digest, bucket.capacity, float(bucket.window), tokens, at, full)
        if before is None:  # the same bucket twice in one call: the first one created it
            index, again = table.find(digest)
            if again is None:
                self._names.append(table, digest, bucket)
            table.write(index, record, new=again is None)
        else:
            table.write(index, record, new=False)

    def _prune(self, table: Table, now: float) -> None:
        """Now and then, forget the buckets that are full again (a full bucket equals a
        missing one) and compact the names file; scans cost O(table), so they come at most
        once per table-size decisions."""
        if next(self._ticks) % max(_PRUNE_EVERY, table.count):
            return
        self._names.compact(table, table.forget_full(now))

    def _digest(self, key: str) -> bytes:
        digest = self._digests.get(key)
        if digest is None:
            if len(self._digests) >= _DIGESTS_LIMIT:
                self._digests.clear()
            digest = self._digests[key] = hashlib.sha256(key.encode()).digest()[:16]
        return digest

    def _forked(self) -> None:
        """In a child of ``fork``: a new thread lock (a parent's thread may hold the old one);
        the inherited descriptors closed (it shares the parent's lock), the file re-opened."""
        self._lock = threading.Lock()
        self._table = None
        if self._fd >= 0:
            with suppress(OSError):
                os.close(self._fd)
        self._fd = -1
        self._names.close()


def _forked(ref: weakref.ref[LocalBuckets]) -> None:
    store = ref()
    if store is not None:
        store._forked()


def _level(bucket: Bucket, record: Record | None, now: float) -> float:
    if record is None:
        return bucket.capacity  # a missing bucket is full
    return refill(record.tokens, record.updated, now, bucket.capacity, bucket.rate)
