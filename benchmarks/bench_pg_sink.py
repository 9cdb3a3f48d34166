"""Where the PostgreSQL writer's CPU goes per request: row preparation, each statement of the
batch's transaction, the commit; on the client and in the server's backend.

Writes ``-n`` requests of ``bench_pg_scale.py``'s writer (two properties each: three table
rows) through the store's own ``PostgresSink``, in batches of ``--batch`` (as the writer does
at full load), as its ``_commit`` does: the read of already-logged ids, then in one
transaction the staging COPYs and ``INSERT ... SELECT``s, the per-batch fact and rollup
statements, the temporary tables emptied (small batches), and ``COMMIT`` (the closing
statements as text, one at a time, all of them: the sink prepares them and skips those
without input; it does not change sessions when the batches change pace). Timed around each step: the client's thread CPU
(``time.thread_time``) and the server backend's CPU (``/proc/PID/schedstat``, nanoseconds:
the server must run on this machine). Both are what an idle core would spend, whatever else
the machine runs. Printed per request, largest first; ``--realistic`` writes
``bench_writer.py``'s rows instead (three properties, attempts, ~2.8 KB of bodies).

    python benchmarks/bench_pg_sink.py --url postgresql://... -n 20000
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from helicone_lite.store._errors import Reporter
from helicone_lite.store._pg_sink import PostgresSink
from helicone_lite.store._postgres import PgDatabase
from helicone_lite.store._rollup_batch import PG_BATCH_JOINS
from helicone_lite.store._rows import group_by_sql
from helicone_lite.store._sink_rollups import first_of_each


def _backend_ns(pid: int) -> int:
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


class _Clock:
    """Client thread CPU and backend CPU, charged to labels."""

    def __init__(self, backend: int) -> None:
        self.backend = backend
        self.client: dict[str, float] = collections.defaultdict(float)
        self.server: dict[str, float] = collections.defaultdict(float)

    def charge(self, label: str, step: Callable[[], Any]) -> Any:
        began, served = time.thread_time(), _backend_ns(self.backend)
        result = step()
        self.client[label] += time.thread_time() - began
        self.server[label] += (_backend_ns(self.backend) - served) / 1e9
        return result


def _statements(sink: PostgresSink, raw: Any, groups: dict[str, list[Any]], clock: _Clock) -> None:
    with raw.cursor() as cursor:
        for sql, rows in groups.items():
            _staged(sink, cursor, sql, rows, clock)


def _staged(sink: PostgresSink, cursor: Any, sql: str, rows: list[Any], clock: _Clock) -> None:
    from helicone_lite.store._postgres import bind

    plan = sink._db.dialect.staged(sql)
    sink._temp.touch(f"pg_temp.{plan.stage}")
    create = sink._temp.create(plan.create_stage)
    clock.charge(f"create stage {plan.table}", lambda: cursor.execute(create))

    def copy() -> None:
        with cursor.copy(plan.copy) as out:
            for row in rows:
                out.write_row(bind(row))

    clock.charge(f"COPY {plan.table}", copy)
    insert = sink._inserting(plan.table, plan.insert)
    clock.charge(f"INSERT {plan.table} ... SELECT", lambda: cursor.execute(insert))


def _batch(sink: PostgresSink, raw: Any, items: list[Any], clock: _Clock) -> None:
    """One batch as ``PostgresSink._commit`` writes it, each step timed."""
    prepared, _ = clock.charge("prepare rows (Python)", lambda: sink._prepare(items))
    kept = clock.charge(
        "read logged ids", lambda: first_of_each(prepared, lambda ids: sink._logged(raw, ids))
    )
    groups = clock.charge("group by statement", lambda: group_by_sql(kept))
    clock.charge(
        "BEGIN + batch settings", lambda: (raw.execute("BEGIN"), sink._begin_batch(raw, len(kept)))
    )
    _statements(sink, raw, groups, clock)
    clock.charge("batch join settings", lambda: raw.execute(PG_BATCH_JOINS))
    for sql in sink._plans.statements:
        clock.charge(_label(sql), lambda sql=sql: raw.execute(sql))
    closing = sink._temp.closing()
    if closing:
        clock.charge("empty the temporary tables", lambda: raw.execute(closing))
    clock.charge("COMMIT", lambda: raw.execute("COMMIT"))
    sink._temp.committed()


def run(url: str, n: int, batch: int, realistic: bool) -> tuple[_Clock, float]:
    from bench_pg_scale import _row
    from bench_writer import make_row

    db = PgDatabase(url)
    sink = PostgresSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=time.sleep)
    now = time.time()
    make = (lambda i: make_row(i, now)) if realistic else _row
    sink.write_batch([("requests", make(-1))])  # migrated, plans ready
    raw = sink._connection()
    clock = _Clock(raw.info.backend_pid)
    items = [("requests", make(i)) for i in range(n)]
    began = time.perf_counter()
    for start in range(0, n, batch):
        _batch(sink, raw, items[start : start + batch], clock)
    wall = time.perf_counter() - began
    sink.close()
    return clock, wall


def _label(sql: str) -> str:
    words = sql.split()
    if words[0] == "SELECT":
        return "advisory lock"
    table = words[2] if words[0] == "INSERT" else words[1]
    return f"per batch: INSERT INTO {table}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="PostgreSQL on this machine")
    parser.add_argument("-n", type=int, default=20_000, help="requests to write")
    parser.add_argument("--batch", type=int, default=1_000, help="requests per transaction")
    parser.add_argument("--realistic", action="store_true", help="bench_writer.py's rows")
    args = parser.parse_args()
    clock, wall = run(args.url, args.n, args.batch, args.realistic)
    labels = sorted(clock.client, key=lambda k: -(clock.client[k] + clock.server[k]))
    print(f"{'client':>8} {'server':>8}  µs per request")
    for label in labels:
        client, server = clock.client[label], clock.server[label]
        print(f"{client / args.n * 1e6:8.1f} {server / args.n * 1e6:8.1f}  {label}")
    client, server = sum(clock.client.values()), sum(clock.server.values())
    print(
        f"{client / args.n * 1e6:8.1f} {server / args.n * 1e6:8.1f}  total"
        f" (= {args.n / (client + server):,.0f} requests/s done in turn on one core;"
        f" wall {args.n / wall:,.0f} requests/s)"
    )


if __name__ == "__main__":
    main()
