"""Two transactions in flight: the PostgreSQL writer's large batch on two connections.

One process's writer is latency-bound: its thread prepares a batch, then waits while one
server backend runs the batch's statements (~120-170 µs of server CPU a request against
~25 µs of Python). A batch of at least ``2 * MIN_PART`` rows is therefore cut in two: the
first part is committed by a helper thread on a second connection while the writer thread
sends the second part on its own, so two backends work at once and the Python of one part
runs while the server works on the other.

The order the rest of the store relies on is kept: the second part's fact rows and inserts
may run beside the first part, but its rollup statements (``_rollup_batch.py``: they read
``requests`` to count a cache hit against its original, and move earlier hits of its
requests from ``unpriced`` to ``saved_*``) start only once the first part is committed, so
the rollups count the batch as two batches written in turn. Only batches of ``requests``
rows are cut (their side rows are keyed by their request's id, so the two parts never write
the same row and never wait for each other's row locks); any other batch, and a batch
below ``2 * MIN_PART`` rows, is one transaction as before.

No deadlock the server cannot see: the second part waits for the first on the client. If
the first part has not committed within ``wait`` seconds (a lock held by another process
that itself waits for the second part's uncommitted rows, or only a slow server), the
second part rolls back (releasing its row locks), waits for the first part without a bound
and then runs again alone. If either part fails, the batch is retried (``write_batch``):
rows the first part committed are then skipped (``first_of_each`` reads the logged ids)
and a spilled batch replays idempotently, so no row is lost or counted twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from .._threads import background_thread
from ._errors import StoreError

__all__ = ["MIN_PART", "PART_WAIT", "PartFailed", "PartRunner", "TooSlow", "halves", "in_turn"]

#: the smallest part worth a second transaction (its fixed costs: ~10 statements, triggers)
MIN_PART = 250
#: how long the second part waits, inside its transaction, for the first to commit
PART_WAIT = 2.0


class PartFailed(StoreError):
    """The first part's transaction failed (its error is the cause): the batch is retried."""


class TooSlow(Exception):
    """The first part did not commit within the wait: the second part rolls back."""


class PartRunner:
    """One helper thread that runs one job at a time for the writer thread.

    ``submit`` hands it a job; ``wait`` waits for the job's end; ``result`` returns its
    value or raises its error. The thread is started on the first job and stopped by
    ``close`` (a later job starts a new one); when no thread can be started, the job runs
    on the caller's thread (the batch is then written in turn, as before).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._job: Callable[[], int] | None = None
        self._done = True
        self._value = 0
        self._error: BaseException | None = None

    def submit(self, job: Callable[[], int]) -> None:
        with self._cond:
            if not self._done:
                raise RuntimeError("PartRunner: a job is already running")
            self._done, self._error, self._value = False, None, 0
            self._job = job
            if self._thread is None and not self._start():
                self._job = None
                self._finish(job)
                return
            self._cond.notify_all()

    def _start(self) -> bool:
        thread = background_thread(lambda: self._run(thread), "helicone-lite-writer-part")
        try:
            thread.start()
        except RuntimeError:  # interpreter shutdown, or out of threads
            return False
        self._thread = thread
        return True

    def _run(self, me: threading.Thread) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._job is not None or self._thread is not me)
                if self._job is None:
                    return  # closed (another thread may serve later jobs)
                job, self._job = self._job, None
            self._finish(job)

    def _finish(self, job: Callable[[], int]) -> None:
        value, error = 0, None
        try:
            value = job()
        except BaseException as exc:  # handed to the writer thread by result()
            error = exc
        with self._cond:
            self._value, self._error, self._done = value, error, True
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """Whether the job ended (within ``timeout`` seconds; ``None``: no bound)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._done, timeout)

    def result(self) -> int:
        """The ended job's value; its error if it raised (a database error as PartFailed)."""
        with self._cond:
            error, value = self._error, self._value
        if error is None:
            return value
        if isinstance(error, StoreError) or _is_database_error(error):
            raise PartFailed(f"the batch's first part failed: {error}") from error
        raise error

    def close(self) -> None:
        """Stop the thread once idle (a job handed to it first is still run)."""
        with self._cond:
            self._thread = None
            self._cond.notify_all()


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.split(".", 1)[0] == "psycopg"


def in_turn(
    runner: PartRunner,
    first: Callable[[Callable[[], None] | None], int],
    second: Callable[[Callable[[], None] | None], int],
    wait: float,
) -> int:
    """Run ``first`` on ``runner`` and ``second`` here; ``second`` calls the given
    ``ready`` just before its rollup statements. Returns the rows both rejected."""

    def ready() -> None:
        if not runner.wait(wait):
            raise TooSlow
        runner.result()

    runner.submit(lambda: first(None))
    try:
        try:
            rejected = second(ready)
        except TooSlow:  # rolled back: nothing of ours held while we wait
            runner.wait()
            runner.result()
            rejected = second(None)
    finally:
        runner.wait()  # never leave the first part running behind an error
    return runner.result() + rejected


def halves(rows: list[Any]) -> tuple[list[Any], list[Any]]:
    half = len(rows) // 2
    return rows[:half], rows[half:]
