"""Rolling windows: the figures of the last ``window`` seconds, updated one call at a time.

Each window keeps only what its metric needs (a deque of ``(time, value)`` and running
totals; a sorted list for the percentile), evicts what fell out of the window, and answers in
O(1) (cost, error rate) or O(log n) amortised (p95). Times are the injected clock's, taken
when the call was logged; nothing here reads a clock or the store.
"""

from __future__ import annotations

import bisect
from collections import deque
from typing import Protocol

__all__ = ["CostWindow", "ErrorRateWindow", "P95Window", "Window", "window_for"]

#: a window never holds more samples than this (the oldest go first), so memory is bounded.
MAX_SAMPLES = 100_000


class Window(Protocol):
    def add(self, at: float, cost: float | None, failed: bool, latency_ms: float | None) -> None:
        """Count one call logged at ``at`` (seconds), evicting what is older than the window."""

    def value(self) -> tuple[float, int]:
        """The metric's current value and how many calls it is computed from."""


class _Timed:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.items: deque[tuple[float, float]] = deque()

    def _push(self, at: float, value: float | None) -> None:
        """Add a sample (unless ``value`` is None) and evict what left the window by ``at``."""
        if value is not None:
            self.items.append((at, value))
        cutoff = at - self.seconds
        while self.items and (self.items[0][0] <= cutoff or len(self.items) > MAX_SAMPLES):
            self._drop(self.items.popleft()[1])

    def _drop(self, value: float) -> None:
        raise NotImplementedError


class CostWindow(_Timed):
    """US dollars spent in the window (calls of unknown cost count as 0)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.total = 0.0

    def add(self, at: float, cost: float | None, failed: bool, latency_ms: float | None) -> None:
        self.total += cost or 0.0
        self._push(at, cost or 0.0)

    def _drop(self, value: float) -> None:
        self.total -= value
        if not self.items:
            self.total = 0.0  # no drift once the window empties

    def value(self) -> tuple[float, int]:
        return max(self.total, 0.0), len(self.items)


class ErrorRateWindow(_Timed):
    """Percent of the window's calls that failed (status not 2xx)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.failed = 0

    def add(self, at: float, cost: float | None, failed: bool, latency_ms: float | None) -> None:
        self.failed += failed
        self._push(at, float(failed))

    def _drop(self, value: float) -> None:
        self.failed -= int(value)

    def value(self) -> tuple[float, int]:
        count = len(self.items)
        return (100.0 * self.failed / count if count else 0.0), count


class P95Window(_Timed):
    """Nearest-rank 95th percentile of the window's latencies (calls without one skipped)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.ordered: list[float] = []

    def add(self, at: float, cost: float | None, failed: bool, latency_ms: float | None) -> None:
        if latency_ms is not None:
            bisect.insort(self.ordered, latency_ms)
        self._push(at, latency_ms)  # a call without a latency still moves the window on

    def _drop(self, value: float) -> None:
        del self.ordered[bisect.bisect_left(self.ordered, value)]

    def value(self) -> tuple[float, int]:
        count = len(self.ordered)
        if not count:
            return 0.0, 0
        return self.ordered[(95 * count + 99) // 100 - 1], count


def window_for(metric: str, seconds: float) -> Window:
    windows: dict[str, type[CostWindow | ErrorRateWindow | P95Window]] = {
        "cost": CostWindow,
        "error_rate": ErrorRateWindow,
        "p95_latency": P95Window,
    }
    return windows[metric](seconds)
