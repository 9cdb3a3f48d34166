"""Where the SQLite writer's CPU goes per row: row preparation, each statement, the commit.

Writes ``-n`` rows of ``bench_writer.py`` (three properties, one or two attempts, ~2.8 KB
stored) through the store's own ``SqliteSink`` in batches of ``--batch`` (as the writer does
at full load), timing thread CPU (``time.thread_time``: what one idle core would spend,
whatever else the machine runs) around the row preparation and around every statement of the
batch's transaction: one ``executemany`` per statement shape, the writer's per-batch rollup
and fact statements, and ``COMMIT`` (writing the WAL frames). Printed per row, largest first.

    python benchmarks/bench_sink.py -n 20000
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_writer import make_row

from helicone_lite.store._database import Database
from helicone_lite.store._errors import Reporter
from helicone_lite.store._rows import group_in_order
from helicone_lite.store._sink import SqliteSink


def run(n: int, batch: int, directory: Path) -> dict[str, float]:
    db = Database(directory / "helicone.db", busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=time.sleep)
    now = time.time()
    sink.write_batch([("requests", make_row(-1, now))])  # migrated, statements prepared
    conn = sink._connection()  # benchmark only: the sink's private connection
    rollups = sink._rollups
    assert rollups is not None, "a current schema: the writer keeps the rollups"
    rows = [("requests", make_row(i, now)) for i in range(n)]
    spent: dict[str, float] = collections.defaultdict(float)
    clock = time.thread_time
    for start in range(0, n, batch):
        began = clock()
        prepared, _ = sink._prepare(rows[start : start + batch])
        spent["prepare rows (Python)"] += clock() - began
        began = clock()
        conn.execute("BEGIN IMMEDIATE")
        mark = rollups.first_rowid(conn)
        spent["BEGIN + mark"] += clock() - began
        for sql, params in group_in_order(prepared):
            began = clock()
            conn.executemany(sql, params)
            spent[sql.split(" (", 1)[0]] += clock() - began
        for sql in rollups._range:
            began = clock()
            conn.execute(sql, {"mark": mark})
            spent[sql[:60] + " ..."] += clock() - began
        began = clock()
        conn.execute("COMMIT")
        spent["COMMIT"] += clock() - began
    sink.close()
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=20_000, help="rows to write")
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spent = run(args.n, args.batch, Path(tmp))
    for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
        print(f"{seconds / args.n * 1e6:7.1f} µs/row  {label}")
    total = sum(spent.values())
    print(f"{total / args.n * 1e6:7.1f} µs/row  total (= {args.n / total:,.0f} rows/s on one core)")


if __name__ == "__main__":
    main()
