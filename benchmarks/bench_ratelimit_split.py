"""Where a local rate-limit policy's cost goes: the user id, the layer, the bucket decision.

One process, one client, the built-in fake provider on loopback; every call is
bench_overhead's (a session and two properties, ``max_tokens``). Paths, in blocks of 100
whose order is shuffled every round (a path never always follows the same one):

* ``none`` / ``none + user id``: no policy, without and with ``Helicone-User-Id``;
* ``user policy`` / ``global policy``: ``1000000000;w=60;s=user`` (with the user id) and
  ``1000000000;w=60``, on the real local store;
* the same two with the store's ``take`` answered at once (``stub store``): what the layer
  costs the caller without the SQLite decision.

Prints per path the calling thread's own CPU and the process CPU (every thread; the log is
flushed after each block, inside it) per call, each as the median over rounds of its
difference to ``none`` in the same round (so slow drifts of the machine's load cancel), and
the caller-thread CPU of the real ``take`` calls themselves. Timing only: the stub exists in
this script, never in the library or its tests.

    python benchmarks/bench_ratelimit_split.py [--calls 4000]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from _blocks import HEADERS, MESSAGES

USER = {"Helicone-User-Id": "u"}
BY_USER = {"Helicone-RateLimit-Policy": "1000000000;w=60;s=user", **USER}
GLOBAL = {"Helicone-RateLimit-Policy": "1000000000;w=60"}
#: path -> (extra headers, whether the store's take is stubbed)
PATHS: dict[str, tuple[dict[str, str], bool]] = {
    "none": ({}, False),
    "none + user id": (USER, False),
    "user policy": (BY_USER, False),
    "user policy, stub store": (BY_USER, True),
    "global policy": (GLOBAL, False),
    "global policy, stub store": (GLOBAL, True),
}


class _Takes:
    """Wraps ``LocalBuckets.take``: times the real one, or answers "admitted" at once."""

    def __init__(self) -> None:
        from helicone_lite.ratelimit import Decision, LocalBuckets

        self.stub = False
        self.micros: list[float] = []
        real = LocalBuckets.take
        admitted = Decision(True, (5.0,))

        def take(store: Any, buckets: Sequence[Any], now: float) -> Any:
            if self.stub:
                return admitted
            began = time.thread_time()
            try:
                return real(store, buckets, now)
            finally:
                self.micros.append((time.thread_time() - began) * 1e6)

        LocalBuckets.take = take  # type: ignore[method-assign,assignment]


def run(calls: int) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float]]:
    import helicone_lite
    from helicone_lite.testing import FakeProvider

    takes = _Takes()
    caller: dict[str, list[float]] = {name: [] for name in PATHS}
    process: dict[str, list[float]] = {name: [] for name in PATHS}
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        client = helicone_lite.Client(api_key="sk-bench", base_url=fake.openai_base_url, home=home)
        fns = {name: _call(client, headers) for name, (headers, _) in PATHS.items()}
        for _ in range(30):  # warm every path
            for name, fn in fns.items():
                takes.stub = PATHS[name][1]
                fn()
        client.flush()
        takes.micros.clear()
        order = list(PATHS)
        rng = random.Random(1)
        for _ in range(max(1, calls // 100)):
            rng.shuffle(order)
            for name in order:
                takes.stub, fn = PATHS[name][1], fns[name]
                own, cpu = time.thread_time(), time.process_time()
                for _ in range(100):
                    fn()
                caller[name].append((time.thread_time() - own) * 1e4)
                client.flush()
                process[name].append((time.process_time() - cpu) * 1e4)
        client.close()
    return caller, process, takes.micros


def _call(client: Any, headers: dict[str, str]) -> Callable[[], object]:
    merged = {**HEADERS, **headers}
    return lambda: client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, max_tokens=100, extra_headers=merged
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=4000)
    args = parser.parse_args()
    caller, process, takes = run(args.calls)
    print(
        f"{args.calls} calls a path in shuffled blocks of 100 (load {os.getloadavg()[0]:.1f}); "
        "µs a call; (+x): median over rounds of the difference to 'none' in the same round"
    )
    for name in PATHS:
        own = [a - b for a, b in zip(caller[name], caller["none"], strict=True)]
        every = [a - b for a, b in zip(process[name], process["none"], strict=True)]
        print(
            f"  {name:<28} caller thread {statistics.median(caller[name]):6.0f} "
            f"({statistics.median(own):+5.0f})   process {statistics.median(process[name]):6.0f} "
            f"({statistics.median(every):+5.0f})"
        )
    print(
        f"the real take() inside those calls, caller-thread CPU: mean {statistics.fmean(takes):.0f}"
        f" µs, median {statistics.median(takes):.0f} µs ({len(takes)} decisions)"
    )


if __name__ == "__main__":
    main()
