"""Throughput of the store's background writer.

Writes N realistic ``requests`` rows (~2.8 KB stored each: messages, a three-paragraph reply,
usage, three properties, one or two attempts, reply headers, a deferred ``_cost``) and
reports rows/s from the first ``write()`` to the end of ``flush()``, the time the callers
spent inside ``write()``, and the process CPU time per row (a figure that shared or busy
machines distort much less than wall time).

    python benchmarks/bench_writer.py                 # capacity: 100,000 rows, unpaced
    python benchmarks/bench_writer.py --rate 20000    # sustained: paced, default queue
    python benchmarks/bench_writer.py -n 20000 --threads 4 --ids v4 --keep /tmp/bench.db
    python benchmarks/bench_writer.py --store batch_size=5000      # any Store keyword option

Also printed: the batches' sizes and how long each transaction held the write lock
(``SqliteSink._commit`` timed from outside: BEGIN IMMEDIATE to COMMIT, with the wait for the
lock, none here), median / max; a checkpoint that the commit runs is included (the write lock
is released before it). ``--probe`` measures what another writer of the file waits: a thread
with its own connection takes the write lock (``BEGIN IMMEDIATE``, ``ROLLBACK``) every 10 ms
and times the wait (SQLite's busy handler sleeps in steps of 1-100 ms: a coarse figure).

Budget (DESIGN.md): >= 20,000 rows/s sustained, zero rows lost.
"""

from __future__ import annotations

import argparse
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helicone_lite.store import Store, iso_from_epoch, new_request_id

MODELS = ("gpt-4o-mini", "gpt-4o", "claude-sonnet-4", "gemini-2.5-flash")
QUESTION = "What is diabetes? Explain type 1 versus type 2 in two short paragraphs."
ANSWER = (
    "Diabetes is a chronic condition in which blood glucose stays too high. Type 1 is an "
    "autoimmune disease that destroys insulin-producing cells; type 2 is insulin resistance "
    "that develops over time and is linked to weight, activity and genetics. " * 3
)


def fake_cost(prompt_tokens: int, completion_tokens: int) -> float:
    # the real client looks the price up in genai-prices (cache it per model!)
    return prompt_tokens * 1.5e-7 + completion_tokens * 6e-7


def make_row(i: int, now: float, ids: str = "v7") -> dict[str, Any]:
    request_id = new_request_id() if ids == "v7" else str(uuid.uuid4())
    model = MODELS[i % len(MODELS)]
    prompt_tokens, completion_tokens = 40 + i % 50, 120 + i % 200
    properties = {"Environment": "prod", "App": "triage", "Conversation": f"c-{i // 7}"}
    failed_first = i % 10 == 0
    attempts = [{"provider": "openai", "model": model, "status": 200, "latency_ms": 412.5}]
    if failed_first:
        attempts.insert(0, {"provider": "openai", "model": model, "status": 503, "error": "x"})
    return {
        "id": request_id,
        # 50 µs apart (a 20,000 rows/s stream): one shared time made the indexes that lead
        # with created_at (or model, then created_at) grow at random places, not at their
        # end as a real log's do: ~3 more pages per row to commit (benchmarks/README.md)
        "created_at": iso_from_epoch(now + i * 5e-5),
        "kind": "chat",
        "provider": "openai",
        "model": model,
        "response_model": model + "-2026-01-01",
        "status": 200,
        "stream": i % 3 == 0,
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "cached_tokens": 0,
        "latency_ms": 412.5 + i % 97,
        "ttft_ms": 120.25,
        "user_id": f"patient-{i % 5000}",
        "session_id": f"session-{i // 20}",
        "session_path": "/triage/intake",
        "session_name": "Triage",
        "properties": properties,
        "cache_status": "MISS",
        "rate_limited": 0,
        "request_body": {
            "model": model,
            "messages": [
                {"role": "system", "content": "You are a careful medical assistant."},
                {"role": "user", "content": QUESTION},
            ],
            "temperature": 0.2,
        },
        "response_body": {
            "id": "chatcmpl-" + request_id[:12],
            "object": "chat.completion",
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": ANSWER},
                }
            ],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        },
        "reply_headers": {"Helicone-Id": request_id, "Helicone-Cache": "MISS"},
        "attempts": attempts,
        "_cost": lambda: fake_cost(prompt_tokens, completion_tokens),
    }


def produce(store: Store, rows: list[dict[str, Any]], rate: float, timings: list[float]) -> None:
    """Write ``rows`` as fast as possible, or paced at ``rate`` rows/s (in 10 ms steps)."""
    began = time.perf_counter()
    spent = 0.0
    step = max(1, int(rate / 100)) if rate else len(rows)
    for start in range(0, len(rows), step):
        if rate:
            delay = began + start / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        chunk_began = time.perf_counter()
        for row in rows[start : start + step]:
            store.write("requests", row)
        spent += time.perf_counter() - chunk_began
    timings.append(spent)


def writer_cpu_clock(store: Store) -> Callable[[], float]:
    """CPU seconds used by the store's writer thread so far (0.0 where unsupported).

    The writer is one thread, so its CPU time per row is the capacity of one idle core,
    whatever else the machine is doing.
    """
    thread = store._writer._thread  # benchmark only: peeks at the private writer
    if thread is None or thread.ident is None or not hasattr(time, "pthread_getcpuclockid"):
        return lambda: 0.0
    clock = time.pthread_getcpuclockid(thread.ident)
    return lambda: time.clock_gettime(clock)


