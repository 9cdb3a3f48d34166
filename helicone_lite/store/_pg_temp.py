"""PostgreSQL: how the writer's session-local tables are emptied, chosen by its batches' size.

The writer's batch goes through temporary tables (the staging tables of its COPYs,
``_dialect.StagedInsert``; the batch's new requests, ``_rollup_batch.NEW_REQUESTS``), made
``ON COMMIT DELETE ROWS``: every commit truncates each of them, and a truncation rebuilds
the table's TOAST index (they all have text columns): ~0.35 ms of server CPU a table,
**~1.5 ms of a one-row batch's commit** for four, against 0.02 ms for a commit without them
(benchmarks/README.md, "The PostgreSQL batch's fixed cost"). For big batches that is the
cheapest way to empty them; for small ones it was a third of the batch's server cost.

So a session has one of two kinds, chosen by the first batch it writes:

* **small batches** (fewer than ``SMALL_ROWS`` rows): the tables keep their rows across
  commits (no ``ON COMMIT`` clause) and the batch's last statement empties the ones it used,
  ``DELETE`` (the dead rows are pruned as the pages are read again), or ``TRUNCATE`` once
  ``TRUNCATE_ROWS`` rows went through that table since its last one, so none grows (only
  tables the transaction used, which therefore exist in its session). Inside the batch's transaction either way: a rolled-back batch
  leaves them as they were, and behind a transaction-pooling proxy every transaction finds
  them empty.
* **big batches**: ``ON COMMIT DELETE ROWS``, as before (a ``TRUNCATE`` a batch there made
  new files and invalidated the prepared plans every batch: ~10 % more server CPU for
  2,000-row batches).

A session of small batches that gets a big one, or a session of big batches that has
written ``SWITCH_BATCHES`` small ones in a row, asks for a new session after its commit
(the sink closes its connection; the next batch opens one and chooses again): a reconnect
and its ``PREPARE``s, a few ms, once per change of pace.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SMALL_ROWS", "SWITCH_BATCHES", "TRUNCATE_ROWS", "TempTables"]

#: a batch of fewer rows is small
SMALL_ROWS = 64
#: small batches in a row after which a session of big ones asks for a new session
SWITCH_BATCHES = 100
#: rows through a small session's tables between two truncations
TRUNCATE_ROWS = 256
_ON_COMMIT = " ON COMMIT DELETE ROWS"


class TempTables:
    """The kind of the current session's temporary tables, which ones the current
    transaction used, and the statement that empties them."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._small = False
        self._touched: list[str] = []  # by the current transaction
        self._rows: dict[str, int] = {}  # small: a table's rows since its last truncation
        self._truncating: list[str] = []
        self._streak = 0  # big: small batches in a row
        self._rows_now = 0
        self.renew = False  # the session should be replaced after this commit

    def begin(self, connection: Any, rows: int, tables: list[str]) -> None:
        """A transaction for a batch of ``rows`` begins on ``connection`` and uses
        ``tables`` (qualified names)."""
        if connection is not self._connection:  # a new session: its kind, its tables
            self._connection, self._small = connection, rows < SMALL_ROWS
            self._rows, self._streak = {}, 0
        self._rows_now, self._touched, self.renew = rows, [], False
        for table in tables:
            self.touch(table)

    def create(self, statement: str) -> str:
        """``statement`` (a ``CREATE TEMP TABLE ... ON COMMIT DELETE ROWS``) for this
        session's kind."""
        return statement.replace(_ON_COMMIT, "") if self._small else statement

    def touch(self, table: str) -> None:
        if table not in self._touched:
            self._touched.append(table)

    def closing(self) -> str:
        """The transaction's last statement: its tables emptied (small batches), or ""."""
        if not self._small:
            return ""
        for table in self._touched:
            self._rows[table] = self._rows.get(table, 0) + self._rows_now
        self._truncating = [t for t in self._touched if self._rows[t] >= TRUNCATE_ROWS]
        deleted = [f"DELETE FROM {t}" for t in self._touched if t not in self._truncating]
        truncated = [f"TRUNCATE {', '.join(self._truncating)}"] if self._truncating else []
        return ";\n".join(truncated + deleted)

    def committed(self) -> None:
        """The transaction committed (after :meth:`closing`); sets :attr:`renew`."""
        small = self._rows_now < SMALL_ROWS
        if self._small:
            for table in self._truncating:
                self._rows[table] = 0
            self.renew = not small
        else:
            self._streak = self._streak + 1 if small else 0
            self.renew = self._streak >= SWITCH_BATCHES
