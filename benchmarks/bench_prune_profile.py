"""Where a ``prune`` (or ``delete --user``) spends its CPU, statement by statement.

Runs the library's own deletion (``store/_retention.py``: the batches, each statement of
``store/_deletion_batch.delete_batch``, the commits) on ``STORE`` with a timer around every
``execute``: the thread's user and system CPU (``getrusage(RUSAGE_THREAD)``) per statement,
summed over the batches, and the trigger work each statement fires lands in it. ``--drop``
removes triggers first (comma-separated names, or ``all``) to split a statement's own cost
from its triggers'; ``--rollback`` runs the whole deletion inside one outer transaction that is
rolled back at the end (the batches become savepoints, nothing is committed or
checkpointed), so the same store can be profiled again, in variants, without a copy.

    cp /tmp/cli1m.db /tmp/copy.db
    python benchmarks/bench_prune_profile.py /tmp/copy.db --rollback
    python benchmarks/bench_prune_profile.py /tmp/copy.db --rollback --drop all
    python benchmarks/bench_prune_profile.py /tmp/copy.db --user-rows 10000 --rollback
    python benchmarks/bench_prune_profile.py /tmp/copy.db        # commits: give it a copy

Without ``--rollback`` the store is changed: run it on a copy.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import sqlite3
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_prune import targets
from helicone_lite.store import Store, _retention


def _cpu() -> tuple[float, float]:
    """(the thread's CPU, precise; of which system time, in clock ticks)."""
    return time.thread_time(), resource.getrusage(resource.RUSAGE_THREAD).ru_stime


class Timings:
    """CPU (user + system), system CPU and calls per statement label."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = defaultdict(float)
        self.system: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    @contextmanager
    def timed(self, label: str) -> Iterator[None]:
        cpu, system = _cpu()
        try:
            yield
        finally:
            after = _cpu()
            self.cpu[label] += after[0] - cpu
            self.system[label] += after[1] - system
            self.calls[label] += 1

    def print(self) -> None:
        total_c, total_s = sum(self.cpu.values()), sum(self.system.values())
        print(f"{'statement':<78} {'calls':>5} {'CPU ms':>8} {'sys ms':>7}")
        for label in sorted(self.cpu, key=lambda k: -self.cpu[k]):
            print(
                f"{label[:78]:<78} {self.calls[label]:5} {self.cpu[label] * 1000:8.1f} "
                f"{self.system[label] * 1000:7.1f}"
            )
        print(f"{'total':<78} {'':5} {total_c * 1000:8.1f} {total_s * 1000:7.1f}")


def label_of(sql: str) -> str:
    """The statement with its ``?`` lists and whitespace collapsed."""
    sql = re.sub(r"\?(, \?)+", "?…", sql)
    return re.sub(r"\s+", " ", sql).strip()


class TimedConnection:
    """A connection whose ``execute`` is timed (results fetched inside the timer)."""

    def __init__(self, conn: Any, timings: Timings) -> None:
        self._conn, self._timings = conn, timings

    def execute(self, sql: str, params: Any = ()) -> Any:
        with self._timings.timed(label_of(sql)):
            cursor = self._conn.execute(sql, params)
            rows = cursor.fetchall() if cursor.description else None
        return _Result(rows, cursor.rowcount)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class _Result:
    def __init__(self, rows: list[Any] | None, rowcount: int) -> None:
        self._rows, self.rowcount = rows or [], rowcount

    def __iter__(self) -> Iterator[Any]:
        return iter(self._rows)

    def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list[Any]:
        return self._rows


class TimedStore:
    """``store`` whose transactions hand out a :class:`TimedConnection` and time COMMIT."""

    def __init__(self, store: Store, timings: Timings) -> None:
        self._store, self._timings = store, timings

    @contextmanager
    def transaction(self) -> Iterator[TimedConnection]:
        conn = self._store.connect()
        nested = conn.in_transaction
        with self._timings.timed("BEGIN IMMEDIATE" if not nested else "SAVEPOINT"):
            if nested:
                conn.execute("SAVEPOINT batch")
            else:
                conn.execute("BEGIN IMMEDIATE")
        try:
            yield TimedConnection(conn, self._timings)
        except BaseException:
            conn.execute("ROLLBACK TO batch" if nested else "ROLLBACK")
            raise
        with self._timings.timed("RELEASE" if nested else "COMMIT"):
            conn.execute("RELEASE batch" if nested else "COMMIT")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def drop_triggers(conn: sqlite3.Connection, which: str) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")]
    chosen = names if which == "all" else [n for n in which.split(",") if n]
    for name in chosen:
        conn.execute(f"DROP TRIGGER {name}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a copy of a store built by bench_cli.py --keep")
    parser.add_argument("--rows", type=int, default=11_200, help="requests the prune removes")
    parser.add_argument("--user-rows", type=int, default=0, help="delete such a user instead")
    parser.add_argument("--batch", type=int, default=2000)
    parser.add_argument("--drop", default="", help="triggers to drop first (names, or all)")
    parser.add_argument("--rollback", action="store_true", help="roll everything back")
    args = parser.parse_args()
    cutoff, user, n = targets(args.store, args.rows, args.user_rows or 1)
    store = Store(args.store)
    timings = Timings()
    conn = store.connect()
    if args.rollback:
        conn.execute("BEGIN IMMEDIATE")
    if args.drop:
        print("dropped:", ", ".join(drop_triggers(conn, args.drop)))
    where = {"user": user} if args.user_rows else {"before": cutoff}
    began = _cpu()
    removed = _retention.delete_requests(
        TimedStore(store, timings),  # type: ignore[arg-type]
        batch=args.batch,
        keep_ids=False,
        **where,
    )
    ended = _cpu()
    if args.rollback:
        conn.execute("ROLLBACK")
    store.close()
    what = f"delete --user ({n:,} requests)" if args.user_rows else "prune"
    print(f"{what}: {removed.counts()}; load {os.getloadavg()[0]:.1f}")
    timings.print()
    print(
        f"whole deletion (with the Python between statements): CPU "
        f"{(ended[0] - began[0]) * 1000:.0f} ms, of which system {(ended[1] - began[1]) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
