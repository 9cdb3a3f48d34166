"""Added time of helicone_lite per call, and its import cost, against the raw openai SDK.

Runs the raw SDK and helicone_lite in one process against the built-in fake provider on
loopback, in blocks of 100 calls of one kind then the other (see _blocks.py), the log flushed
after each block of ours (inside that block's CPU, outside its wall samples). Prints medians,
p95 and ratios. The fake provider runs in another process by default, as a real provider
does (``--in-process`` puts its server threads in this one, competing for the GIL with the
log writer while the caller waits: the figure of runs before 2026-12-07 04:50).
Next to the added wall it prints the calling thread's own added CPU (``time.thread_time``,
the log writer's thread not in it): on 2026-12-07 the added median wall was that CPU, not a
wait for the GIL (benchmarks/README.md, "The caller's GIL wait, measured"; the GIL wait
itself: ``bench_gilwait.py``).

    python benchmarks/bench_overhead.py [--calls 2000] [--in-process]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _blocks import blocks, fake_provider, pct

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]

IMPORT_PROBE = r"""
import json, resource, sys, time
t0 = time.perf_counter(); import openai; t1 = time.perf_counter()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import helicone_lite; helicone_lite.Client; t2 = time.perf_counter()  # the client loads lazily
rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"openai_ms": (t1 - t0) * 1e3, "added_ms": (t2 - t1) * 1e3,
                  "added_rss_mb": (rss1 - rss0) / 1024,
                  "anthropic": "anthropic" in sys.modules,
                  "genai": "google.genai" in sys.modules}))
