"""PostgreSQL: the session-local tables of the writer's batches, emptied without a rebuild.

The writer's batch goes through temporary tables (the staging tables of its COPYs,
``_dialect.StagedInsert``; the batch's new requests, ``_rollup_batch.NEW_REQUESTS``). They
were ``ON COMMIT DELETE ROWS``: every commit truncated each of them, and a truncation
rebuilds the table's TOAST index (every one of them has text columns, so a TOAST table):
~0.35 ms of server CPU a table, 1.5 ms of a one-row batch's commit for four (against
0.02 ms for a commit without them; benchmarks/README.md, "The PostgreSQL batch's fixed
cost"). Now they keep their rows across commits (the default) and the batch empties the
ones it used as its last statement: ``DELETE`` (the dead rows are pruned as pages are read
again), and ``TRUNCATE`` of every table with dead rows once the batches since the last one
have written ``TRUNCATE_ROWS`` rows (a big batch: each time, about the old cost), so the
tables do not grow. Inside the batch's transaction either way: a rolled-back batch leaves
them as they were, and behind a transaction-pooling proxy each transaction still finds
them empty.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TRUNCATE_ROWS", "TempTables"]

#: rows written through the tables (any number of batches) between two truncations
TRUNCATE_ROWS = 256


class TempTables:
    """Which temporary tables the current transaction used, and how it empties them."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._touched: list[str] = []  # by the current transaction
        self._dirty: set[str] = set()  # holding dead rows (since the last truncation)
        self._rows = 0  # written since the last truncation
        self._truncating = False

    def begin(self, connection: Any, tables: list[str]) -> None:
        """A transaction begins on ``connection`` and uses ``tables`` (qualified names)."""
        if connection is not self._connection:  # a new session: new, empty tables
            self._connection, self._dirty, self._rows = connection, set(), 0
        self._touched = []
        for table in tables:
            self.touch(table)

    def touch(self, table: str) -> None:
        if table not in self._touched:
            self._touched.append(table)
            self._dirty.add(table)

    def closing(self, rows: int) -> str:
        """The transaction's last statement, for a batch of ``rows``: its tables emptied."""
        self._rows += rows
        self._truncating = self._rows >= TRUNCATE_ROWS
        if self._truncating:
            return f"TRUNCATE {', '.join(sorted(self._dirty))}"
        return ";\n".join(f"DELETE FROM {table}" for table in self._touched)

    def committed(self) -> None:
        """The transaction committed (after :meth:`closing`)."""
        if self._truncating:
            self._dirty, self._rows = set(), 0
