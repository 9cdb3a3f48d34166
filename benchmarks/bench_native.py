"""Added time of the native clients against their raw SDKs, on the same fake server in the
same process: ``helicone_lite.Anthropic`` vs ``anthropic.Anthropic`` (``messages.create``,
plain and streamed) and ``helicone_lite.Gemini`` vs ``genai.Client`` (``generate_content``).

Both sides make the same call; helicone_lite adds the request seam (Helicone headers taken
out), the stack and the log row. Calls are timed in interleaved blocks of 100 (see _blocks.py).
Prints medians, p95 and ratios.

    python benchmarks/bench_native.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from collections.abc import Callable
from typing import Any

from _blocks import blocks

HI = [{"role": "user", "content": "What is diabetes?"}]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def row(name: str, raw: list[float], ours: list[float]) -> None:
    raw_med, our_med = statistics.median(raw), statistics.median(ours)
    print(
        f"{name:<34} raw {raw_med:7.3f} ms  p95 {pct(raw, 0.95):7.3f}   "
        f"helicone_lite {our_med:7.3f} ms  p95 {pct(ours, 0.95):7.3f}   "
        f"added {our_med - raw_med:+7.3f} ms  ratio {our_med / raw_med:5.2f}x"
    )


def measure(
    raw: Callable[[], Any], ours: Callable[[], Any], calls: int
) -> tuple[list[float], list[float]]:
    for _ in range(50):  # warm both paths (connections, imports, price table)
        raw()
        ours()
    samples = blocks({"raw": raw, "ours": ours}, calls)
    return samples["raw"], samples["ours"]


def bench_anthropic(
    fake: Any, home: str, calls: int, stream: bool
) -> tuple[list[float], list[float]]:
    import anthropic

    import helicone_lite

    options = {"api_key": "sk-bench", "base_url": fake.anthropic_base_url, "max_retries": 0}
    raw, ours = anthropic.Anthropic(**options), helicone_lite.Anthropic(home=home, **options)

    def call(client: Any) -> Callable[[], Any]:
        def once() -> Any:
            result = client.messages.create(
                model="claude-sonnet-4-6", max_tokens=100, messages=HI, stream=stream
            )
            return list(result) if stream else result

        return once

    try:
        return measure(call(raw), call(ours), calls)
    finally:
        ours.close()


def bench_gemini(fake: Any, home: str, calls: int) -> tuple[list[float], list[float]]:
    from google import genai

    import helicone_lite

    http = {"base_url": fake.gemini_base_url}
    raw = genai.Client(api_key="bench", http_options=http)
    ours = helicone_lite.Gemini(api_key="bench", http_options=http, home=home)

    def call(client: Any) -> Callable[[], Any]:
        return lambda: client.models.generate_content(model="gemini-2.5-flash", contents="Hi")

    try:
        return measure(call(raw), call(ours), calls)
    finally:
        ours.close()


def main() -> None:
    from helicone_lite.testing import FakeProvider

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    calls = parser.parse_args().calls
    print(f"native clients vs their raw SDKs, {calls} calls each, loopback\n")
    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        row("anthropic messages.create", *bench_anthropic(fake, home, calls, stream=False))
        row("anthropic messages.create stream", *bench_anthropic(fake, home, calls // 2, True))
        row("gemini generate_content", *bench_gemini(fake, home, calls))


if __name__ == "__main__":
    main()
