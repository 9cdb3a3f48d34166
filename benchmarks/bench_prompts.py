"""What the prompts layer adds per call, measured in process (no HTTP), in microseconds.

Three paths: a call without a prompt (the layer's fast check), a call that brings its own
messages under ``Helicone-Prompt-Id`` (the seed's examples: hash + in-memory cache, no database
access), and a registry prompt (one SQLite read for the environment pointer + rendering a
cached compiled template). Also prints the end-to-end median of a call with and without the
prompt header against the fake provider, as a ratio.

    python benchmarks/bench_prompts.py [--calls 5000]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

MESSAGES = [
    {"role": "system", "content": "You are a medical triage assistant. Classify urgency."},
    {"role": "user", "content": "Patient symptoms: chest pain"},
]


def per_call_us(fn: Callable[[], object], calls: int) -> float:
    for _ in range(200):
        fn()
    samples = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def layer_costs(client: Any, calls: int) -> dict[str, float]:
    from helicone_lite.prompts._layer import Prompts

    layer = next(x for x in client._helicone_runtime.stack if isinstance(x, Prompts))

    def build(**kwargs: Any) -> Any:
        request = {"extra_headers": kwargs.pop("headers", {})}
        return client._helicone_build(
            "chat.completions", kwargs, kwargs.pop("helicone", None), request
        )

    plain = build(model="gpt-4o-mini", messages=MESSAGES)
    auto = build(
        model="gpt-4o-mini",
        messages=MESSAGES,
        headers={"Helicone-Prompt-Id": "triage-classifier-v1"},
    )
    client.prompts.create(
        "triage",
        messages=[{"role": "system", "content": "Triage for {{hc:department:string}}. {{ note }}"}],
        model="gpt-4o-mini",
    )
    client.prompts.deploy("triage", 1)
    managed = build(
        messages=MESSAGES[1:],
        headers={"Helicone-Prompt-Id": "triage"},
        helicone={"prompt_inputs": {"department": "cardiology", "note": "Be brief."}},
    )

    def first_effect(call: Any) -> Callable[[], object]:
        return lambda: next(layer.handle(call))

    return {
        "no prompt": per_call_us(first_effect(plain), calls),
        "own messages (recorded, cached)": per_call_us(first_effect(auto), calls),
        "registry prompt (read + render)": per_call_us(first_effect(managed), calls),
    }


def end_to_end(client: Any, calls: int) -> dict[str, float]:
    headers = {"Helicone-Prompt-Id": "triage-classifier-v1"}
    timings: dict[str, list[float]] = {"without": [], "with": []}
    for _ in range(calls // 10):
        for name, extra in (("without", {}), ("with", headers)):
            start = time.perf_counter()
            client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=extra
            )
            timings[name].append((time.perf_counter() - start) * 1e3)
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    args = parser.parse_args()
    import helicone_lite
    from helicone_lite.testing import FakeProvider

    with FakeProvider() as fake, tempfile.TemporaryDirectory() as home:
        client = helicone_lite.Client(api_key="sk-bench", base_url=fake.openai_base_url, home=home)
        for name, micros in layer_costs(client, args.calls).items():
            print(f"prompts layer, {name:<34} {micros:8.1f} µs")
        e2e = end_to_end(client, args.calls)
        print(
            f"end to end median: {e2e['without']:.3f} ms without, {e2e['with']:.3f} ms with "
            f"Helicone-Prompt-Id (ratio {e2e['with'] / e2e['without']:.3f})"
        )
        client.close()


if __name__ == "__main__":
    main()