def timed_commits(store: Store) -> list[tuple[int, float]]:
    """(rows, seconds) of every transaction the sink commits from now on (benchmark only)."""
    sink = store._sink
    commit = sink._commit
    seen: list[tuple[int, float]] = []

    def timed(prepared: Any) -> int:
        began = time.perf_counter()
        try:
            return commit(prepared)
        finally:
            seen.append((len(prepared), time.perf_counter() - began))

    sink._commit = timed  # type: ignore[method-assign]
    return seen


class Probe:
    """Another writer of the file: takes the write lock every ``every`` seconds, times the wait."""

    def __init__(self, path: Path, every: float = 0.01) -> None:
        self.waits: list[float] = []
        self._stop = threading.Event()
        self._every = every
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        conn = sqlite3.connect(path, timeout=60, isolation_level=None)
        while not self._stop.wait(self._every):
            began = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            self.waits.append(time.perf_counter() - began)
            conn.execute("ROLLBACK")
        conn.close()

    def stop(self) -> str:
        self._stop.set()
        self._thread.join()
        waits = sorted(self.waits) or [0.0]
        p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
        return (
            f"another writer waited (ms): median {statistics.median(waits) * 1e3:.1f}, "
            f"p99 {p99 * 1e3:.1f}, max {waits[-1] * 1e3:.1f} ({len(waits)} takes)"
        )


def run(
    n: int,
    threads: int,
    ids: str,
    rate: float,
    path: Path,
    group_wait: float | None = None,
    options: dict[str, Any] | None = None,
    probe: bool = False,
) -> dict[str, float]:
    # Unpaced, the queue is as long as the run: that measures the writer's capacity, not the
    # overload policy (a producer this fast would fill the default 50,000-row queue, wait,
    # then drop). Paced (--rate), the default queue is used: that measures sustained load.
    tuning: dict[str, Any] = {} if group_wait is None else {"group_wait": group_wait}
    tuning.update(options or {})
    store = Store(path, **tuning) if rate else Store(path, max_queue=n + 1, **tuning)
    store.write("requests", make_row(-1, time.time()))  # start the writer thread
    store.flush()
    commits = timed_commits(store)
    probing = Probe(path) if probe else None
    per_thread = n // threads
    now = time.time()
    rows = [make_row(i, now, ids) for i in range(per_thread * threads)]  # before the clock
    timings: list[float] = []
    workers = [
        threading.Thread(
            target=produce,
            args=(store, rows[k * per_thread : (k + 1) * per_thread], rate / threads, timings),
        )
        for k in range(threads)
    ]
    writer_cpu = writer_cpu_clock(store)
    began, cpu_began, writer_began = time.perf_counter(), time.process_time(), writer_cpu()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    drained = store.flush()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    writer_spent = writer_cpu() - writer_began
    if probing is not None:
        print(probing.stop())
    stats = store.stats()
    store.close()
    reader = Store(path)
    stored = reader.query("SELECT count(*) AS n FROM requests")[0]["n"] - 1
    reader.close()
    return {
        "rows": stored,
        "seconds": elapsed,
        "rows_per_s": stored / elapsed,
        "write_us": sum(timings) / (per_thread * threads) * 1e6,
        "cpu_us": cpu / max(stored, 1) * 1e6,
        "writer_cpu_us": writer_spent / max(stored, 1) * 1e6,
        "dropped": stats["dropped"],
        "rows_per_commit": stats["written"] / max(stats["commits"], 1),
        "drained": float(drained),
        "batch_median": statistics.median(r for r, _ in commits) if commits else 0,
        "batch_max": max((r for r, _ in commits), default=0),
        "hold_median_ms": statistics.median(t for _, t in commits) * 1e3 if commits else 0,
        "hold_max_ms": max((t for _, t in commits), default=0) * 1e3,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=100_000, help="rows to write")
    parser.add_argument("--threads", type=int, default=1, help="producer threads")
    parser.add_argument(
        "--ids", choices=("v7", "v4"), default="v7", help="request ids: UUIDv7 (default) or v4"
    )
    parser.add_argument(
        "--rate", type=float, default=0, help="pace the producers at this many rows/s in all"
    )
    parser.add_argument(
        "--group-wait", type=float, help="seconds a commit waits for more rows (default: Store's)"
    )
    parser.add_argument("--keep", type=Path, help="database path to keep (default: temp)")
    parser.add_argument(
        "--store", action="append", default=[], help="a Store option, NAME=NUMBER (repeatable)"
    )
    parser.add_argument("--probe", action="store_true", help="time another writer's lock waits")
    args = parser.parse_args()
    options = {k: float(v) if "." in v else int(v) for k, v in (o.split("=") for o in args.store)}
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "helicone.db"
        result = run(
            args.n, args.threads, args.ids, args.rate, path, args.group_wait, options, args.probe
        )
    print(
        f"{result['rows']:,.0f} rows in {result['seconds']:.2f} s = "
        f"{result['rows_per_s']:,.0f} rows/s; write() {result['write_us']:.1f} µs/row "
        f"on the callers; dropped {result['dropped']:.0f}; "
        f"{result['rows_per_commit']:.1f} rows per commit\n"
        f"CPU per row: process {result['cpu_us']:.0f} µs, writer thread "
        f"{result['writer_cpu_us']:.0f} µs (= {1e6 / max(result['writer_cpu_us'], 1e-9):,.0f}"
        " rows/s on one idle core)\n"
        f"batches: {result['batch_median']:.0f} rows median, {result['batch_max']:.0f} max; "
        f"write lock held {result['hold_median_ms']:.1f} ms median, "
        f"{result['hold_max_ms']:.1f} ms max; peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"
    )


if __name__ == "__main__":
    main()
