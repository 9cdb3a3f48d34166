"""Where the writer's ``requests`` insert and COMMIT go, per b-tree, for real calls' rows.

``bench_realrows.py`` times the writer's statements; this splits its largest one (the
``requests`` insert with its indexes, and the COMMIT that writes their pages) by b-tree, for
the same rows (``-n`` real calls through ``helicone_lite.Client``; ``--varied``: 1,000 users,
a conversation property, 40 question lengths, as ``bench_realrows.py --grow`` makes them):

* ``frames``: the WAL frames (4 KiB pages) one batch of ``--batch`` rows writes, after the
  rest were written, each frame's page mapped to its b-tree with ``dbstat`` (exact counts,
  independent of the machine's load);
* ``indexes``: the CPU (``time.thread_time``) of the ``requests`` inserts and COMMITs of all
  the rows into a fresh store, as it is and with each index of ``requests`` dropped in turn
  (a what-if: what that index costs the writer), the variants alternated ``--repeat`` times;
  median µs a row. Differences under ~2 µs are within the run-to-run noise on a busy host.

* ``pages``: the writer's whole transaction (``SqliteSink._commit``: inserts, rollups,
  facts, COMMIT) on fresh stores made with each of ``--sizes`` as ``PRAGMA page_size``,
  interleaved the same way; with ``--grow ROWS`` the rows are written again (new ids, 50 µs
  apart, as ``bench_realrows.py --grow``) up to ROWS, one line per ``--block`` rows.

    python benchmarks/bench_writer_btrees.py frames -n 5000 [--varied]
    python benchmarks/bench_writer_btrees.py indexes -n 5000 --repeat 5
    python benchmarks/bench_writer_btrees.py pages -n 2000 --varied --grow 60000 --block 10000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import struct
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_realrows import captures, restamped

from helicone_lite.store._database import Database
from helicone_lite.store._errors import Reporter
from helicone_lite.store._rows import Item, group_in_order, materialize
from helicone_lite.store._sink import SqliteSink


def sink_at(directory: Path) -> SqliteSink:
    """A writer's sink on a fresh store in ``directory``."""
    db = Database(directory / "helicone.db", busy_timeout=5.0)
    return SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=time.sleep)


def rows_of(kept: list[Any]) -> list[Item]:
    return [materialize(("requests", capture)) for capture in kept]


def frames(kept: list[Any], batch: int) -> None:
    """WAL frames per row by b-tree of the last batch."""
    with tempfile.TemporaryDirectory() as tmp:
        sink = sink_at(Path(tmp))
        items = rows_of(kept)
        last = len(items) - batch
        sink.write_batch(items[:1])
        conn = sink._connection()  # benchmark only: the sink's private connection
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        for start in range(1, last, batch):
            sink.write_batch(items[start : min(start + batch, last)])
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        sink.write_batch(items[last:])
        data = (Path(tmp) / "helicone.db-wal").read_bytes()
        size = struct.unpack(">I", data[8:12])[0]
        pages = [
            struct.unpack(">I", data[at : at + 4])[0]
            for at in range(32, len(data) - 24 - size + 1, 24 + size)
        ]
        owner = dict((p, n) for n, p in conn.execute("SELECT name, pageno FROM dbstat"))
        sink.close()
    by = Counter(owner.get(page, "(new or free pages)") for page in pages)
    rows = len(items) - last
    print(f"{len(pages)} WAL frames for a batch of {rows}: {len(pages) / rows:.2f} a row")
    for name, count in by.most_common():
        print(f"  {count / rows:5.2f}  {name}")


def indexes(kept: list[Any], batch: int, repeat: int) -> None:
    """CPU µs a row of the requests inserts + COMMITs, with each index dropped in turn: one
    fresh store per variant, all open at once, each batch written to every store in a
    rotating order (a load change hits every variant alike), ``repeat`` rounds."""
    items = rows_of(kept)
    spent: dict[str, list[float]] = {}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            for variant, seconds in interleaved(items, batch, Path(tmp)).items():
                spent.setdefault(variant, []).append(seconds / (len(items) - 1) * 1e6)
    base = statistics.median(spent["(as it is)"])
    load = os.getloadavg()[0]
    print(f"requests inserts + COMMIT, µs a row, median of {repeat} (load {load:.1f})")
    for variant, figures in spent.items():
        median = statistics.median(figures)
        runs = " ".join(f"{f:.1f}" for f in figures)
        print(f"  {variant:28s} {median:6.1f}  (index costs {base - median:+5.1f})  [{runs}]")


