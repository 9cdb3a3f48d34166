"""The background writer: a bounded queue, group commits, and a spill journal for bad times.

One daemon thread per store per process takes rows from the queue and hands them, in
batches, to a :class:`Sink` (SQLite or PostgreSQL). Everything engine-independent
lives here, above the sink: grouping rows into few commits, turning deferred row values into
plain ones, spilling what the sink cannot take to the journal, replaying it later, and a
bounded exit.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from .._threads import background_thread
from ._batching import MAX_HOLD, BatchLimit, WriterOptions
from ._errors import LOGGER, Reporter
from ._ids import new_request_id
from ._pacing import Pacer, no_pace
from ._rows import Item, Queued, materialize
from ._sink import Outcome
from ._spill import SpillJournal
from ._writer_journal import SPILL_WAIT, JournalSide

__all__ = ["BatchWriter", "Sink", "WriterOptions", "check_queue", "preload_writer"]


class Sink(Protocol):
    """A storage engine as the writer sees it.

    ``write_batch`` commits ``items`` (plain JSON-able rows) and never raises for database
    trouble; ``failed=True`` in the outcome means nothing was committed. It calls ``pace()``
    between the rows it prepares in Python (the writer's GIL release points, ``_pacing.py``).
    Inserts into ``requests`` must be idempotent by ``id`` and never overwrite (rows can be
    replayed).
    """

    def write_batch(
        self, items: list[Item], *, retry: bool = True, pace: Callable[[], None] = ...
    ) -> Outcome: ...

    def close(self) -> None: ...


class BatchWriter(JournalSide):
    """Queues rows from any thread and writes them from one daemon thread.

    * ``put`` is the hot path: one lock, one append. The thread starts on the first ``put``
      (after ``preload`` ran on the caller's thread: the writer imports nothing itself).
    * **Group commit**: once a row is queued, the thread waits up to ``group_wait`` seconds
      (measured with ``monotonic``) or until ``group_rows`` rows are queued, so one commit
      carries many rows; ``flush`` and ``shutdown`` cut the wait short. Batches hold at most
      ``batch_size`` rows, or under a backlog up to ``backlog_rows`` as far as the last
      batch's lock hold a row fits in ``max_hold`` seconds (``_batching.py``).
    * **Back-pressure**: the queue holds at most ``max_queue`` rows. When it is full, ``put``
      waits up to ``block_timeout`` for room, then drops the row (counted, logged once); on
      a thread running an asyncio event loop it never waits: the row is dropped at once.
    * **Spill**: a batch the sink could not commit (locked, full, read-only, deleted store)
      goes to the spill journal. While the sink is failing, batches go straight to the
      journal and the sink is probed once every ``probe_interval`` seconds; when it works
      again the journal is replayed into it. The journal is also checked when the thread
      starts and every ``replay_interval`` seconds, so rows spilled by another process are
      replayed too.
    * **Bounded exit**: ``shutdown(timeout)`` waits at most ``timeout`` for the thread, then
      spills what is left (queued rows and the batch in flight) from the calling thread.
    * **Pacing** (``_pacing.py``): the thread gives the GIL back between rows of a batch's
      Python while it keeps up and nobody waits for it (``_may_pace``).
    """

    def __init__(
        self,
        sink: Sink,
        reporter: Reporter,
        *,
        journal: SpillJournal | None,
        max_queue: int,
        batch_size: int,
        block_timeout: float,
        group_rows: int = 256,
        group_wait: float = 0.02,
        backlog_rows: int = 0,
        max_hold: float = MAX_HOLD,
        probe_interval: float = 1.0,
        replay_interval: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        preload: Callable[[], None] | None = None,
        new_id: Callable[[], str] = new_request_id,
    ) -> None:
        self._sink = sink
        self._reporter = reporter
        self._journal = journal
        self._max_queue = max_queue
        self._batch_size = batch_size  # (the journal's replay batches: _writer_journal.py)
        self._limit = BatchLimit(batch_size, backlog_rows, max_hold)
        self._block_timeout = block_timeout
        self._group_rows = min(group_rows, batch_size)
        self._group_wait = group_wait
        self._probe_interval = probe_interval
        self._replay_interval = replay_interval
        self._monotonic = monotonic
        self._preload = preload
        self._new_id = new_id
        self._stopping = False
        self._reset()
        self.pacer = Pacer(self._may_pace)  # replaceable (tests, benchmarks)

    def _reset(self) -> None:
        # Reentrant: a SIGTERM handler may drain while the main thread is inside put().
        self._lock = threading.RLock()
        # Held while the thread works on a batch (see pause_for_fork).
        self._working = threading.Lock()
        self._has_rows = threading.Condition(self._lock)
        self._has_room = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._items: deque[Queued] = deque()
        self._inflight: list[Item] = []
        self._taken: list[Queued] = []  # the batch taken off the queue, until built
        self._enqueued = 0  # sequence number of the last row enqueued
        self._done = 0  # ... of the last row written, spilled or dropped by the thread
        self._thread: threading.Thread | None = None
        self._writer_ident: int | None = None
        self._idle = self._lingering = False
        self._hurry = 0  # flush() callers waiting: stop gathering rows
        self._room_waiters = 0
        self._dropping = False
        self._healthy = True
        self._next_probe = self._next_replay_check = 0.0
        self._written = self._spilled = self._replayed = self._dropped = self._errors = 0
        self._commits = 0

    # --- producers ---

    def put(self, item: Queued) -> None:
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
                if self._idle or (self._lingering and len(self._items) >= self._group_rows):
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
        if _on_event_loop():
            # an event loop's thread (AsyncClient): waiting would stall every task on the
            # loop, so a full queue drops at once there (issue 12, item 5)
            self._dropping = True
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
        messages = {
            "closed": "helicone_lite store: write after close(); the row was dropped",
            "no-thread": "helicone_lite store: cannot start the writer thread; rows are dropped",
            "full": "helicone_lite store: the log queue is full (%d rows; the writer cannot keep"
            " up); dropping rows. The count is in Store.stats()['dropped'].",
        }
        args = (self._max_queue,) if reason == "full" else ()
        self._reporter.warn_once(f"drop-{reason}", messages[reason], *args)

    def _start(self) -> bool:
        if self._preload is not None:
            self._preload()  # imports on this thread, before the writer exists (fork safety)
        thread = background_thread(self._run, "helicone-lite-writer")
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
            with self._working:
                self._replay_guarded()
            while True:
                batch = self._next_batch()
                if not batch:
                    return
                with self._working:
                    count, counts = len(batch), self._handle(batch)
                    # a deferred row (the recorder's capture) references its call and so its
                    # client: not kept alive while this thread waits for the next rows
                    del batch
                    self._finish(count, counts)
        finally:
            self._sink.close()

    def _next_batch(self) -> list[Queued]:
        with self._lock:
            while not self._items and not self._stopping:
                self._idle = True
                self._has_rows.wait()
                self._idle = False
            self._gather()
            count = len(self._items)
            if self._healthy:
                count = self._limit.rows(count)
            popleft = self._items.popleft
            batch = [popleft() for _ in range(count)]
            self._taken = batch  # exit spills it if the thread stalls before building it
            self._dropping = False
            if self._room_waiters:
                self._has_room.notify_all()
            return batch

    def _gather(self) -> None:
        """Wait (lock held, released while waiting) for more rows to share the commit."""
        if self._group_wait <= 0 or not self._healthy:
            return
        deadline = self._monotonic() + self._group_wait
        self._lingering = True
        try:
            while len(self._items) < self._group_rows and not self._stopping and not self._hurry:
                remaining = deadline - self._monotonic()
                if remaining <= 0:
                    return
                self._has_rows.wait(remaining)
        finally:
            self._lingering = False

    def _may_pace(self) -> bool:
        """Whether to give the GIL back now: fewer than a group of rows queued behind the
        batch, no ``flush`` or exit waiting. Unlocked: a stale answer is one release more or
        less."""
        return not (self._hurry or self._stopping or len(self._items) >= self._group_rows)

    def _handle(self, batch: list[Queued]) -> tuple[int, int, int, int]:
        """Write or spill ``batch``; returns (written, spilled, dropped, errors)."""
        self.pacer.begin()
        tick, new_id, rows = self.pacer.tick, self._new_id, []
        try:
            for item in batch:
                rows.append(materialize(item, new_id))
                tick()
        except BaseException:  # nothing may kill this thread: flush() would wait forever
            self._report_bug()
            return 0, 0, len(batch), 1
        with self._lock:
            self._inflight, self._taken = rows, []
        now = self._monotonic()
        if not self._healthy and now < self._next_probe:
            return (0, *self._spill(rows), 0)
        outcome = self._write(rows, retry=self._healthy, pace=tick)
        if outcome.failed:
            self._healthy = False
            self._next_probe = now + self._probe_interval
            return (0, *self._spill(rows), outcome.errors)
        recovered = not self._healthy
        self._healthy = True
        self._limit.held(len(rows), outcome.held)
        if recovered or now >= self._next_replay_check:
            self._replay_guarded()
        return outcome.written, 0, outcome.dropped, outcome.errors

    def _replay_guarded(self) -> None:
        """Replay the journal on this thread; an unexpected error is reported, not raised
        (it would end the thread, and ``flush()`` would wait for rows no one writes)."""
        try:
            self._replay_if_pending()
        except BaseException:
            self._report_bug()

    def _write(
        self, rows: list[Item], *, retry: bool, pace: Callable[[], None] = no_pace
    ) -> Outcome:
        try:
            outcome = self._sink.write_batch(rows, retry=retry, pace=pace)
        except BaseException:
            self._report_bug()
            return Outcome(0, len(rows), 1, failed=True)
        if not outcome.failed:
            with self._lock:
                self._commits += 1
        return outcome

    def _report_bug(self) -> None:
        if self._reporter.warn_once("writer-bug", "helicone_lite store: writer error"):
            LOGGER.exception("helicone_lite store: unexpected writer error")

    def _finish(self, count: int, counts: tuple[int, int, int, int]) -> None:
        written, spilled, dropped, errors = counts
        with self._lock:
            self._inflight, self._taken = [], []
            self._done += count
            self._written += written
            self._spilled += spilled
            self._dropped += dropped
            self._errors += errors
            self._drained.notify_all()

    # --- control ---

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every row enqueued before this call is written, spilled or dropped."""
        with self._lock:
            target = self._enqueued
            if self._done >= target:
                return True
            if threading.get_ident() == self._writer_ident:
                return False  # called from the writer thread itself (e.g. a _cost hook)
            self._hurry += 1
            self._has_rows.notify()
            try:
                return self._drained.wait_for(lambda: self._done >= target, timeout)
            finally:
                self._hurry -= 1

    def shutdown(self, timeout: float | None = None) -> bool:
        """Stop accepting rows; write what is queued within ``timeout`` seconds, spill the
        rest; stop the thread. Returns True when everything was written. Idempotent."""
        with self._lock:
            self._stopping = True
            thread = self._thread
            self._has_rows.notify()
            self._has_room.notify_all()
        if thread is None or thread.ident == threading.get_ident():
            return True
        thread.join(timeout)
        if not thread.is_alive():
            return True
        self._spill_remaining(max(timeout or 0.0, SPILL_WAIT))
        return False

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {
                "written": self._written,
                "spilled": self._spilled,
                "replayed": self._replayed,
                "dropped": self._dropped,
                "queued": self._enqueued - self._done,
                "errors": self._errors,
                "commits": self._commits,
            }

    @property
    def stopped(self) -> bool:
        return self._stopping

    def pause_for_fork(self, timeout: float) -> bool:
        """Wait (at most ``timeout``) for the thread to finish the batch in hand, and keep it
        from starting another until :meth:`resume_after_fork`. True when paused.

        A batch runs pydantic-core's serialisers (``model_dump_json`` of replies, ``to_json``
        of JSON columns). Their first use in a process initialises interned strings
        (``"__dict__"``, ``"__pydantic_fields_set__"``) in once-cells that pyo3 marks
        "running" and then releases the GIL: a fork at that moment gives the child a cell
        that stays "running" forever, and every later serialisation of a model in the child
        waits for it (seen as pool workers stuck in ``model_dump_json``). A fork that waits
        here never copies this thread mid-batch.
        """
        if threading.get_ident() == self._writer_ident:
            return False  # fork() called from the writer thread itself (a row's hook)
        return self._working.acquire(timeout=timeout)

    def resume_after_fork(self) -> None:
        self._working.release()

    def after_fork_child(self) -> None:
        # The thread does not exist in the child and the queued rows belong to the parent,
        # which writes them; the child starts empty with its own lock, counters and thread.
        self._reset()


def _on_event_loop() -> bool:
    """Whether this thread is running an asyncio event loop (asked only when the queue is
    full, so the exception's cost never lands on a normal call)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def check_queue(max_queue: int, batch_size: int, retries: int) -> None:
    """Refuse queue options no writer can run with (every engine)."""
    if max_queue < 1 or batch_size < 1 or retries < 0:
        raise ValueError("max_queue and batch_size must be >= 1 and retries >= 0")


def preload_writer() -> None:
    """What the writer thread needs, imported before it starts (see BatchWriter)."""
    from .._cost import preload

    preload()
