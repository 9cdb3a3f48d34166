"""How long a logged call's caller waits for the GIL while the log writer thread holds it.

The provider is emulated in this process by an ``httpx2.MockTransport`` whose handler sleeps
``--io-us`` (the provider's answer time: the caller releases the GIL, as in a socket read),
then answers a fixed ChatCompletion. The caller gets the GIL back after that sleep only when
the thread holding it lets go: with the writer running its Python (row building, the sink's
row preparation) that can take up to a whole group of rows. So, per call:

* **GIL wait** = the sleep's measured wall - the requested time - the caller thread's own CPU
  and run-queue delay during it (``/proc/thread-self/schedstat``: a garbage collection on the
  way back, time runnable but not running behind the other processes of a loaded machine).
  What is left is the wake-up latency (the same on every path) plus the wait for the GIL.
  The figures print it against the raw SDK's (no writer): "at answer".
* **whole call off-CPU** = the call's wall - the caller's CPU - its run-queue delay: the
  answer's wait (the same on every path), plus the GIL waits anywhere in the call (also the
  ones a switch-interval request by the writer causes in the middle of the caller's Python),
  against the raw SDK's: "whole".
* caller-thread CPU (``time.thread_time``) and wall, as ``bench_hotpath`` does;
* the writer thread's CPU per logged row (``pthread_getcpuclockid``): what a yield costs it.

Paths, in blocks of 100 taking turns (_blocks.py's reasons): raw openai, the logged call
(session + two properties), and ``--pause-writer``'s EMULATION (the writer held idle for the
block, its rows written after it: no GIL wait from the writer at all). The log is flushed after
each block, outside the figures.

``--holds ROWS``: instead, ROWS logged calls queued with the writer held idle, then written
(no ``flush()``: a flush makes the writer hurry, without its release points) while only a
probe thread runs beside it, sleeping 50 µs again and again; printed is how late it got the
GIL back (its CPU and run-queue delay taken out): the writer's GIL holds as a caller back from
its I/O meets them. Linux only (``/proc/thread-self/schedstat``).

    python benchmarks/bench_gilwait.py [--calls 2000] [--io-us 200] [--pause-writer]
    python benchmarks/bench_gilwait.py --holds 100 [--rounds 10]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from typing import Any

from _blocks import HEADERS, MESSAGES, pct
from bench_hotpath import BODY, REPLY_HEADERS


class SleepingProvider:
    """The mock transport's handler: sleeps like a provider's answer, and keeps per call the
    sleep's excess over the requested time minus the caller's run-queue delay (µs)."""

    def __init__(self, io_us: float) -> None:
        self._io = io_us / 1e6
        self._stat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)  # the caller's
        self.excess: list[float] = []

    def busy(self) -> float:
        """The caller thread's CPU (exact) plus its time runnable but not running (schedstat's
        second field, settled each time the thread gets a CPU), in seconds."""
        return time.thread_time() + int(os.pread(self._stat, 100, 0).split()[1]) / 1e9

    def __call__(self, request: Any) -> Any:
        import httpx2

        busy, began = self.busy(), time.perf_counter()
        time.sleep(self._io)
        slept = time.perf_counter() - began
        busy = self.busy() - busy
        self.excess.append((slept - self._io - busy) * 1e6)
        return httpx2.Response(200, headers=REPLY_HEADERS, content=BODY)

    def close(self) -> None:
        os.close(self._stat)


class Probe:
    """A thread that sleeps ``interval`` again and again and keeps, per wake-up, how much later
    than asked it got the GIL back, its own CPU and run-queue delay taken out (µs): with no
    other Python thread running, the lengths of the writer's GIL holds as a caller sees them."""

    def __init__(self, interval_us: float = 50.0) -> None:
        self._interval = interval_us / 1e6
        self._stop = threading.Event()
        self.late: list[float] = []
        self.at: list[float] = []  # when each wake-up came (perf_counter)
        self._thread = threading.Thread(target=self._run, name="gil-probe", daemon=True)

    def _run(self) -> None:
        stat = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
        clock, own, interval = time.perf_counter, time.thread_time, self._interval

        def busy() -> float:
            return own() + int(os.pread(stat, 100, 0).split()[1]) / 1e9

        while not self._stop.is_set():
            began, began_busy = clock(), busy()
            time.sleep(interval)
            now = clock()
            self.late.append((now - began - interval - (busy() - began_busy)) * 1e6)
            self.at.append(now)
        os.close(stat)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def holds(rows: int, rounds: int) -> None:
    """``--holds``: ``rows`` logged calls queued with the writer held idle, then written while
    only a :class:`Probe` runs beside the writer; ``rounds`` times. Prints how late the probe
    got the GIL back: the writer's GIL holds, which a caller back from its I/O waits for."""
    import helicone_lite

    provider = SleepingProvider(0.0)
    import httpx2

    late: list[float] = []
    idle: list[float] = []
    collections: list[tuple[int, float]] = []
    collecting: list[float] = [0.0]

    def timed_collection(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collecting[0] = time.perf_counter()
        else:
            duration = (time.perf_counter() - collecting[0]) * 1e6
            collections.append((info["generation"], duration))

    gc.callbacks.append(timed_collection)
    with tempfile.TemporaryDirectory() as home:
        ours = helicone_lite.Client(
            api_key="sk-bench",
            base_url="http://127.0.0.1:9/v1",
            home=home,
            http_client=httpx2.Client(transport=httpx2.MockTransport(provider)),
        )
        writer = ours.store._writer
        writer._group_wait = 0  # the batch starts when the writer is let go, not 0.1 s later
        for round_ in range(rounds + 1):
            writer.pause_for_fork(5.0)
            for _ in range(rows):
                ours.chat.completions.create(
                    model="gpt-4o-mini", messages=MESSAGES, extra_headers=HEADERS
                )
            with Probe() as probe:  # the probe alone first: its own wake-up latency
                time.sleep(0.02)
                began = time.perf_counter()
                writer.resume_after_fork()
                while ours.store.stats()["queued"]:  # not flush(): the writer hurries for it
                    time.sleep(0.001)
                ended = time.perf_counter()
            if round_:  # the first round warms the writer (imports, the price table)
                for at, lateness in zip(probe.at, probe.late, strict=True):
                    if at < began:
                        idle.append(lateness)
                    elif at <= ended:
                        late.append(lateness)
            else:
                collections.clear()
        ours.close()
    gc.callbacks.remove(timed_collection)
    provider.close()
    base = statistics.median(idle)
    print(
        f"probe's lateness beside the writer, {rows} rows x {rounds}, µs over its idle median"
        f" {base:.0f} (load average {os.getloadavg()[0]:.1f}): wake-ups {len(late)}, median"
        f" {statistics.median(late) - base:.0f}, mean {statistics.mean(late) - base:.0f},"
        f" p90 {pct(late, 0.9) - base:.0f}, p99 {pct(late, 0.99) - base:.0f},"
        f" max {max(late) - base:.0f}; the probe's total lateness a row"
        f" {sum(x - base for x in late) / (rows * rounds):.1f}"
    )
    full = [duration for generation, duration in collections if generation == 2]
    print(
        f"  garbage collections meanwhile (any thread): {len(collections)}, of them full"
        f" {len(full)} taking {', '.join(f'{d:.0f}' for d in full) or '-'} µs"
    )


def _thread_cpu(ident: int | None) -> float:
    return 0.0 if ident is None else time.clock_gettime(time.pthread_getcpuclockid(ident))


def measure(args: argparse.Namespace) -> dict[str, dict[str, float]]:
    import httpx2
    import openai

    import helicone_lite

    provider = SleepingProvider(args.io_us)
    base = "http://127.0.0.1:9/v1"  # never connected to: the mock transport answers

    def client() -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(provider))

    with tempfile.TemporaryDirectory() as home:
        raw = openai.OpenAI(api_key="sk-bench", base_url=base, max_retries=0, http_client=client())
        ours = helicone_lite.Client(
            api_key="sk-bench", base_url=base, home=home, http_client=client()
        )

        def call(target: openai.OpenAI, headers: dict[str, str] | None) -> Callable[[], object]:
            return lambda: target.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )

        paths = {"raw openai": call(raw, None), "logged": call(ours, HEADERS)}
        if args.pause_writer:
            paths["EMULATION: writer held idle"] = paths["logged"]
        for fn in paths.values():
            for _ in range(50):
                fn()
        ours.flush()
        writer = ours.store._writer  # the BatchWriter: its thread, pause_for_fork
        figures = _blocks(paths, args.calls, provider, writer, ours.flush)
        logged = ours.store.query("SELECT COUNT(*) AS n FROM requests")[0]["n"]
        ours.close()
    provider.close()
    expected = (len(paths) - 1) * (args.calls // 100 * 100 + 50)
    figures["logged"]["rows"], figures["logged"]["expected"] = logged, expected
    return figures


def _blocks(
    paths: dict[str, Callable[[], object]],
    calls: int,
    provider: SleepingProvider,
    writer: Any,
    flush: Callable[[], object],
) -> dict[str, dict[str, float]]:
    wall: dict[str, list[float]] = {name: [] for name in paths}
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    excess: dict[str, list[float]] = {name: [] for name in paths}
    off: dict[str, list[float]] = {name: [] for name in paths}
    writer_cpu: list[float] = []
    clock, own = time.perf_counter, time.thread_time
    for _ in range(max(1, calls // 100)):
        for name, fn in paths.items():
            paused = name.startswith("EMULATION") and writer.pause_for_fork(5.0)
            thread = writer._thread
            began_writer = _thread_cpu(thread.ident if thread else None)
            provider.excess.clear()
            for _ in range(100):
                began, began_cpu, began_busy = clock(), own(), provider.busy()
                fn()
                cpu[name].append((own() - began_cpu) * 1e6)
                wall[name].append((clock() - began) * 1e6)
                off[name].append(wall[name][-1] - (provider.busy() - began_busy) * 1e6)
            excess[name].extend(provider.excess)
            if paused:
                writer.resume_after_fork()
            if name == "logged":
                flush()  # this block's rows written: their writer CPU counted with them
                writer_cpu.append(
                    (_thread_cpu(thread.ident if thread else None) - began_writer) * 1e4
                )
            else:
                flush()
    base = statistics.median(excess["raw openai"])
    base_off = statistics.median(off["raw openai"])
    return {
        name: {
            "off_median": statistics.median(off[name]) - base_off,
            "off_mean": statistics.mean(off[name]) - base_off,
            "wall": statistics.median(wall[name]),
            "wall_mean": statistics.mean(wall[name]),
            "wall_p95": pct(wall[name], 0.95),
            "cpu": statistics.median(cpu[name]),
            "gil_median": statistics.median(excess[name]) - base,
            "gil_mean": statistics.mean(excess[name]) - base,
            "gil_p95": pct(excess[name], 0.95) - base,
            "gil_p99": pct(excess[name], 0.99) - base,
            "gil_max": max(excess[name]) - base,
            **({"writer_row": statistics.median(writer_cpu)} if name == "logged" else {}),
        }
        for name in paths
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--io-us", type=float, default=200.0, help="the provider's answer time")
    parser.add_argument("--pause-writer", action="store_true", help="add the EMULATION path")
    parser.add_argument(
        "--holds", type=int, default=0, metavar="ROWS", help="only: the writer's GIL holds"
    )
    parser.add_argument("--rounds", type=int, default=10, help="with --holds")
    args = parser.parse_args()
    if args.holds:
        holds(args.holds, args.rounds)
        return
    figures = measure(args)
    raw = figures["raw openai"]
    print(
        f"µs a call ({args.calls} calls a path, blocks of 100, provider sleeping {args.io_us:.0f}"
        f" µs; load average {os.getloadavg()[0]:.1f})"
    )
    print(
        f"  {'path':<30}{'wall':>7}{'+raw':>6}{'mean+raw':>9}{'p95+raw':>8}{'CPU+raw':>8}"
        f"{'at answer: median':>18}{'mean':>6}{'p95':>6}{'p99':>6}{'max':>7}{'whole: median':>14}{'mean':>6}"
    )
    for name, fig in figures.items():
        print(
            f"  {name:<30}{fig['wall']:>7.0f}{fig['wall'] - raw['wall']:>6.0f}"
            f"{fig['wall_mean'] - raw['wall_mean']:>9.0f}{fig['wall_p95'] - raw['wall_p95']:>8.0f}"
            f"{fig['cpu'] - raw['cpu']:>8.0f}{fig['gil_median']:>18.1f}{fig['gil_mean']:>6.1f}"
            f"{fig['gil_p95']:>6.0f}{fig['gil_p99']:>6.0f}{fig['gil_max']:>7.0f}{fig['off_median']:>14.1f}"
            f"{fig['off_mean']:>6.1f}"
        )
    logged = figures["logged"]
    print(
        f"  writer thread CPU a logged row: {logged['writer_row']:.1f} µs (median of blocks);"
        f" rows logged {logged['rows']:.0f} of {logged['expected']:.0f}"
    )


if __name__ == "__main__":
    main()