def interleaved(items: list[Item], batch: int, directory: Path) -> dict[str, float]:
    """Seconds of CPU per variant (the store as it is, then each index dropped)."""
    first = sink_at(directory)
    first.write_batch([(items[0][0], dict(items[0][1]))])
    prepared, _ = first._prepare([(t, dict(row)) for t, row in items[1:]])
    conn = first._connection()  # benchmark only: the sink's private connection
    names = [
        name
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'requests'"
            " AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    first.close()
    stores: dict[str, Any] = {}
    for number, variant in enumerate(["(as it is)", *names]):
        copy = directory / f"v{number}"
        copy.mkdir()
        sink = sink_at(copy)
        sink.write_batch([(items[0][0], dict(items[0][1]))])
        stores[variant] = sink._connection()
        if number:
            stores[variant].execute(f"DROP INDEX {variant}")
    spent = dict.fromkeys(stores, 0.0)
    order = list(stores)
    clock = time.thread_time
    for turn, start in enumerate(range(0, len(prepared), batch)):
        groups = [
            (sql, params)
            for sql, params in group_in_order(prepared[start : start + batch])
            if " INTO requests " in sql
        ]
        for variant in order[turn % len(order) :] + order[: turn % len(order)]:
            conn, began = stores[variant], clock()
            conn.execute("BEGIN IMMEDIATE")
            for sql, params in groups:
                conn.executemany(sql, params)
            conn.execute("COMMIT")
            spent[variant] += clock() - began
    for conn in stores.values():
        conn.close()
    return spent


def pages(kept: list[Any], sizes: list[str], total: int, block: int) -> None:
    """CPU µs a row of the writer's transactions per page size, interleaved batch by batch.

    A size may name its batch, ``8192:2500`` (default 500 rows a transaction): every variant
    writes the same rows, in chunks of the largest batch, each in its own batches."""
    items = rows_of(kept)
    total = total or len(items)
    stream, spent, done = time.time(), dict.fromkeys(sizes, 0.0), 0
    batches = {size: int(size.partition(":")[2] or 500) for size in sizes}
    step = max(batches.values())
    print("     rows  " + "  ".join(f"{size:>10}" for size in sizes) + "   load")
    with tempfile.TemporaryDirectory() as tmp:
        sinks = {
            size: sized_sink(Path(tmp) / str(n), int(size.partition(":")[0]), items[0])
            for n, size in enumerate(sizes)
        }
        for turn, start in enumerate(range(1, total, step)):
            numbers = range(start, min(start + step, total))
            rows = [dict(items[k % len(items)][1]) for k in numbers]
            if total > len(items):
                rows = [
                    restamped(row, stream + k / 20_000)
                    for k, row in zip(numbers, rows, strict=True)
                ]
            prepared, _ = sinks[sizes[0]]._prepare([("requests", row) for row in rows])
            for size in sizes[turn % len(sizes) :] + sizes[: turn % len(sizes)]:
                batch = batches[size]
                began = time.thread_time()
                for at in range(0, len(prepared), batch):  # benchmark only: the transaction
                    sinks[size]._commit(prepared[at : at + batch])
                spent[size] += time.thread_time() - began
            done += len(numbers)
            if done >= (block or total) or numbers[-1] + 1 == total:
                figures = "  ".join(f"{spent[size] / done * 1e6:10.1f}" for size in sizes)
                print(f"  {numbers[-1] + 1:7,}  {figures}   {os.getloadavg()[0]:.1f}", flush=True)
                spent, done = dict.fromkeys(sizes, 0.0), 0
        for sink in sinks.values():
            sink.close()


def sized_sink(directory: Path, size: int, first: Item) -> SqliteSink:
    """A sink on a fresh store whose file was made with ``size``-byte pages."""
    directory.mkdir()
    conn = sqlite3.connect(directory / "helicone.db")
    conn.execute(f"PRAGMA page_size = {int(size)}")
    conn.execute("PRAGMA journal_mode = WAL")  # the file is made, with that page size
    conn.close()
    sink = sink_at(directory)
    sink.write_batch([(first[0], dict(first[1]))])
    return sink


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("frames", "indexes", "pages"))
    parser.add_argument("-n", type=int, default=5_000, help="real calls (rows)")
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction")
    parser.add_argument("--repeat", type=int, default=3, help="alternations (indexes)")
    parser.add_argument("--varied", action="store_true", help="rows as --grow makes them")
    parser.add_argument(
        "--sizes", default="4096,8192,16384", help="page sizes[:batch rows] (pages)"
    )
    parser.add_argument("--grow", type=int, default=0, help="rows to write (pages)")
    parser.add_argument("--block", type=int, default=0, help="rows per line (pages)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        kept = captures(args.n, Path(tmp) / "client", varied=args.varied)
    if args.what == "frames":
        frames(kept, args.batch)
    elif args.what == "pages":
        pages(kept, args.sizes.split(","), args.grow, args.block)
    else:
        indexes(kept, args.batch, args.repeat)


if __name__ == "__main__":
    main()
