"""The writer thread gives the GIL back between short stretches of its own Python.

The writer's Python per batch (building each row from the recorder's capture, then the sink's
row preparation) runs ~18 µs a row, a whole batch of rows in a row: 1-4 ms at a time for the
~50-200 rows a group commit gathers. A caller whose provider answers meanwhile (its socket
read released the GIL) waits for the whole stretch before its call can return: CPython 3.11
gives a waiting thread the GIL only when the holder lets go of it, or asks for it after the
5 ms switch interval (``sys.setswitchinterval``, process-global: the application's, never
changed here). A GIL release of a few microseconds (``time.sleep(0)``, a SQLite step) hands
it over only if the woken waiter runs before the releasing thread takes it back (on the
measuring machine ``sleep(0)`` and ``os.sched_yield()`` did, through the scheduler's wake-up
preemption: nothing CPython promises).

:class:`Pacer` is the release point: ``tick()`` between rows sleeps ``pause`` (a real sleep,
which with Linux's default 50 µs timer slack lasts ~50-60 µs: long enough for a waiting
thread to wake up and take the GIL) once the current stretch has run ``stretch`` seconds. The
writer's CPU does not change (a sleep is no CPU), its wall per batch does: so the writer only
paces while it keeps up and no one waits for it (see ``BatchWriter``): a backlog of rows, a
``flush()`` or the exit drain write at full speed. Measured: benchmarks/README.md, "The
caller's GIL wait, measured"; docs/architecture.md, "Store".
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["PAUSE", "STRETCH", "Pacer", "no_pace"]

#: the longest stretch of the writer's Python between two release points (seconds)
STRETCH = 0.0002
#: the sleep at a release point (seconds; the kernel's timer slack makes it ~50 µs longer)
PAUSE = 0.000001


class Pacer:
    """Release points for one writer thread (not shared between threads).

    ``wanted()`` says, when a stretch is over, whether to give the GIL back now (the writer:
    "no backlog, nobody waiting for me"); it is asked only then, not per row.
    """

    __slots__ = ("_clock", "_pause", "_since", "_sleep", "_stretch", "_wanted", "yields")

    def __init__(
        self,
        wanted: Callable[[], bool],
        *,
        stretch: float = STRETCH,
        pause: float = PAUSE,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._wanted = wanted
        self._stretch = stretch
        self._pause = pause
        self._clock = clock
        self._sleep = sleep
        self._since = 0.0
        self.yields = 0  # release points taken (for tests and benchmarks)

    def begin(self) -> None:
        """A stretch starts (the writer took the GIL with a batch in hand)."""
        self._since = self._clock()

    def tick(self) -> None:
        """Between two rows: give the GIL back if the stretch is over and it is wanted."""
        now = self._clock()
        if now - self._since < self._stretch:
            return
        if self._wanted():
            self._sleep(self._pause)
            self.yields += 1
            now = self._clock()
        self._since = now


def no_pace() -> None:
    """No release point (replays of the spill journal, other callers of ``write_batch``)."""
