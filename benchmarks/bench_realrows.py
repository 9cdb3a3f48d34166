"""The log writer's CPU per row for rows of REAL calls: row building vs SQL vs COMMIT.

``bench_sink.py`` times synthetic rows (dicts made by ``bench_writer.make_row``). Here the rows
are what the writer gets in production: first ``-n`` real ``chat.completions.create`` calls
through ``helicone_lite.Client`` (openai SDK, HTTP to the in-process fake provider; a session,
its path and two properties, as in ``bench_overhead.py``) whose queued ``RequestCapture``
objects are kept instead of written; then, on this thread and timed with
``time.thread_time`` (one idle core's cost, whatever else the machine runs), in batches of
``--batch`` as the writer takes them at full load:

* ``build``: ``RequestCapture.build()`` (the row dict from the capture; since issue 12
  item 3 also the bodies' JSON and the price, which older trees deferred to:)
* ``deferred values``: the bodies' JSON (request) / decoding (response), redaction;
* ``price``: the ``_cost`` hook (a cached genai-prices rate);
* ``prepare``: ``RowPreparer`` (JSON of the dict columns, side rows, parameter tuples);
* every statement of the transaction (the inserts as the sink runs them: multi-row
  statements since writer20k5), and ``COMMIT``.

Since branch ``rowbuild`` a current tree's ``materialize`` is timed per batch (two clock
reads a batch: ``time.thread_time`` is a system call, ~0.5-1.5 µs, and the four a row that
split it before counted ~2-6 µs a row as row building); an older tree (bodies and price as
deferred values) is still split per row. The last line is the garbage collector's CPU on
this thread during the writing, by generation: it is inside the parts above.

    python benchmarks/bench_realrows.py -n 5000 [--repeat 3]

``--grow ROWS`` measures the writer on a store that grows, as a sustained load makes it:
``-n`` real calls made varied (1,000 users, a third property with a value per 7 calls,
questions of 40 lengths: tokens, price and latency differ, as in production), then written
again and again, each time with a new id and a time 50 µs later (a 20,000 rows/s stream),
up to ROWS rows; one line per ``--block`` rows (CPU per row: all, row building, the
``requests`` insert, the other statements, COMMIT; the store's size)::

    python benchmarks/bench_realrows.py -n 5000 --grow 200000 --block 25000
"""

from __future__ import annotations

import argparse
import collections
import gc
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _blocks import HEADERS, MESSAGES

from helicone_lite.store import _rows
from helicone_lite.store._rows import _built, _evaluate_deferred, evaluate_cost, group_in_order

#: Since issue 12 item 3's change, ``build()`` serialises the bodies and prices the call
#: itself (its figure includes them) and ``materialize`` makes no pass over a built row;
#: before it (run against an older tree) the bodies and the price were deferred callables.
BUILT_ROWS_PLAIN = hasattr(_rows, "evaluate_deferred")


def captures(n: int, home: Path, varied: bool = False) -> list[Any]:
    """``n`` real calls' queued captures (the client's writer never sees them); ``varied``:
    each call with one of 1,000 users, one of many conversations (a third property) and a
    question of its own length (so tokens, price and latency differ), as in production."""
    import helicone_lite
    from helicone_lite.testing import FakeProvider

    kept: list[Any] = []
    with FakeProvider(max_requests=10) as fake:
        client = helicone_lite.Client(api_key="sk-bench", base_url=fake.openai_base_url, home=home)
        # benchmark only: the recorder's queue call, redirected to a list
        client.store.write_deferred = lambda table, capture: kept.append(capture)  # type: ignore[method-assign]
        for i in range(n):
            headers, messages = HEADERS, MESSAGES
            if varied:
                headers = {
                    **HEADERS,
                    "Helicone-User-Id": f"user-{i * 7919 % 1000}",
                    "Helicone-Property-Conversation": f"c-{i // 7}",
                }
                question = MESSAGES[0]["content"] + " Explain." * (i % 40)
                messages = [{"role": "user", "content": question}]
            client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, extra_headers=headers
            )
        client.close()
    return kept


