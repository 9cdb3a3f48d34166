"""Added time of a call carrying a rate-limit policy, on the local SQLite store and on Redis.

One process against the built-in fake provider on loopback (in another process, as a real
provider is; ``--in-process`` for the old setup, see bench_overhead.py); raw openai calls, helicone_lite calls
without a policy and with one take turns in blocks of 100 (_blocks.py), every helicone_lite
call the same as bench_overhead's (a session and two properties; ``max_tokens`` on all), and
every client's log is flushed after each block (inside that block's CPU figure), so each
path pays for its own rows. Prints wall medians, p95, process CPU per call (every thread) and
the caller thread's own CPU against the raw SDK, and the bucket stores' own cost per decision.

A policy segmented by user (``s=user``) needs a user id on the call, which costs something of
its own (a ``user_id`` in the row, the writer's per-user rollup); the "policy" columns take
each policy path against the no-policy path with the same user id or none, so they show the
policy's own cost. Redis needs ``redis-server`` on the PATH (started here on a free port) or
``--redis-url``.

    python benchmarks/bench_ratelimit.py [--calls 1000] [--redis-url redis://… | --no-redis]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

from _blocks import HEADERS, MESSAGES, blocks, fake_provider, pct

USER = {"Helicone-User-Id": "u"}
POLICIES = {
    "request (global)": {"Helicone-RateLimit-Policy": "1000000000;w=60"},
    "request": {"Helicone-RateLimit-Policy": "1000000000;w=60;s=user", "Helicone-User-Id": "u"},
    "cents": {"Helicone-RateLimit-Policy": "1000000000;w=60;u=cents"},
    "request+cents": {
        "Helicone-RateLimit-Policy": "1000000000;w=60;s=user, 1000000000;w=60;u=cents",
        "Helicone-User-Id": "u",
    },
}


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


@contextmanager
def redis_server(url: str | None) -> Iterator[str | None]:
    """The given URL, or a throwaway redis-server on a free port, or None without one."""
    if url or shutil.which("redis-server") is None:
        yield url
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    workdir = tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import redis

    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(500):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.01)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def bench_calls(
    calls: int, redis_url: str | None, in_process: bool = False
) -> dict[str, dict[str, list[float]]]:
    """Per path: wall ms per call ("wall"); process CPU ("cpu") and the calling thread's CPU
    ("caller"), ms per call of each block."""
    import openai

    import helicone_lite

    with fake_provider(in_process) as base_url, tempfile.TemporaryDirectory() as home:
        raw = openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
        local = helicone_lite.Client(api_key="sk-bench", base_url=base_url, home=home)
        paths: dict[str, Callable[[], object]] = {
            "raw openai": lambda: raw.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES
            ),
            "helicone_lite, no policy": _call(local, {}),
            "helicone_lite, no policy, user id": _call(local, USER),
        }
        clients: dict[str, Any] = {"local": local}
        if redis_url:
            clients["redis"] = helicone_lite.Client(
                api_key="sk-bench", base_url=base_url, home=home, redis_url=redis_url
            )
        for store, client in clients.items():
            for unit, headers in POLICIES.items():
                paths[f"{unit} policy, {store}"] = _call(client, headers)
        for _ in range(50):  # warm every path: connections, imports, price lookups
            for fn in paths.values():
                fn()

        def drain() -> None:
            for client in clients.values():
                client.flush()

        drain()
        cpu: dict[str, list[float]] = {}
        caller: dict[str, list[float]] = {}
        times = blocks(paths, calls, cpu=cpu, drain=drain, caller=caller)
        for client in clients.values():
            client.close()
    return {"wall": times, "cpu": cpu, "caller": caller}


def baseline(name: str) -> str | None:
    """The no-policy path a policy path is measured against: the one with the same user id."""
    for unit, headers in POLICIES.items():
        if name.startswith(f"{unit} policy, "):
            user = "Helicone-User-Id" in headers
            return "helicone_lite, no policy, user id" if user else "helicone_lite, no policy"
    return None


def _call(client: Any, headers: dict[str, str]) -> Callable[[], object]:
    merged = {**HEADERS, **headers}
    return lambda: client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=100, extra_headers=merged
    )


def bench_stores(decisions: int, redis_url: str | None) -> dict[str, float]:
    """Microseconds per take() and per take()+adjust() of one bucket, straight on the store."""
    from helicone_lite.options._values import parse_policies
    from helicone_lite.ratelimit import Bucket, LocalBuckets

    [policy] = parse_policies("1000000000;w=60;u=cents")
    bucket = Bucket.of(policy, ("", ""), policy.normalised(), 1.0)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as home:
        stores: dict[str, Any] = {
            "local": LocalBuckets(__import__("pathlib").Path(home) / "ratelimit.slots")
        }
        if redis_url:
            from helicone_lite.ratelimit._redis import RedisBuckets

            stores["redis"] = RedisBuckets(redis_url)
        for name, store in stores.items():
            store.take([bucket], time.time())
            start = time.perf_counter()
            for _ in range(decisions):
                store.take([bucket], time.time())
            out[f"{name} take"] = (time.perf_counter() - start) / decisions * 1e6
            start = time.perf_counter()
            for _ in range(decisions):
                store.take([bucket], time.time())
                store.adjust([(bucket, -0.5)], time.time())
            out[f"{name} take+settle"] = (time.perf_counter() - start) / decisions * 1e6
            out[f"{name} take, cold caches"] = _cold_take(store, bucket, decisions)
            store.close()
    return out


def _cold_take(store: Any, bucket: Any, decisions: int) -> float:
    """Median µs of one take() after 8 MiB of other memory was written (outside the timing):
    a decision inside a real call finds the caches full of the HTTP stack's and the SDK's
    data, which a tight loop of decisions never does."""
    junk = bytearray(8 << 20)
    zeros = bytes(len(junk[::64]))
    samples = []
    for _ in range(decisions):
        junk[::64] = zeros
        start = time.perf_counter()
        store.take([bucket], time.time())
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument("--no-redis", action="store_true", help="the local store only")
    parser.add_argument(
        "--in-process", action="store_true", help="the fake provider in this process"
    )
    args = parser.parse_args()
    with redis_server(args.redis_url) if not args.no_redis else nullcontext() as url:
        measured = bench_calls(args.calls, url, args.in_process)
        stores = bench_stores(max(200, args.calls), url)
    medians = {
        kind: {name: statistics.median(v) * 1000 for name, v in samples.items()}
        for kind, samples in measured.items()
    }
    where = "in this process" if args.in_process else "in another process"
    print(
        f"per call, {args.calls} a path in blocks of 100 (fake provider on loopback {where}; "
        f"session + 2 properties; load {os.getloadavg()[0]:.1f})"
    )
    print(
        "  wall: median and p95 ms, added µs; CPU: µs a call, every thread; caller: µs a call, "
        "the calling thread's own CPU; +raw: added to the raw SDK; policy: added to the same "
        "call without the policy (with the same user id or none)"
    )
    print(
        f"  {'path':<36}{'median':>8}{'p95':>7}{'+raw':>6}{'policy':>7}"
        f"{'CPU':>6}{'+raw':>6}{'policy':>7}{'caller':>7}{'+raw':>6}{'policy':>7}"
    )
    for name, samples in measured["wall"].items():
        base = baseline(name)
        row = f"  {name:<36}{medians['wall'][name] / 1000:>8.3f}{pct(samples, 0.95):>7.3f}"
        for kind in ("wall", "cpu", "caller"):
            value, values = medians[kind][name], medians[kind]
            if kind != "wall":
                row += f"{value:>6.0f}" if kind == "cpu" else f"{value:>7.0f}"
            row += f"{value - values['raw openai']:>6.0f}"
            row += f"{value - values[base]:>7.0f}" if base else f"{'':>7}"
        print(row)
    if url is None:
        print("  (no redis-server found: Redis rows skipped)")
    print("bucket store alone, one bucket, per decision (tight loops; cold: median of one)")
    for name, micros in stores.items():
        print(f"  {name:<20} {micros:>8.1f} µs")


if __name__ == "__main__":
    main()
