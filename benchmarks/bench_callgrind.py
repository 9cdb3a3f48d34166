"""A logged call's added work over raw openai, in instructions and simulated cache misses: the
same figures whatever the machine's load (issue 12 item 1).

Runs this file twice under ``valgrind --tool=callgrind --cache-sim=yes`` (the simulated
last-level cache sized as this host's per-core L2, 1 MiB), instrumentation switched on only
for the measured loop (``callgrind_control -i on``): N rounds of (one raw openai call, then
X), where X is a second raw client's call with the session headers (run A) or helicone_lite's
logged call with a session and two properties (run B). Both answer from an in-process
``httpx2.MockTransport`` (bench_hotpath's body); the log writer is held idle and the garbage
collector off inside the loop, so neither the writer's work nor a collection's timing enters
the counts. Printed per call: (B - A) / N for each event: what the logged call adds over the
raw call on the caller's thread, with the raw call right before it evicting the caches as in
a real program. ``PYTHONHASHSEED=0``; two runs of the same tree agree within ~0.5 %.

Events: Ir instructions; I1mr / D1mr / D1mw first-level instruction and data read / write
misses; ILmr / DLmr / DLmw misses of the simulated 1 MiB cache (what then comes from L3).

    python benchmarks/bench_callgrind.py [--calls 60]
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench_hotpath import BODY, MESSAGES, REPLY_HEADERS, SESSION

BASE = "http://127.0.0.1:9/v1"
EVENTS = ("Ir", "I1mr", "D1mr", "D1mw", "ILmr", "DLmr", "DLmw")


def _transport() -> Any:
    import httpx2

    reply = httpx2.Response(200, headers=REPLY_HEADERS, content=BODY)
    return httpx2.Client(transport=httpx2.MockTransport(lambda _: reply))


def worker(mode: str, calls: int) -> None:
    """The measured process (under valgrind): ``calls`` rounds of (raw call, X)."""
    import openai

    import helicone_lite

    kw: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
    raw = openai.OpenAI(api_key="sk-bench", base_url=BASE, max_retries=0, http_client=_transport())
    raw2 = openai.OpenAI(api_key="sk-bench", base_url=BASE, max_retries=0, http_client=_transport())
    home = tempfile.mkdtemp()
    ours = helicone_lite.Client(
        api_key="sk-bench", base_url=BASE, home=home, http_client=_transport()
    )
    for _ in range(30):  # warm every path, then write what they logged
        raw.chat.completions.create(**kw)
        raw2.chat.completions.create(**kw, extra_headers=SESSION)
        ours.chat.completions.create(**kw, extra_headers=SESSION)
    ours.flush()
    ours.store._writer.pause_for_fork(5.0)  # rows queue; never written (the process exits)
    gc.collect()
    gc.disable()

    def second() -> object:
        if mode == "A":
            return raw2.chat.completions.create(**kw, extra_headers=SESSION)
        return ours.chat.completions.create(**kw, extra_headers=SESSION)

    def instrument(flag: str) -> None:
        subprocess.run(
            ["callgrind_control", "-i", flag, str(os.getpid())],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        for _ in range(3):  # the request lands at a later basic block: same work either way
            raw.chat.completions.create(**kw)

    instrument("on")
    for _ in range(calls):
        raw.chat.completions.create(**kw)
        second()
    instrument("off")
    os._exit(0)  # no exit drain: the queued rows stay out of the counts


def _run(mode: str, calls: int, out: Path) -> dict[str, int]:
    here = Path(__file__).resolve()
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--cache-sim=yes",
        "--LL=1048576,16,64",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(here),
        "--worker",
        mode,
        "--calls",
        str(calls),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    subprocess.run(command, env=env, check=True, capture_output=True)
    events: list[str] = []
    totals: list[int] = []
    for line in out.read_text().splitlines():
        if line.startswith("events:"):
            events = line.split()[1:]
        elif line.startswith("totals:"):
            totals = [int(v) for v in line.split()[1:]]
    return dict(zip(events, totals, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--worker", choices=("A", "B"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.calls)
        return
    with tempfile.TemporaryDirectory() as tmp:
        a = _run("A", args.calls, Path(tmp) / "a.out")
        b = _run("B", args.calls, Path(tmp) / "b.out")
    print(f"per call, logged call (session + 2 properties) minus raw openai, n={args.calls}")
    for event in EVENTS:
        print(f"  {event:<5} {(b[event] - a[event]) / args.calls:>10,.0f}")


if __name__ == "__main__":
    main()