def materialize_timed(capture: Any, spent: dict[str, float]) -> dict[str, Any]:
    """``_rows.materialize`` for a deferred ``requests`` row, in timed steps."""
    clock = time.thread_time
    began = clock()
    row = _built(capture)
    built = clock()
    if not BUILT_ROWS_PLAIN:
        _evaluate_deferred(row)
    evaluated = clock()
    compute = row.pop("_cost", None)
    if "cost_usd" not in row:
        row["cost_usd"] = evaluate_cost(compute) if callable(compute) else None
    priced = clock()
    spent["build (RequestCapture.build)"] += built - began
    spent["deferred values (bodies' JSON)"] += evaluated - built
    spent["price (_cost)"] += priced - evaluated
    return row


def materialized(kept: list[Any], numbers: range, spent: dict[str, float]) -> list[Any]:
    """The batch's rows as the writer makes them (``_rows.materialize``), timed as a batch:
    two clock reads a batch, not four a row (``time.thread_time`` is a system call, 0.5-1.5
    µs each, which the per-row split of older trees counts as row building)."""
    if not BUILT_ROWS_PLAIN:  # an older tree: its deferred values and price apart
        return [("requests", materialize_timed(kept[k % len(kept)], spent)) for k in numbers]
    clock, count = time.thread_time, len(kept)
    began = clock()
    rows = [_rows.materialize(("requests", kept[k % count])) for k in numbers]
    spent["build (materialize: RequestCapture.build)"] += clock() - began
    return rows


def restamped(row: dict[str, Any], at: float) -> dict[str, Any]:
    """A capture written again (``--grow``): a new id, stamped ``at`` (a steady stream)."""
    from helicone_lite.store import iso_from_epoch, new_request_id

    row["id"], row["created_at"] = new_request_id(), iso_from_epoch(at)
    return row


class Collector:
    """The garbage collector's CPU on this thread while the rows are written, by generation
    (``gc.callbacks``): inside the parts above, not beside them."""

    def __init__(self) -> None:
        self.spent: dict[int, float] = collections.defaultdict(float)
        self.count: dict[int, int] = collections.defaultdict(int)
        self._began = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.thread_time()
        else:
            generation = info["generation"]
            self.spent[generation] += time.thread_time() - self._began
            self.count[generation] += 1

    def report(self, rows: int) -> None:
        parts = ", ".join(
            f"gen{g} {self.spent[g] / rows * 1e6:.1f} ({self.count[g]:,})"
            for g in sorted(self.spent)
        )
        whole = sum(self.spent.values()) / rows * 1e6
        print(f"  {whole:7.1f} µs/row  of which the collector (µs/row, collections): {parts}")


def write(
    kept: list[Any], batch: int, directory: Path, total: int = 0, block: int = 0
) -> dict[str, float]:
    """Write the captures in batches, timed by part; with ``total``: cycled up to ``total``
    rows, restamped (the store grows), one line of figures per ``block`` rows."""
    from helicone_lite.store._database import Database
    from helicone_lite.store._errors import Reporter
    from helicone_lite.store._sink import SqliteSink

    db = Database(directory / "helicone.db", busy_timeout=5.0)
    sink = SqliteSink(db, Reporter(), retries=0, retry_backoff=0.0, sleep=time.sleep)
    spent: dict[str, float] = collections.defaultdict(float)
    first = materialize_timed(kept[0], spent)
    sink.write_batch([("requests", first)])  # migrated, statements prepared
    spent.clear()
    conn = sink._connection()  # benchmark only: the sink's private connection
    rollups = sink._rollups
    assert rollups is not None, "a current schema: the writer keeps the rollups"
    clock = time.thread_time
    # the sink's multi-row inserts (writer20k5); an older tree's: one executemany per group
    multirow = getattr(sink, "_multirow", None)
    insert = multirow.insert if multirow is not None else _executemany
    whole: dict[str, float] = collections.defaultdict(float)
    stream, last = time.time(), 1
    end = total or len(kept)
    for start in range(1, end, batch):
        numbers = range(start, min(start + batch, end))
        rows = materialized(kept, numbers, spent)
        if total:
            rows = [
                (t, restamped(row, stream + k / 20_000))
                for k, (t, row) in zip(numbers, rows, strict=True)
            ]
        began = clock()
        prepared, _ = sink._prepare(rows)
        spent["prepare (RowPreparer)"] += clock() - began
        began = clock()
        conn.execute("BEGIN IMMEDIATE")
        mark = rollups.first_rowid(conn)
        spent["SQL: BEGIN + mark"] += clock() - began
        for sql, params in group_in_order(prepared):
            began = clock()
            insert(conn, sql, params)
            spent["SQL: " + sql.split(" (", 1)[0]] += clock() - began
        for sql in rollups._range:
            began = clock()
            conn.execute(sql, {"mark": mark})
            spent["SQL: " + sql[:50] + " ..."] += clock() - began
        began = clock()
        conn.execute("COMMIT")
        spent["COMMIT"] += clock() - began
        if block and (numbers[-1] + 1 - last >= block or numbers[-1] + 1 == end):
            report_block(numbers[-1] + 1, numbers[-1] + 1 - last, spent, directory / "helicone.db")
            last = numbers[-1] + 1
            for label, seconds in spent.items():
                whole[label] += seconds
            spent.clear()
    for label, seconds in spent.items():
        whole[label] += seconds
    count = conn.execute("SELECT count(*) FROM requests").fetchone()[0]
    sink.close()
    assert count == end, f"{count} rows stored of {end}"
    return whole


