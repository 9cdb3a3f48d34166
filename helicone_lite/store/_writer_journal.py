"""The writer's side of the spill journal: spilling what the sink cannot take, replaying
the journal into the sink, and spilling what is left at a bounded exit.

A mixin of :class:`._writer.BatchWriter`, which owns the state declared here (its lock,
counters, queue and the batch in flight) and sets it in ``__init__``/``_reset``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from .._threads import background_thread
from ._errors import LOGGER, Reporter
from ._rows import DeferredRow, Item, Queued, materialize
from ._sink import Outcome
from ._spill import SpillJournal

__all__ = ["SPILL_WAIT", "JournalSide"]

#: At exit, rows the stuck writer left are built and spilled within at least this long.
SPILL_WAIT = 5.0


class JournalSide:
    """Spill, replay and the bounded exit's spill (state owned by ``BatchWriter``)."""

    _journal: SpillJournal | None
    _reporter: Reporter
    _lock: threading.RLock
    _drained: threading.Condition
    _items: deque[Queued]
    _inflight: list[Item]
    _taken: list[Queued]
    _done: int
    _spilled: int
    _replayed: int
    _dropped: int
    _healthy: bool
    _next_probe: float
    _next_replay_check: float
    _probe_interval: float
    _replay_interval: float
    _batch_size: int
    _monotonic: Callable[[], float]
    _new_id: Callable[[], str]

    def _write(self, rows: list[Item], *, retry: bool) -> Outcome:
        raise NotImplementedError  # BatchWriter's

    def _spill(self, rows: list[Item]) -> tuple[int, int]:
        if self._journal is None or not rows:
            return 0, len(rows)
        spilled, dropped = self._journal.append(rows)
        if dropped:
            self._reporter.warn_once(
                "spill-full",
                "helicone_lite store: the spill journal is full or cannot be written (bound"
                " %d bytes); dropping rows. The count is in Store.stats()['dropped'].",
                self._journal.max_bytes,
            )
        return spilled, dropped

    def _replay_if_pending(self) -> None:
        journal = self._journal
        self._next_replay_check = self._monotonic() + self._replay_interval
        if journal is None or not journal.pending():
            return
        for path in journal.claim():
            result = journal.replay(path, self._replay_batch, self._batch_size)
            with self._lock:
                self._replayed += result.replayed
                self._dropped += result.corrupt
            if result.corrupt:
                self._reporter.warn_once(
                    "spill-corrupt",
                    "helicone_lite store: %s has damaged records (checksum); they were skipped",
                    path,
                )
            if not result.complete:
                return

    def _replay_batch(self, rows: list[Item]) -> bool:
        outcome = self._write(rows, retry=False)
        if outcome.failed:
            self._healthy = False
            self._next_probe = self._monotonic() + self._probe_interval
        else:
            with self._lock:
                self._dropped += outcome.dropped  # rows the database rejects for good
        return not outcome.failed

    def _spill_remaining(self, timeout: float) -> None:
        with self._lock:
            queued = list(self._items)
            self._items.clear()
            self._done += len(queued)
            # The thread's batch: built (in flight) or taken but not built yet (a thread
            # stalled, e.g. starved of CPU, between the queue and the sink). It is built
            # again here from a copy: the thread may still be building its own.
            inflight = self._inflight
            queued[:0] = [(table, _copy(row)) for table, row in self._taken]
            self._inflight, self._taken = [], []
        spilled, dropped = self._bounded(lambda: self._spill_items(inflight, queued), timeout)
        if dropped < 0:  # still building: counted as lost (the journal may get them yet)
            dropped = len(inflight) + len(queued)
            LOGGER.warning(
                "helicone_lite store: exit could not serialise %d row(s) within %.1f s (the"
                " writer thread is stuck too, e.g. in a native lock copied by fork); dropped",
                dropped,
                timeout,
            )
        with self._lock:
            self._spilled += spilled
            self._dropped += dropped
            self._drained.notify_all()
        if spilled:
            LOGGER.warning(
                "helicone_lite store: exit did not finish writing in time; %d row(s) went to the"
                " spill journal and will be written by the next writer",
                spilled,
            )

    def _spill_items(self, inflight: list[Item], queued: list[Queued]) -> tuple[int, int]:
        return self._spill(inflight + [materialize(item, self._new_id) for item in queued])

    @staticmethod
    def _bounded(work: Callable[[], tuple[int, int]], timeout: float) -> tuple[int, int]:
        """``work()`` on a helper daemon thread, waited for at most ``timeout`` seconds;
        (0, -1) if it has not finished. The writer thread is stuck when this runs: rows are
        built by pydantic-core, and whatever holds the writer (a once-cell a fork copied
        "running", see pause_for_fork) could hold any thread that serialises, so exit must
        not wait for that without bound."""
        done: list[tuple[int, int]] = []
        helper = background_thread(lambda: done.append(work()), "helicone-lite-spill")
        try:
            helper.start()
        except RuntimeError:  # no new threads (interpreter shutdown): on this thread
            return work()
        helper.join(timeout)
        return done[0] if done else (0, -1)


def _copy(row: dict[str, Any] | DeferredRow) -> dict[str, Any] | DeferredRow:
    """A plain row's own dict (building one fills it in place); a deferred row as it is
    (building one makes a new dict)."""
    return dict(row) if isinstance(row, dict) else row
