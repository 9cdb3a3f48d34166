"""Added time per call of ``helicone_lite.AsyncClient`` over raw ``openai.AsyncOpenAI`` with
N concurrent tasks (issue 12, item 5).

A *block* is one round of ``--tasks`` concurrent calls (100 calls) of one kind; the kinds take
turns, round after round. Per block it records the wall time per call (round time / tasks:
with 100 calls in flight, one call's own latency is mostly waiting for the other 99, so the
round's throughput is the figure that adds up), the process CPU per call, and each call's
latency. After each helicone_lite round the log is flushed, *inside* that round's CPU figure
but outside its wall figure: the writer's work is charged to the calls that caused it and
does not spill into the next raw round.

The fake provider runs in **another process** by default (``helicone-lite fake-provider``):
with 100 connections its server threads would otherwise compete with the event loop for this
process's GIL, which is neither what a real provider does nor part of helicone_lite's cost
(that is also why the in-process run timed out on a loaded machine). Every call has a
timeout and the run a deadline, so it ends in bounded time whatever the load.

    python benchmarks/bench_async.py --tasks 100 --rounds 20 [--in-process] [--deadline 300]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this tree's helicone_lite

from _blocks import HEADERS, MESSAGES, fake_provider, pct

CALL_TIMEOUT = 30.0


async def _round(client: Any, tasks: int, headers: dict[str, str] | None) -> list[float]:
    async def one() -> float:
        began = time.perf_counter()
        if headers is None:
            await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        else:
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )
        return (time.perf_counter() - began) * 1e3

    return list(await asyncio.gather(*(one() for _ in range(tasks))))


async def _measure(base_url: str, home: str, args: argparse.Namespace) -> dict[str, Any]:
    import openai

    import helicone_lite

    common: dict[str, Any] = {"api_key": "sk-bench", "base_url": base_url, "max_retries": 0}
    raw = openai.AsyncOpenAI(timeout=CALL_TIMEOUT, **common)
    ours = helicone_lite.AsyncClient(timeout=CALL_TIMEOUT, home=home, **common)
    clients = {"raw": (raw, None), "ours": (ours, HEADERS)}
    out: dict[str, Any] = {k: {"wall": [], "cpu": [], "loop": [], "latency": []} for k in clients}
    writer: list[float] = []
    deadline = time.monotonic() + args.deadline
    rounds = 0
    try:
        for n in range(args.rounds + 2):  # two warm-up rounds: connections, imports
            if time.monotonic() > deadline:
                out["stopped"] = f"deadline after {rounds} rounds"
                break
            for kind, (client, headers) in clients.items():
                cpu0, wall0 = time.process_time(), time.perf_counter()
                loop0, writer0 = time.thread_time(), writer_cpu(ours)
                latency = await asyncio.wait_for(
                    _round(client, args.tasks, headers), CALL_TIMEOUT * 2
                )
                wall = time.perf_counter() - wall0
                if kind == "ours":
                    await asyncio.to_thread(ours.flush)
                cpu = time.process_time() - cpu0
                loop, written = time.thread_time() - loop0, writer_cpu(ours) - writer0
                if n >= 2:
                    out[kind]["loop"].append(loop / args.tasks * 1e3)
                    if kind == "ours":
                        writer.append(written / args.tasks * 1e3)
                    out[kind]["wall"].append(wall / args.tasks * 1e3)
                    out[kind]["cpu"].append(cpu / args.tasks * 1e3)
                    out[kind]["latency"].extend(latency)
            rounds += n >= 2
        out["rounds"], out["writer"] = rounds, writer
        out["stats"] = ours.store.stats()
        out["logged"] = ours.store.query("SELECT COUNT(*) AS n FROM requests")[0]["n"]
    finally:
        await raw.close()
        await ours.close()
    return out


def writer_cpu(client: Any) -> float:
    """CPU seconds of the store's writer thread so far (benchmark only: a private peek)."""
    thread = client.store._writer._thread
    if thread is None or thread.ident is None:
        return 0.0
    return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))


def run(args: argparse.Namespace) -> dict[str, Any]:
    with fake_provider(args.in_process) as url, tempfile.TemporaryDirectory() as home:
        return asyncio.run(_measure(url, home, args))


def report(args: argparse.Namespace, out: dict[str, Any]) -> str:
    where = "in this process" if args.in_process else "in another process"
    lines = [
        f"async, {args.tasks} concurrent tasks, {out['rounds']} blocks (rounds) of each kind, "
        f"fake provider {where}; load average {os.getloadavg()[0]:.1f}",
        f"  {'ms per call':<34}{'raw median':>11}{'ours median':>12}{'added':>9}"
        f"{'raw p95':>9}{'ours p95':>9}",
    ]
    for key, label in (
        ("wall", "wall (round time / tasks)"),
        ("cpu", "process CPU (incl. the log writer)"),
        ("loop", "event-loop thread CPU"),
        ("latency", "one call's latency (queued)"),
    ):
        r, o = out["raw"][key], out["ours"][key]
        rm, om = statistics.median(r), statistics.median(o)
        lines.append(
            f"  {label:<34}{rm:>11.3f}{om:>12.3f}{om - rm:>9.3f}{pct(r, 0.95):>9.3f}"
            f"{pct(o, 0.95):>9.3f}"
        )
    if out["writer"]:
        lines.append(
            f"  {'log writer thread CPU (ours)':<34}{'':>11}"
            f"{statistics.median(out['writer']):>12.3f}"
        )
    expected = (out["rounds"] + 2) * args.tasks
    lines.append(
        f"  rows logged {out['logged']:,} of {expected:,}; dropped {out['stats']['dropped']}"
        + (f"; stopped early: {out['stopped']}" if "stopped" in out else "")
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20, help="blocks of each kind")
    parser.add_argument("--deadline", type=float, default=300.0, help="seconds; then stop")
    parser.add_argument(
        "--in-process", action="store_true", help="the fake provider in this process"
    )
    args = parser.parse_args(argv)
    print(report(args, run(args)))


if __name__ == "__main__":
    main()
