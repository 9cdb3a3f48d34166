"""An injectable clock for tests: time moves only when the test says so."""

from __future__ import annotations

__all__ = ["Clock"]


class Clock:
    """Epoch or monotonic seconds that move only when told to; pass it as ``clock=``,
    ``monotonic=``, ``sleep=`` (``clock.sleep``) to a client or a layer.

    ``clock()`` reads the time (moving it by ``step`` first, for code that must see time
    pass between reads); ``advance(s)`` moves it; ``sleep(s)`` records the wait in ``waits``
    and moves the time by it (``async_sleep`` likewise, for ``AsyncClient``).

    >>> clock = Clock(100.0)
    >>> clock.advance(5); clock()
    105.0
    >>> clock.sleep(2.5); clock.waits, clock.now
    ([2.5], 107.5)
    """

    def __init__(self, now: float = 1_800_000_000.0, *, step: float = 0.0) -> None:
        self.now = now
        self.step = step
        self.waits: list[float] = []

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def __repr__(self) -> str:
        return f"Clock({self.now!r})"

    def wall(self) -> float:
        """The time, as ``time.time`` would give it."""
        return self()

    def monotonic(self) -> float:
        """The time, as ``time.monotonic`` would give it (the same reading)."""
        return self()

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)
