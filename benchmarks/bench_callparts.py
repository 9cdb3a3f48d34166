"""Where a logged call's own caller CPU goes: each part of it timed COLD and hot.

A part timed in a tight loop runs with warm caches; inside a real call it runs right after
openai's ~1 ms of SDK work, which has evicted them, and costs several times more. So each part
here is timed both ways, on the caller's thread (``time.thread_time``), µs per call:

* cold: each timing follows one raw openai call (untimed), as in a real call;
* hot: 100 in a row.

The parts are the pieces of ``Client.chat.completions.create`` for a logged call with a
session and two properties (issue 12's first budget), then for the same call with one local
rate-limit policy (the second budget: its ``build_call``, the whole stack, the rate-limit layer
driven alone and its bucket store's ``take``); both clients send through an in-process
``httpx2.MockTransport`` (as bench_hotpath.py). Medians over blocks of 100.

    python benchmarks/bench_callparts.py [--rounds 10]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from bench_hotpath import BODY, MESSAGES, REPLY_HEADERS, SESSION

#: one local policy (bench_hotpath's): never refuses
POLICY = "1000000000;w=60"


def _parts(ours: Any, kw: dict[str, Any]) -> dict[str, Callable[[], object]]:
    from helicone_lite._machinery import machinery
    from helicone_lite.pipeline import _invoke, _stack
    from helicone_lite.pipeline._call import Call, Result
    from helicone_lite.store._request_row import RequestCapture

    hot, runtime = machinery(), ours._helicone_runtime
    request = {"extra_headers": SESSION}
    call = ours._helicone_build("chat.completions", dict(kw), None, request)
    answer = hot.send_in_stack(call)
    recorder = runtime.stack[0]
    limited = {"extra_headers": {**SESSION, "Helicone-RateLimit-Policy": POLICY}}
    pcall = ours._helicone_build("chat.completions", dict(kw), None, limited)
    limiter = next(layer for layer in runtime.stack if type(layer).__name__ == "RateLimiter")
    # a u=request policy's bucket needs no estimate
    buckets = [limiter._bucket(pcall, p, None) for p in pcall.options.ratelimit_policy]
    clock = runtime.clock
    body = _invoke._normalise_params(kw)

    def canned(_: Call) -> Result:
        return Result(
            response=answer.response,
            provider_headers=answer.provider_headers,
            http=answer.http,
            wire=answer.wire,
        )

    return {
        "nothing (the timer)": lambda: None,
        "build_call, all of it": lambda: ours._helicone_build(
            "chat.completions", dict(kw), None, request
        ),
        "  check_open + origin": lambda: (runtime.check_open(), ours._helicone_origin()),
        "  params normalised": lambda: _invoke._normalise_params(kw),
        "  options (memo hit)": lambda: _invoke._options(
            runtime, ours._helicone_defaults, body, None, SESSION, None
        ),
        "  Call(...)": lambda: Call(
            id="x",
            kind="chat.completions",
            params=body,
            options=call.options,
            targets=call.targets,
            origin=ours,
            request={},
        ),
        "  request id (v7)": runtime.store.ids.new,
        "  provider key check": lambda: runtime.registry.check(call),
        "stack, terminal canned (layers, recorder)": lambda: hot.run_sync(
            runtime.stack, call, canned, runtime.settings.sleep
        ),
        "  skipped layers' wants": lambda: _stack._first_wanted(runtime.stack, call, 1),
        "  recorder: capture + queue": lambda: recorder.write(call, answer, 1.0, None, None),
        "  capture alone": lambda: RequestCapture(call, answer, 1.0, None, None, recorder._prices),
        "deliver (response + lazy headers)": lambda: hot.deliver(answer),
        "one local policy: build_call": lambda: ours._helicone_build(
            "chat.completions", dict(kw), None, limited
        ),
        "  stack, terminal canned": lambda: hot.run_sync(
            runtime.stack, pcall, canned, runtime.settings.sleep
        ),
        "  rate-limit layer alone": lambda: hot.run_sync(
            _stack.Stack([limiter]), pcall, canned, runtime.settings.sleep
        ),
        "    its store's take": lambda: limiter.buckets.take(buckets, clock()),
    }


def main() -> None:
    import httpx2
    import openai

    import helicone_lite

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    def transport() -> httpx2.Client:
        reply = httpx2.Response(200, headers=REPLY_HEADERS, content=BODY)
        return httpx2.Client(transport=httpx2.MockTransport(lambda _: reply))

    base = "http://127.0.0.1:9/v1"  # never connected to: the mock transport answers
    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    with tempfile.TemporaryDirectory() as home:
        raw = openai.OpenAI(
            api_key="sk-bench", base_url=base, max_retries=0, http_client=transport()
        )
        ours = helicone_lite.Client(
            api_key="sk-bench", base_url=base, home=home, http_client=transport()
        )

        def raw_call() -> object:
            return raw.chat.completions.create(**kw)

        parts = _parts(ours, kw)
        clock = time.thread_time

        def cold(part: Callable[[], object]) -> float:
            total = 0.0
            for _ in range(100):
                raw_call()
                began = clock()
                part()
                total += clock() - began
            return total * 1e4

        def warm(part: Callable[[], object]) -> float:
            began = clock()
            for _ in range(100):
                part()
            return (clock() - began) * 1e4

        figures: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in parts}
        for part in parts.values():
            cold(part)
        for _ in range(args.rounds):
            for name, part in parts.items():
                figures[name][0].append(cold(part))
                figures[name][1].append(warm(part))
            ours.flush()
        ours.close()
    timer = [statistics.median(values) for values in figures["nothing (the timer)"]]
    print(
        f"caller-thread CPU per call, µs, median of {args.rounds} blocks of 100 (timer taken off)"
    )
    print(f"  {'part':<46}{'cold':>8}{'hot':>8}")
    for name, (cold_us, hot_us) in figures.items():
        if name.startswith("nothing"):
            continue
        print(
            f"  {name:<46}{statistics.median(cold_us) - timer[0]:>8.1f}"
            f"{statistics.median(hot_us) - timer[1]:>8.1f}"
        )


if __name__ == "__main__":
    main()
