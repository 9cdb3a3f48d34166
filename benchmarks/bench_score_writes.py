"""The cost of writing a score (``Reports.score``: two scores a call), to weigh a score
rollup's upkeep: run from each tree in turn (``main``, the branch, ...) on the same server.

    python benchmarks/bench_score_writes.py /tmp/s.db [--sqlite-triggers]
    python benchmarks/bench_score_writes.py postgresql://...  # a schema of its own per run

Each run: a fresh store (SQLite file, or PostgreSQL schema ``bench_score_writes``) with
``--requests`` requests of 50 users over 10 days (through the writer), then ``--calls``
score calls on distinct requests, timed: wall, this process's CPU and (PostgreSQL) the
server's CPU (every server process from ``/proc``), per score. ``--sqlite-triggers``: the
SQLite file also gets ``rollup_user_scores`` and the row triggers SQLite's twin of the
PostgreSQL triggers would be (``_rollup_scores._sqlite_triggers``): what keeping that table
on SQLite too would cost each score (the library does not: it is PostgreSQL's only).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helicone_lite.reports import Reports
from helicone_lite.store import Store, iso_from_epoch


def _sqlite_triggers(path: str) -> None:
    from helicone_lite.store._rollup_scores import _sqlite_triggers as triggers
    from helicone_lite.store._rollup_user_scores import _USER_SCORES, USER_SCORES_TABLE

    with sqlite3.connect(path) as conn:
        conn.executescript(USER_SCORES_TABLE + triggers(_USER_SCORES))


def _store(target: str, requests: int, sqlite_triggers: bool) -> str:
    if "://" in target:
        from bench_pg_scale import _schema

        target = _schema(target, "bench_score_writes")
    else:
        Path(target).unlink(missing_ok=True)
    now = time.time()
    with Store(target) as store:
        for i in range(requests):
            at = iso_from_epoch(now - 10 * 86400 + i * 10 * 86400 / requests)
            store.write(
                "requests",
                {"id": f"r{i:07d}", "created_at": at, "model": "gpt-4o", "user_id": f"u{i % 50}",
                 "status": 200, "latency_ms": 100.0 + i % 7, "properties": {"department": "x"}},
            )  # fmt: skip
        store.flush()
    if sqlite_triggers and "://" not in target:
        _sqlite_triggers(target)
    return target


def _backend_cpu(url: str) -> float:
    """CPU seconds so far of the server's client backends (the store's pooled connections;
    not this probe's own, nor the checkpointer's or autovacuum's), from /proc."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' "
            "AND pid <> pg_backend_pid()"
        )]  # fmt: skip
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def run(target: str, requests: int, calls: int, sqlite_triggers: bool) -> None:
    _server_cpu = _backend_cpu

    url = _store(target, requests, sqlite_triggers)
    pg = "://" in url
    with Store(url) as store:
        reports = Reports(store)
        reports.score("r0000000", {"accuracy": 1, "tone": True})  # connected, warm
        step = max(1, requests // calls)
        ids = [f"r{i:07d}" for i in range(1, requests, step)][:calls]
        server, cpu, wall = _server_cpu(url) if pg else 0.0, time.process_time(), time.perf_counter()
        for i, request in enumerate(ids):
            reports.score(request, {"accuracy": i % 10, "tone": i % 3 == 0})
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        server = (_server_cpu(url) - server) if pg else 0.0
    scores = 2 * len(ids)
    print(
        f"{'postgresql' if pg else 'sqlite'}{' +triggers' if sqlite_triggers else ''}: "
        f"{len(ids)} calls ({scores} scores): per score {wall / scores * 1e6:.0f} us wall, "
        f"{cpu / scores * 1e6:.0f} us client CPU, {server / scores * 1e6:.0f} us server CPU; "
        f"load {' '.join(f'{x:.1f}' for x in os.getloadavg())}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="a SQLite path or a PostgreSQL server URL")
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=2_000)
    parser.add_argument("--sqlite-triggers", action="store_true")
    args = parser.parse_args()
    run(args.target, args.requests, args.calls, args.sqlite_triggers)


if __name__ == "__main__":
    main()
