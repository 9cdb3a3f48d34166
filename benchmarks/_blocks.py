"""Timing in blocks: 100 calls of one kind, then 100 of the next, in turn.

Alternating single calls makes each call pay for the background work (the log writer, the
garbage collector) triggered by the previous one, which favours whichever path leaves the
least work behind; timing blocks of one kind keeps each path's own background cost inside its
own samples. Every benchmark runs the raw SDK in the same run and reports ratios to it.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

BLOCK = 100

#: the call every per-call benchmark makes: one user message, a session and two properties
MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
HEADERS = {
    "Helicone-Session-Id": "bench",
    "Helicone-Session-Path": "/agent",
    "Helicone-Property-App": "bench",
    "Helicone-Property-Team": "ml",
}


def blocks(
    paths: Mapping[str, Callable[[], object]],
    calls: int,
    block: int = BLOCK,
    cpu: dict[str, list[float]] | None = None,
    drain: Callable[[], object] | None = None,
    caller: dict[str, list[float]] | None = None,
) -> dict[str, list[float]]:
    """Per-call times in milliseconds, ``calls`` per path, taken in blocks of ``block``.

    ``cpu``, when given, gets per path the process CPU time (every thread: the caller, the log
    writer, the in-process fake provider) per call of each block, in milliseconds: on a loaded
    machine wall time mostly measures the other processes, CPU time much less so.

    ``drain``, when given, runs after every block (e.g. ``client.flush``): outside the per-call
    wall samples but inside that block's CPU figure. Without it the log writer's group commit
    (up to 0.1 s of rows) spills into the next block, so a path's writer cost lands partly on
    whichever path runs next: with many logged paths and one raw path, mostly on the other
    logged paths, with one of each, half on the raw SDK (its "added" then reads too low).

    ``caller``, when given, gets per path the calling thread's own CPU time per call of each
    block (``time.thread_time``, without ``drain``): what the caller spends itself, apart from
    the log writer's and the in-process fake provider's threads.
    """
    samples: dict[str, list[float]] = {name: [] for name in paths}
    clock, cpu_clock, own_clock = time.perf_counter, time.process_time, time.thread_time
    done = 0
    while done < calls:
        size = min(block, calls - done)
        for name, fn in paths.items():
            out = samples[name]
            cpu_began, own_began = cpu_clock(), own_clock()
            for _ in range(size):
                start = clock()
                fn()
                out.append((clock() - start) * 1e3)
            if caller is not None:
                caller.setdefault(name, []).append((own_clock() - own_began) / size * 1e3)
            if drain is not None:
                drain()
            if cpu is not None:
                cpu.setdefault(name, []).append((cpu_clock() - cpu_began) / size * 1e3)
        done += size
    return samples


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def table(samples: Mapping[str, list[float]], raw: str, unit: str = "ms") -> str:
    """Median, p95, added to and ratio against ``raw`` for every path."""
    scale = 1000.0 if unit == "µs" else 1.0
    base = statistics.median(samples[raw])
    lines = [f"  {'path':<40}{'median':>10}{'p95':>10}{'added':>10}{'÷ raw':>8}   ({unit})"]
    for name, values in samples.items():
        median = statistics.median(values)
        lines.append(
            f"  {name:<40}{median * scale:>10.3f}{pct(values, 0.95) * scale:>10.3f}"
            f"{(median - base) * scale:>10.3f}{median / base:>8.3f}"
        )
    return "\n".join(lines)


@contextmanager
def fake_provider(in_process: bool) -> Iterator[str]:
    """The fake provider's OpenAI base URL: in this process, or in a child process.

    A real provider is never in the caller's process. In this process, the fake's server
    threads compete for the caller's GIL with helicone_lite's own threads (the log writer)
    exactly while the caller waits for the answer, a contention no deployment has; in a
    child process (``helicone-lite fake-provider``), the caller's process holds only the
    caller and helicone_lite, as in production."""
    if in_process:
        from helicone_lite.testing import FakeProvider

        with FakeProvider(max_requests=100) as fake:
            yield fake.openai_base_url
        return
    child = subprocess.Popen(
        [sys.executable, "-m", "helicone_lite", "fake-provider"],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("export OPENAI_BASE_URL="):
                yield line.split("=", 1)[1].strip().strip("'")
                return
        raise RuntimeError("the fake provider process printed no OPENAI_BASE_URL")
    finally:
        child.terminate()
        child.wait(10)
