"""PostgreSQL: the writer's per-batch statements planned once per session, not per batch.

Every batch of the PostgreSQL writer ends with the same fact and rollup statements
(``_facts_schema.pg_batch_facts``, ``_rollup_batch.pg_batch_upserts``, the property splits,
``_rollup_sessions.pg_batch_sessions``: ~12 long statements of fixed text, no parameters).
Sent as text, the server parsed, analysed and planned each of them again for every batch:
~2 ms of a one-row batch's ~9 ms of server CPU (benchmarks/README.md, "The PostgreSQL
batch's fixed cost"). Here they are ``PREPARE``'d on the writer's connection (SQL-level
prepared statements: session-local, like the temporary table of new requests they read;
one statement a ``PREPARE``, so the session keeps each one's text, not the whole script)
and each batch sends ``EXECUTE name; ...`` in one round trip.

* **Names**: ``helicone_lite_batch_<generation>_<i>``, a new generation each time they are
  (re)prepared, so a half-done ``PREPARE`` (an error in the middle of the script:
  ``PREPARE`` is not undone by a rollback) never collides with the next; the previous
  generation is deallocated when the new one is made.
* **Plans that follow the store**: a statement without parameters keeps the plan of its
  first ``EXECUTE`` until the server invalidates it (an ``ANALYZE`` or ``VACUUM`` of a
  table it reads, any DDL). A store that grows fast between two autoanalyzes (a fresh
  store receiving thousands of rows a second) could keep a plan made for much smaller
  tables, so the statements are prepared again each time the rows written since the last
  preparation reach the rows written before it (and at least ``REPLAN_ROWS``): a plan is
  at most ~2x as old as the data the sink wrote, at ``log2`` replans over a session.
* **Where prepared statements do not survive** (a transaction-pooling proxy that hands the
  next transaction to another server session, a ``DISCARD ALL``): ``EXECUTE`` fails with
  ``InvalidSqlStatementName``; the sink writes the batch again, preparing anew
  (:meth:`BatchPlans.lost`); the second time, it gives up preparing for good on that sink
  and sends the statements as text, as before.
* **A failed transaction** (a row COPY refuses, a lost connection) may have stopped before,
  in or after the script: :meth:`BatchPlans.forget`, and the next batch prepares a new
  generation (what the failed one may have left behind is not deallocated: a few
  statements per failure, freed with the session).

The plans are made inside the batch's transaction, after its ``SET LOCAL`` settings
(``PG_BATCH_NO_JIT``, ``PG_BATCH_JOINS``), so they are planned with them, as the text was.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ALL", "REPLAN_ROWS", "BatchPlans", "Tagged"]

#: a statement and the inputs it reads besides the new requests (``_pg_batch.Needs``)
Tagged = tuple[str, frozenset[str]]
#: every input present: run every statement
ALL = frozenset({"properties", "scores"})

#: replan no sooner than after this many rows (then at each doubling of the rows written)
REPLAN_ROWS = 1_000
_PREFIX = "helicone_lite_batch"


class BatchPlans:
    """The batch's closing statements as one script: ``PREPARE``s when due, ``EXECUTE``s."""

    def __init__(self, statements: list[Tagged], *, enabled: bool = True) -> None:
        self._statements = [sql for sql, _ in statements]
        self._needs = [needs for _, needs in statements]
        self.enabled = enabled
        self._connection: Any = None  # the connection the current generation lives on
        self._generation = 0
        self._planned_at = 0  # rows written when the current generation was prepared
        self._written = 0  # rows written on that connection
        self._losses = 0

    @property
    def statements(self) -> list[str]:
        return list(self._statements)

    def set_statements(self, statements: list[Tagged]) -> None:
        """New statements (the schema's version known): any current generation is dropped."""
        self._statements = [sql for sql, _ in statements]
        self._needs = [needs for _, needs in statements]
        self._connection = None

    def lost(self) -> None:
        """``EXECUTE`` found no prepared statement: prepare anew, or (the second time) send
        text from now on."""
        self._losses += 1
        self.enabled = self._losses < 2
        self._connection = None

    def script(
        self, connection: Any, rows: int, present: frozenset[str] = ALL
    ) -> tuple[list[str], str]:
        """For a batch of ``rows`` on ``connection``: the statements to send first, one at a
        time (``DEALLOCATE``, ``PREPARE``: when due), and the script running those whose
        inputs are all ``present`` (one round trip)."""
        run = [needs <= present for needs in self._needs]
        if not self.enabled:
            return [], ";\n".join(sql for sql, go in zip(self._statements, run, strict=True) if go)
        first: list[str] = []
        if self._connection is not connection:
            self._connection, self._written, self._planned_at = connection, 0, 0
            prepare = True
        else:
            since = self._written - self._planned_at
            prepare = since >= max(REPLAN_ROWS, self._planned_at)
            if prepare:
                first += [f"DEALLOCATE {name}" for name in self._names()]
        if prepare:
            self._generation += 1
            self._planned_at = self._written
            names = self._names()
            first += [
                f"PREPARE {n} AS {sql}" for n, sql in zip(names, self._statements, strict=True)
            ]
        self._written += rows
        executed = (f"EXECUTE {n}" for n, go in zip(self._names(), run, strict=True) if go)
        return first, ";\n".join(executed)

    def forget(self) -> None:
        """The connection's state is unknown (an error mid-batch): prepare anew next time."""
        self._connection = None

    def _names(self) -> list[str]:
        return [f"{_PREFIX}_{self._generation}_{i}" for i in range(len(self._statements))]
