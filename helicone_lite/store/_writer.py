"""The background writer: a bounded queue drained in batches by one daemon thread."""

from __future__ import annotations

import threading
from collections import deque
from typing import Protocol

from ._errors import LOGGER, Reporter
from ._rows import Item
from ._sink import Outcome

__all__ = ["BatchWriter", "Sink"]


class Sink(Protocol):
    def write_batch(self, items: list[Item], *, retry: bool = True) -> Outcome: ...

    def close(self) -> None: ...


class BatchWriter:
    """Queues rows from any thread and writes them from one daemon thread.

    * ``put`` is the hot path: one lock, one append. The thread starts on the first ``put``.
    * The queue holds at most ``max_queue`` rows. When it is full, ``put`` waits up to
      ``block_timeout`` for room (back-pressure), then drops the row; once dropping has begun,
      further rows are dropped without waiting until the writer makes room again. The first
      drop is logged once; all are counted in ``stats()['dropped']``.
    * The thread takes up to ``batch_size`` rows at a time (fewer when the queue is
      momentarily empty) and hands them to the sink. After a batch failed and was dropped,
      the next batch takes everything queued and gets a single attempt, so a dead database
      cannot hold the process (or its exit) for minutes.
    * Every ``put`` gets a sequence number under the same lock as the append, so ``flush``
      can wait for exactly the rows enqueued before it was called.
    """

    def __init__(
        self,
        sink: Sink,
        reporter: Reporter,
        *,
        max_queue: int,
        batch_size: int,
        block_timeout: float,
    ) -> None:
        self._sink = sink
        self._reporter = reporter
        self._max_queue = max_queue
        self._batch_size = batch_size
        self._block_timeout = block_timeout
        self._stopping = False
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._has_rows = threading.Condition(self._lock)
        self._has_room = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._items: deque[Item] = deque()
        self._enqueued = 0  # sequence number of the last row enqueued
        self._taken = 0  # ... of the last row taken by the writer thread
        self._done = 0  # ... of the last row written or dropped by it
        self._thread: threading.Thread | None = None
        self._writer_ident: int | None = None
        self._idle = False
        self._room_waiters = 0
        self._dropping = False
        self._healthy = True
        self._written = self._dropped = self._errors = 0

    # --- producers ---

    def put(self, item: Item) -> None:
        with self._lock:
            if self._stopping:
                self._dropped += 1
                reason = "closed"
            elif len(self._items) >= self._max_queue and not self._wait_for_room():
                self._dropped += 1
                reason = "full"
            elif self._thread is None and not self._start():
                self._dropped += 1
                reason = "no-thread"
            else:
                self._items.append(item)
                self._enqueued += 1
                if self._idle:
                    self._has_rows.notify()
                return
        self._report_drop(reason)

    def reject(self, count: int = 1) -> None:
        """Count rows that were never queued (the store is unusable)."""
        with self._lock:
            self._dropped += count

    def _wait_for_room(self) -> bool:
        if self._dropping or threading.get_ident() == self._writer_ident:
            return False
        self._room_waiters += 1
        try:
            self._has_room.wait_for(
                lambda: len(self._items) < self._max_queue or self._stopping,
                self._block_timeout,
            )
        finally:
            self._room_waiters -= 1
        if self._stopping or len(self._items) >= self._max_queue:
            self._dropping = True
            return False
        return True

    def _report_drop(self, reason: str) -> None:
        if reason == "closed":
            self._reporter.warn_once(
                "write-after-close",
                "helicone_lite store: write after close(); the row was dropped",
            )
        elif reason == "no-thread":
            self._reporter.warn_once(
                "no-thread",
                "helicone_lite store: cannot start the writer thread; rows are dropped",
            )
        else:
            self._reporter.warn_once(
                "queue-full",
                "helicone_lite store: the log queue is full (%d rows; the database is slower"
                " than the calls or stuck); dropping rows. The count is in"
                " Store.stats()['dropped'].",
                self._max_queue,
            )

    def _start(self) -> bool:
        thread = threading.Thread(target=self._run, name="helicone-lite-writer", daemon=True)
        try:
            thread.start()  # RuntimeError during interpreter shutdown or out of threads
        except RuntimeError:
            return False
        self._thread = thread
        return True

    # --- the writer thread ---

    def _run(self) -> None:
        self._writer_ident = threading.get_ident()
        try:
            while True:
                batch, retry = self._next_batch()
                if not batch:
                    return
                self._finish(len(batch), self._write(batch, retry))
        finally:
            self._sink.close()

    def _next_batch(self) -> tuple[list[Item], bool]:
        with self._lock:
            while not self._items and not self._stopping:
                self._idle = True
                self._has_rows.wait()
                self._idle = False
            count = len(self._items)
            if self._healthy:
                count = min(count, self._batch_size)
            popleft = self._items.popleft
            batch = [popleft() for _ in range(count)]
            self._taken += count
            self._dropping = False
            if self._room_waiters:
                self._has_room.notify_all()
            return batch, self._healthy

    def _write(self, batch: list[Item], retry: bool) -> Outcome:
        try:
            return self._sink.write_batch(batch, retry=retry)
        except BaseException:  # nothing may kill this thread: flush() would wait forever
            if self._reporter.warn_once("writer-bug", "helicone_lite store: writer error"):
                LOGGER.exception("helicone_lite store: unexpected writer error")
            return Outcome(0, len(batch), 1, failed=True)

    def _finish(self, count: int, outcome: Outcome) -> None:
        with self._lock:
            self._done += count
            self._written += outcome.written
            self._dropped += outcome.dropped
            self._errors += outcome.errors
            self._healthy = not outcome.failed
            self._drained.notify_all()

    # --- control ---

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row enqueued before this call is written or dropped."""
        with self._lock:
            target = self._enqueued
            if self._done >= target:
                return True
            if threading.get_ident() == self._writer_ident:
                return False  # called from the writer thread itself (e.g. a _cost hook)
            return self._drained.wait_for(lambda: self._done >= target, timeout)

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop accepting rows, write what is queued, stop the thread. Idempotent."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            self._has_rows.notify()
            self._has_room.notify_all()
        if thread is None or thread.ident == threading.get_ident():
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "written": self._written,
                "dropped": self._dropped,
                "queued": self._enqueued - self._done,
                "errors": self._errors,
            }

    @property
    def stopped(self) -> bool:
        return self._stopping

    def after_fork_child(self) -> None:
        # The thread does not exist in the child and the queued rows belong to the parent,
        # which writes them; the child starts empty with its own lock, counters and thread.
        self._reset()