def _executemany(conn: Any, sql: str, params: list[tuple[Any, ...]]) -> int:
    return int(conn.executemany(sql, params).rowcount)


def report_block(rows: int, done: int, spent: dict[str, float], path: Path) -> None:
    """One line: CPU µs per row of the last ``done`` rows, by part, and the store's size."""
    import os

    sql = sum(v for k, v in spent.items() if k.startswith("SQL"))
    build = sum(v for k, v in spent.items() if not k.startswith(("SQL", "COMMIT")))
    insert = spent.get("SQL: INSERT OR IGNORE INTO requests", 0.0)
    parts = (build, insert, sql - insert, spent.get("COMMIT", 0.0))
    figures = "  ".join(f"{v / done * 1e6:6.1f}" for v in (sum(parts), *parts))
    size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) >> 20
    print(f"  {rows:>9,}  {figures}  {size:6,} MB  load {os.getloadavg()[0]:.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5_000, help="real calls (rows)")
    parser.add_argument("--batch", type=int, default=500, help="rows per transaction")
    parser.add_argument("--repeat", type=int, default=1, help="runs, each on fresh calls")
    parser.add_argument("--grow", type=int, default=0, help="rows to write (calls cycled)")
    parser.add_argument("--block", type=int, default=25_000, help="rows per line (--grow)")
    args = parser.parse_args()
    import os

    for run in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            kept = captures(args.n, Path(tmp) / "client", varied=bool(args.grow))
            if args.grow:
                print(
                    f"run {run + 1}: {args.n:,} varied real calls, written up to {args.grow:,}"
                    " rows; CPU µs/row per block:"
                )
                print("       rows     all  build  insert  other  COMMIT   store")
            collector = Collector()
            gc.callbacks.append(collector)
            try:
                spent = write(
                    kept, args.batch, Path(tmp), args.grow, args.block if args.grow else 0
                )
            finally:
                gc.callbacks.remove(collector)
        rows = (args.grow or len(kept)) - 1
        print(f"run {run + 1}: {rows:,} rows of real calls, load {os.getloadavg()[0]:.1f}")
        groups = {"row building": 0.0, "SQL statements": 0.0, "COMMIT": 0.0}
        for label, seconds in sorted(spent.items(), key=lambda item: -item[1]):
            print(f"  {seconds / rows * 1e6:7.1f} µs/row  {label}")
            group = "COMMIT" if label == "COMMIT" else "SQL statements"
            if not label.startswith(("SQL", "COMMIT")):
                group = "row building"
            groups[group] += seconds
        total = sum(spent.values())
        for label, seconds in groups.items():
            print(f"  {seconds / rows * 1e6:7.1f} µs/row  = {label}")
        print(
            f"  {total / rows * 1e6:7.1f} µs/row  total (= {rows / total:,.0f} rows/s on one core)"
        )
        collector.report(rows)


if __name__ == "__main__":
    main()
