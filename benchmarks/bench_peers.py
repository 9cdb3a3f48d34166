"""helicone_lite against its peers, per call, in the same run: raw openai, helicone_lite
(logging + session + 2 properties), Langfuse's openai drop-in, litellm.completion.

Peers are measured only when installed (``pip install langfuse litellm``; they are not
development dependencies) and skipped with a message otherwise. All talk to the built-in fake
provider on loopback, timed in blocks of 100 calls of one kind then the next (_blocks.py).
Langfuse is given a dead loopback host and no keys, so it never sends anything anywhere.

    nice -n -5 python benchmarks/bench_peers.py [--calls 1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
from collections.abc import Callable

from _blocks import HEADERS, MESSAGES, blocks, fake_provider, table


def peers(base_url: str, home: str) -> tuple[dict[str, Callable[[], object]], list[object]]:
    import openai

    import helicone_lite

    raw = openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
    ours = helicone_lite.Client(api_key="sk-bench", base_url=base_url, home=home)
    paths: dict[str, Callable[[], object]] = {
        "raw openai": lambda: raw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES),
        "helicone_lite": lambda: ours.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers=HEADERS
        ),
    }
    if importlib.util.find_spec("langfuse") is None:
        print("langfuse is not installed: skipped (pip install langfuse)")
    else:
        os.environ.setdefault("LANGFUSE_HOST", "http://127.0.0.1:9")
        from langfuse.openai import openai as lf_openai  # type: ignore[import-not-found]

        lf = lf_openai.OpenAI(api_key="sk-bench", base_url=base_url, max_retries=0)
        paths["langfuse drop-in"] = lambda: lf.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
    if importlib.util.find_spec("litellm") is None:
        print("litellm is not installed: skipped (pip install litellm)")
    else:
        import litellm  # type: ignore[import-not-found]

        paths["litellm.completion"] = lambda: litellm.completion(
            model="openai/gpt-4o-mini", messages=MESSAGES, api_base=base_url, api_key="sk-bench"
        )
    return paths, [ours]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument(
        "--in-process", action="store_true", help="the fake provider in this process"
    )
    args = parser.parse_args()

    with fake_provider(args.in_process) as base_url, tempfile.TemporaryDirectory() as home:
        paths, clients = peers(base_url, home)
        for _ in range(50):
            for fn in paths.values():
                fn()
        samples = blocks(paths, args.calls)
        for client in clients:
            client.close()  # type: ignore[attr-defined]
    where = "in this process" if args.in_process else "in another process"
    print(f"per call, {args.calls} calls each, blocks of 100 (fake provider on loopback {where})")
    print(table(samples, "raw openai"))


if __name__ == "__main__":
    main()
