"""How many rows the writer takes into one transaction: the normal batch, or more under a
backlog, bounded by the time a batch holds the database's write lock.

A short queue is written in batches of at most ``batch_size`` rows (500): a commit soon after
the rows arrive, and the write lock (SQLite's one writer; ``busy_timeout`` for everybody else:
feedback, prompts, other processes on the same file) held briefly. Once a backlog has built up
(more than ``batch_size`` rows queued when a batch starts: the writer is behind), bigger
transactions are cheaper a row (each random-key index page, the rollups' and facts' per-batch
statements and the commit shared by more rows: benchmarks/README.md, "Adaptive batches"), so
the batch grows up to ``backlog_rows``, but only as far as the last batch's measured lock hold
a row says fits in ``max_hold`` seconds. The first batch after start is a normal one (nothing
measured yet); a slow batch (a checkpoint, a big store, a loaded machine) shrinks the next.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["BACKLOG_ROWS", "MAX_HOLD", "BatchLimit", "WriterOptions"]

#: the most rows a batch takes under a backlog (SQLite's default; PostgreSQL keeps its
#: ``batch_size``: not measured there).
BACKLOG_ROWS = 5_000

#: seconds a backlog batch may hold the write lock, as the last batch's cost a row predicts it.
MAX_HOLD = 0.25


class WriterOptions(NamedTuple):
    """The writer's queue and batching options, as both stores take them."""

    max_queue: int
    batch_size: int
    block_timeout: float
    group_rows: int
    group_wait: float
    backlog_rows: int = 0  # 0: batch_size (no bigger batches under a backlog)
    max_hold: float = MAX_HOLD


class BatchLimit:
    """The row count of the next batch (not thread-safe: the writer's lock guards it)."""

    def __init__(self, batch_size: int, backlog_rows: int = 0, max_hold: float = MAX_HOLD):
        self.batch_size = batch_size
        self.backlog_rows = max(batch_size, backlog_rows)
        self.max_hold = max_hold
        self.hold_per_row: float | None = None  # seconds, from the last committed batch

    def rows(self, queued: int) -> int:
        """How many of ``queued`` rows the next batch takes."""
        if queued <= self.batch_size or self.backlog_rows == self.batch_size:
            return min(queued, self.batch_size)
        per_row = self.hold_per_row
        if per_row is None:
            return self.batch_size
        fits = int(self.max_hold / per_row) if per_row > 0 else self.backlog_rows
        return min(queued, self.backlog_rows, max(self.batch_size, fits))

    def held(self, rows: int, seconds: float) -> None:
        """A batch of ``rows`` held the write lock ``seconds`` (0: not measured)."""
        if rows > 0 and seconds > 0:
            self.hold_per_row = seconds / rows
