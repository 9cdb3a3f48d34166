"""The PostgreSQL writer's cost per batch: the server's CPU for a batch of 1, 10, 100 rows.

A ``Store(url)`` writes ``bench_writer.py``'s rows (three properties, one or two attempts,
~2.8 KB of bodies) and is flushed after every ``N`` rows, so each flush commits one batch
of ``N`` requests; ``--batches`` such batches are timed after ``--warm`` untimed ones, each
size in a fresh schema. Printed per batch: the server's CPU (all of its processes, from
/proc: the server must be on this machine and serve nothing else meanwhile) and the writing
process's CPU. Both are what idle cores would spend, whatever else the machine runs.
``--statements``: also each statement's share (execution + planning, ms a batch) from
``pg_stat_statements`` (the server must load it, with ``track = all`` and
``track_planning = on`` for the planning and the triggers' statements).

    python benchmarks/bench_pg_batch.py                      # private server, 1 / 10 / 100
    python benchmarks/bench_pg_batch.py --url postgresql://... --sizes 1,2,10,100 --statements
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pg_scale import _schema, _server_cpu
from bench_writer import make_row

from helicone_lite.store import Store


def measure(url: str, size: int, batches: int, warm: int) -> tuple[float, float]:
    """(server CPU ms, writing process CPU ms) per batch of ``size`` rows."""
    store = Store(url)
    now = time.time()
    counter = 0

    def batch() -> None:
        nonlocal counter
        for _ in range(size):
            store.write("requests", make_row(counter, now))
            counter += 1
        store.flush()

    try:
        for _ in range(warm):
            batch()
        server, client = _server_cpu(url), time.process_time()
        for _ in range(batches):
            batch()
        client = time.process_time() - client
        server = _server_cpu(url) - server
        assert store.stats()["dropped"] == 0, "rows dropped"
    finally:
        store.close()
    return server / batches * 1e3, client / batches * 1e3


def _statements(url: str, batches: int, top: int) -> list[tuple[float, float, str]]:
    """(ms a batch executing, ms planning, the statement's start) of the busiest statements."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT total_exec_time, total_plan_time, query FROM public.pg_stat_statements "
            "WHERE query NOT LIKE '%%pg_stat_statements%%' "
            "ORDER BY total_exec_time + total_plan_time DESC LIMIT %s",
            (top,),
        ).fetchall()
    return [(e / batches, p / batches, " ".join(q.split())[:90]) for e, p, q in rows]


def _reset(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT public.pg_stat_statements_reset()")


def run(server: str, sizes: list[int], batches: int, warm: int, statements: bool) -> None:
    print(f"{'rows':>5} {'batches':>7} {'server ms':>10} {'client ms':>10}  a batch")
    for size in sizes:
        url = _schema(server, f"bench_batch_{size}")
        count = max(10, batches // max(1, size // 10))  # fewer of the big ones
        if statements:
            Store(url).close()  # migrated before the counters start
            _reset(url)
        serve, client = measure(url, size, count, warm)
        print(f"{size:>5} {count:>7} {serve:10.2f} {client:10.2f}", flush=True)
        if statements:
            for execute, plan, text in _statements(url, count + warm, 25):
                print(f"      {execute:7.3f} {plan:7.3f}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL on this machine (superuser: schemas)")
    parser.add_argument("--sizes", default="1,10,100", help="rows a batch, comma-separated")
    parser.add_argument("--batches", type=int, default=200, help="timed batches of 1-19 rows")
    parser.add_argument("--warm", type=int, default=10, help="untimed batches first")
    parser.add_argument("--statements", action="store_true", help="pg_stat_statements' split")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.url:
        run(args.url, sizes, args.batches, args.warm, args.statements)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from pg_server import PostgresServer

    with PostgresServer() as url:
        run(url, sizes, args.batches, args.warm, args.statements)


if __name__ == "__main__":
    main()
