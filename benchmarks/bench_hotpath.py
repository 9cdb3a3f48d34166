"""helicone_lite's own work on the caller's thread, measured so that a loaded machine can tell.

Wall time on a shared 2-core machine mostly measures the other processes. This benchmark
takes the network and the fake provider's thread out (both clients send through one
in-process ``httpx2.MockTransport`` answering a fixed ChatCompletion) and reports, next to
wall time, the **caller thread's CPU time** per call (``time.thread_time``): what the caller
itself executes, which other processes and the log writer's thread inflate much less. The raw
openai SDK runs in the same process, in blocks of 100 calls taking turns with ours
(_blocks.py); printed are medians and p95 over blocks, and the difference to raw.

Paths: a logged call with a session and two properties (issue 12's first budget), the same
with one local rate-limit policy (second budget), and a cache hit (third). The ``sys`` column
is the caller thread's kernel CPU (``getrusage(RUSAGE_THREAD)``): futex calls of GIL
hand-offs with the log writer land there.

``--pause-writer`` adds an EMULATION, not a configuration: the logged call with the log
writer thread held idle for its block (rows queued, written after the block, outside the
figures): what the caller would spend if the writer's work did not share its process.

    python benchmarks/bench_hotpath.py [--calls 2000] [--pause-writer]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from collections.abc import Callable

from _blocks import pct

MESSAGES = [{"role": "user", "content": "What is diabetes?"}]
BODY = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "A chronic high blood sugar."},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
        "system_fingerprint": "fp_bench",
    }
).encode()
REPLY_HEADERS = [
    ("content-type", "application/json"),
    ("x-request-id", "req_bench"),
    ("openai-processing-ms", "3"),
    ("openai-version", "2020-10-01"),
    ("x-ratelimit-remaining-requests", "9999"),
]
SESSION = {
    "Helicone-Session-Id": "bench",
    "Helicone-Session-Path": "/agent",
    "Helicone-Property-App": "bench",
    "Helicone-Property-Team": "ml",
}


def _sys_time() -> float:
    return resource.getrusage(resource.RUSAGE_THREAD).ru_stime


def measure(
    paths: dict[str, Callable[[], object]],
    calls: int,
    around: dict[str, tuple[Callable[[], object], Callable[[], object]]] | None = None,
) -> dict[str, dict[str, float]]:
    """Per path: caller-thread CPU (and its kernel part) and wall time per call (µs), per block
    of 100. ``around``: per path, what to run before and after its block (outside the
    figures)."""
    cpu: dict[str, list[float]] = {name: [] for name in paths}
    sys_cpu: dict[str, list[float]] = {name: [] for name in paths}
    wall: dict[str, list[float]] = {name: [] for name in paths}
    for _ in range(max(1, calls // 100)):
        for name, fn in paths.items():
            before, after = (around or {}).get(name, (_nothing, _nothing))
            before()
            began_cpu, began_sys, began = time.thread_time(), _sys_time(), time.perf_counter()
            for _ in range(100):
                fn()
            cpu[name].append((time.thread_time() - began_cpu) * 1e4)
            sys_cpu[name].append((_sys_time() - began_sys) * 1e4)
            wall[name].append((time.perf_counter() - began) * 1e4)
            after()
    return {
        name: {
            "cpu": statistics.median(cpu[name]),
            "cpu_p95": pct(cpu[name], 0.95),
            "sys": statistics.median(sys_cpu[name]),
            "wall": statistics.median(wall[name]),
            "wall_p95": pct(wall[name], 0.95),
        }
        for name in paths
    }


def _nothing() -> None:
    return None


def main() -> None:
    import httpx2
    import openai

    import helicone_lite

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument(
        "--pause-writer",
        action="store_true",
        help="add an EMULATION path: the logged call with the log writer held idle per block",
    )
    args = parser.parse_args()

    def reply(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=REPLY_HEADERS, content=BODY)

    def transport() -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(reply))

    base = "http://127.0.0.1:9/v1"  # never connected to: the mock transport answers
    with tempfile.TemporaryDirectory() as home:
        raw = openai.OpenAI(
            api_key="sk-bench", base_url=base, max_retries=0, http_client=transport()
        )
        ours = helicone_lite.Client(
            api_key="sk-bench", base_url=base, home=home, http_client=transport()
        )
        limited = {**SESSION, "Helicone-RateLimit-Policy": "1000000;w=60"}
        cached = {**SESSION, "Helicone-Cache-Enabled": "true"}

        def call(client: openai.OpenAI, headers: dict[str, str] | None) -> Callable[[], object]:
            return lambda: client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )

        paths = {
            "raw openai": call(raw, None),
            "logged (session + 2 properties)": call(ours, SESSION),
            "logged + 1 local rate-limit policy": call(ours, limited),
            "cache hit": call(ours, cached),
        }
        around: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {}
        if args.pause_writer:
            name = "EMULATION: logged, writer held idle"
            paths[name] = paths["logged (session + 2 properties)"]
            writer = ours.store._writer  # pause_for_fork holds it between batches
            around[name] = (lambda: writer.pause_for_fork(5.0), writer.resume_after_fork)
        for fn in paths.values():  # warm: connections, imports, the price table, the cache
            for _ in range(30):
                fn()
        ours.flush()
        figures = measure(paths, args.calls, around)
        ours.flush()
        logged = ours.store.query("SELECT COUNT(*) AS n FROM requests")[0]["n"]
        ours.close()
    base_fig = figures["raw openai"]
    print(
        f"caller-thread CPU and wall time per call, µs ({args.calls} calls a path, blocks of 100)"
    )
    print(
        f"  {'path':<38}{'CPU':>8}{'p95':>8}{'+raw':>8}{'sys':>6}{'wall':>9}{'p95':>9}{'+raw':>8}"
    )
    for name, fig in figures.items():
        print(
            f"  {name:<38}{fig['cpu']:>8.0f}{fig['cpu_p95']:>8.0f}"
            f"{fig['cpu'] - base_fig['cpu']:>8.0f}{fig['sys']:>6.0f}"
            f"{fig['wall']:>9.0f}{fig['wall_p95']:>9.0f}{fig['wall'] - base_fig['wall']:>8.0f}"
        )
    expected = (len(paths) - 1) * (args.calls // 100) * 100 + 30 * (len(paths) - 1)
    print(f"  rows logged: {logged} (expected {expected})")


if __name__ == "__main__":
    main()
