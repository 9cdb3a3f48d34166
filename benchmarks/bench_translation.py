"""Added time of calling Claude through helicone_lite (OpenAI schema in and out) against the
raw anthropic SDK, on the same fake server in the same process.

Both sides make the same Messages API call; helicone_lite adds the OpenAI -> Anthropic request
translation, the Message -> ChatCompletion response translation, the stack and the log row.
A second row times the pure translation alone (no I/O). Raw and wrapped calls are interleaved
so both see the same machine state. Prints medians, p95 and ratios.

    python benchmarks/bench_translation.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

from _blocks import blocks

QUESTION = "What is diabetes?"
SYSTEM = "You are a careful medical assistant."
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look a term up",
        "parameters": {"type": "object", "properties": {"term": {"type": "string"}}},
    },
}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def row(name: str, raw: list[float], ours: list[float]) -> None:
    raw_med, our_med = statistics.median(raw), statistics.median(ours)
    print(
        f"{name:<34} raw {raw_med:7.3f} ms  p95 {pct(raw, 0.95):7.3f}   "
        f"helicone_lite {our_med:7.3f} ms  p95 {pct(ours, 0.95):7.3f}   "
        f"added {our_med - raw_med:+7.3f} ms  ratio {our_med / raw_med:5.2f}x"
    )


def bench_calls(calls: int, stream: bool) -> tuple[list[float], list[float]]:
    import anthropic

    import helicone_lite
    from helicone_lite.testing import FakeProvider

    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        raw = anthropic.Anthropic(
            api_key="sk-bench", base_url=fake.anthropic_base_url, max_retries=0
        )
        ours = helicone_lite.Client(
            api_key="sk-bench",
            base_url=fake.openai_base_url,
            home=home,
            providers=[
                {"name": "anthropic", "base_url": fake.anthropic_base_url, "api_key": "sk-bench"}
            ],
        )

        def raw_call() -> Any:
            result = raw.messages.create(
                model="claude-sonnet-4-6",
                max_tokens=4096,
                system=SYSTEM,
                messages=[{"role": "user", "content": QUESTION}],
                stream=stream,
            )
            return list(result) if stream else result

        def our_call() -> Any:
            result = ours.chat.completions.create(
                model="claude-sonnet-4-6",
                messages=[
                    {"role": "system", "content": SYSTEM},
                    {"role": "user", "content": QUESTION},
                ],
                stream=stream,
            )
            return list(result) if stream else result

        for _ in range(50):  # warm both paths (connections, imports, price table)
            raw_call()
            our_call()
        ours.flush()
        samples = blocks({"raw": raw_call, "ours": our_call}, calls)
        raw_t, our_t = samples["raw"], samples["ours"]
        ours.flush()
        return raw_t, our_t


def bench_pure(calls: int) -> tuple[list[float], list[float]]:
    """Request + response translation alone, against building the same request by hand."""
    import anthropic.types

    from helicone_lite.providers import _anthropic_translate as translate

    params = {
        "model": "claude-sonnet-4-6",
        "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": QUESTION}],
        "tools": [TOOL],
        "temperature": 0.3,
    }
    message = anthropic.types.Message.model_validate(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-6",
            "content": [{"type": "text", "text": "Diabetes is a chronic condition."}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 12, "output_tokens": 7},
        }
    )

    def by_hand() -> object:
        return {
            "model": "claude-sonnet-4-6",
            "max_tokens": 4096,
            "system": SYSTEM,
            "messages": [{"role": "user", "content": QUESTION}],
        }

    def translated() -> object:
        translate.request(params, "claude-sonnet-4-6")
        return translate.response(message, 0)

    for _ in range(200):
        by_hand()
        translated()
    return [timed(by_hand) for _ in range(calls)], [timed(translated) for _ in range(calls)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls
    print(f"Claude via helicone_lite vs the raw anthropic SDK, {calls} calls each, loopback\n")
    row("messages.create (non-stream)", *bench_calls(calls, stream=False))
    row("messages.create (stream)", *bench_calls(calls // 2, stream=True))
    raw, ours = bench_pure(calls * 5)
    print(
        f"{'pure translation (request+response)':<34} "
        f"median {statistics.median(ours) * 1000:7.1f} us  p95 {pct(ours, 0.95) * 1000:7.1f} us"
        f"  (building the dict by hand: {statistics.median(raw) * 1000:.1f} us)"
    )


if __name__ == "__main__":
    main()