"""


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def bench_calls(
    calls: int, pause_writer: bool = False, in_process: bool = False
) -> dict[str, float]:
    import openai

    import helicone_lite

    with fake_provider(in_process) as base_url, tempfile.TemporaryDirectory() as home:
        raw = openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
        ours = helicone_lite.Client(api_key="sk-bench", base_url=base_url, home=home)
        headers = {
            "Helicone-Session-Id": "bench",
            "Helicone-Session-Path": "/agent",
            "Helicone-Property-App": "bench",
            "Helicone-Property-Team": "ml",
        }

        def raw_call() -> object:
            return raw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)

        def our_call() -> object:
            return ours.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )

        for _ in range(50):  # warm both paths (connections, imports, price table)
            raw_call()
            our_call()
        ours.flush()
        cpu: dict[str, list[float]] = {}
        caller: dict[str, list[float]] = {}
        paths: dict[str, Callable[[], object]] = {"raw": raw_call, "ours": our_call}
        drain: Callable[[], object] = ours.flush
        if pause_writer:
            paths["paused"], drain = _paused_path(ours, our_call)
        # the log is flushed after each block, inside its CPU (as bench_async does per round):
        # else the tail of one block's rows is written during the next, raw, block
        samples = blocks(paths, calls, cpu=cpu, drain=drain, caller=caller)
        raw_t, our_t = samples["raw"], samples["ours"]
        start = time.perf_counter()
        ours.flush()
        drain = time.perf_counter() - start
        logged = ours.store.query("SELECT COUNT(*) AS n FROM requests")[0]["n"]
        ours.close()
    return {
        "raw_median_ms": statistics.median(raw_t),
        "raw_p95_ms": pct(raw_t, 0.95),
        "ours_median_ms": statistics.median(our_t),
        "ours_p95_ms": pct(our_t, 0.95),
        "added_median_ms": statistics.median(our_t) - statistics.median(raw_t),
        "ratio_median": statistics.median(our_t) / statistics.median(raw_t),
        "raw_cpu_ms": statistics.median(cpu["raw"]),
        "ours_cpu_ms": statistics.median(cpu["ours"]),
        # the calling thread's own CPU (time.thread_time), the log writer's not in it
        "caller_added_ms": statistics.median(caller["ours"]) - statistics.median(caller["raw"]),
        "rows_logged": logged,
        "rows_expected": calls * (2 if pause_writer else 1) + 50,
        **(_paused_figures(samples, cpu) if pause_writer else {}),
        "final_drain_s": drain,
    }


def _paused_path(
    ours: Any, our_call: Callable[[], object]
) -> tuple[Callable[[], object], Callable[[], object]]:
    """EMULATION (``--pause-writer``): a third path, the same logged call with the log
    writer thread held idle for the whole block (its rows stay queued, then are written by
    the drain after the block, outside the wall samples). What the caller would see if the
    writer's Python work (row building, the sink's statements) never competed for the GIL,
    e.g. with the row building moved to another process. Not a configuration: rows written
    late."""
    writer = ours.store._writer  # the BatchWriter; pause_for_fork holds it between batches
    paused = [False]

    def call() -> object:
        if not paused[0]:
            paused[0] = writer.pause_for_fork(5.0)
        return our_call()

    def drain() -> None:
        if paused[0]:
            writer.resume_after_fork()
            paused[0] = False
        ours.flush()

    return call, drain


def _paused_figures(
    samples: dict[str, list[float]], cpu: dict[str, list[float]]
) -> dict[str, float]:
    return {
        "paused_median_ms": statistics.median(samples["paused"]),
        "paused_p95_ms": pct(samples["paused"], 0.95),
        "paused_added_ms": statistics.median(samples["paused"]) - statistics.median(samples["raw"]),
        "paused_cpu_ms": statistics.median(cpu["paused"]),
    }


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_memory(calls: int, reports: int = 100) -> None:
    """Resident memory ``reports`` times over ``calls`` logged calls (session + 2 properties):
    it must stay flat (the log queue is bounded; nothing per call is kept). Each line also has
    the elapsed time, the load average and the writer's counters; the last line checks that
    every call was logged (nothing dropped)."""
    import helicone_lite
    from helicone_lite.testing import FakeProvider

    headers = {
        "Helicone-Session-Id": "bench",
        "Helicone-Property-App": "bench",
        "Helicone-Property-Team": "ml",
    }
    # the fake provider keeps only its latest requests: its memory is not ours to count
    with FakeProvider(max_requests=100) as fake, tempfile.TemporaryDirectory() as home:
        ours = helicone_lite.Client(api_key="sk-bench", base_url=fake.openai_base_url, home=home)
        step = max(1, calls // reports)
        began = time.perf_counter()
        print(f"memory over {calls:,} logged calls (RSS, MB)", flush=True)
        done = 0
        while True:
            stats = ours.store.stats()
            print(
                f"  after {done:>9,} calls  {rss_mb():8.1f} MB  {time.perf_counter() - began:7.0f} s"
                f"  load {os.getloadavg()[0]:5.1f}  written {stats['written']:,}"
                f"  queued {stats['queued']:,}  dropped {stats['dropped']}",
                flush=True,
            )
            if done >= calls:
                break
            for _ in range(min(step, calls - done)):
                ours.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
                )
            done += min(step, calls - done)
        ours.flush()
        logged = ours.store.query("SELECT COUNT(*) AS n FROM requests")[0]["n"]
        print(f"  rows logged {logged:,} of {calls:,}; {ours.store.stats()}", flush=True)
        ours.close()


def bench_import(runs: int = 7) -> dict[str, float]:
    samples = [
        json.loads(subprocess.check_output([sys.executable, "-c", IMPORT_PROBE]))
        for _ in range(runs)
    ]
    return {
        "openai_import_ms": statistics.median(s["openai_ms"] for s in samples),
        "added_import_ms": statistics.median(s["added_ms"] for s in samples),
        "added_rss_mb": statistics.median(s["added_rss_mb"] for s in samples),
        "imports_anthropic": any(s["anthropic"] for s in samples),
        "imports_google_genai": any(s["genai"] for s in samples),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--memory", type=int, default=0, metavar="N", help="only: RSS over N calls (1000000)"
    )
    parser.add_argument(
        "--async-tasks", type=int, default=0, metavar="N", help="only: N concurrent async tasks"
    )
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="the fake provider in this process (its server threads then share the GIL)",
    )
    parser.add_argument(
        "--pause-writer",
        action="store_true",
        help="also time an EMULATION: the logged call with the log writer held idle per block",
    )
    args = parser.parse_args()
    if args.async_tasks:  # bench_async.py: blocks of N concurrent calls, bounded in time
        import bench_async

        bench_async.main(["--tasks", str(args.async_tasks)])
        return
    if args.memory:
        bench_memory(args.memory)
        return
    calls = bench_calls(args.calls, args.pause_writer, args.in_process)
    imports = bench_import()
    where = "in this process" if args.in_process else "in another process"
    print(
        f"per call (n={args.calls}, fake provider on loopback {where}, logging + session"
        f" + 2 properties; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  raw openai      median {calls['raw_median_ms']:.3f} ms   p95 {calls['raw_p95_ms']:.3f} ms"
    )
    print(
        f"  helicone_lite   median {calls['ours_median_ms']:.3f} ms   p95 {calls['ours_p95_ms']:.3f} ms"
    )
    print(
        f"  added           median {calls['added_median_ms'] * 1000:.0f} µs   "
        f"ratio {calls['ratio_median']:.3f}   (budget: <= 100 µs added)"
    )
    print(
        f"  process CPU     raw {calls['raw_cpu_ms'] * 1000:.0f} µs, helicone_lite "
        f"{calls['ours_cpu_ms'] * 1000:.0f} µs per call (median of blocks, every thread): "
        f"added {(calls['ours_cpu_ms'] - calls['raw_cpu_ms']) * 1000:.0f} µs"
    )
    print(
        f"  caller CPU      added {calls['caller_added_ms'] * 1000:.0f} µs per call (the calling"
        f" thread's own, median of blocks; the rest of the added wall is waiting: the GIL,"
        f" the machine)"
    )
    if args.pause_writer:
        print(
            f"  EMULATION, writer held idle for the block (rows written after it): median "
            f"{calls['paused_median_ms']:.3f} ms, p95 {calls['paused_p95_ms']:.3f} ms, added "
            f"{calls['paused_added_ms'] * 1000:.0f} µs; process CPU "
            f"{calls['paused_cpu_ms'] * 1000:.0f} µs per call"
        )
    print(f"  rows logged     {calls['rows_logged']} of {calls['rows_expected']}")
    print("import")
    print(f"  import openai                  {imports['openai_import_ms']:.0f} ms")
    print(
        f"  import helicone_lite on top    {imports['added_import_ms']:.0f} ms   (budget: <= 60 ms)"
    )
    print(f"  extra RSS                      {imports['added_rss_mb']:.1f} MB  (budget: <= 15 MB)")
    print(
        f"  imports anthropic / google.genai: {imports['imports_anthropic']} / "
        f"{imports['imports_google_genai']}"
    )


if __name__ == "__main__":
    main()
