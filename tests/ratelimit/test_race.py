"""Exact under concurrency: processes x threads racing on one budget, locally and on Redis."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helicone_lite._cost import Usage, cost_usd
from helicone_lite.ratelimit import local_buckets
from helicone_lite.ratelimit._redis import RedisBuckets
from helicone_lite.testing import FakeProvider, Reply
from tests.processes import forkserver, process

from ._race import FROZEN, race
from .conftest import MESSAGES


def run_race(
    fake: FakeProvider,
    home: Path,
    redis_url: str | None,
    headers: dict[str, str],
    params: dict[str, Any],
    processes: int,
    threads: int,
    calls: int,
) -> int:
    ctx = forkserver()  # tests/processes.py: one clean, preloaded server forks the racers
    go, out = ctx.Event(), ctx.Queue()
    procs = [
        process(
            ctx,
            race,
            (
                fake.openai_base_url,
                str(home),
                redis_url,
                headers,
                params,
                threads,
                calls,
                go,
                out,
            ),
        )
        for _ in range(processes)
    ]
    for p in procs:
        p.start()
    go.set()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert all(isinstance(r, int) for r in results), results
    return sum(results)


def level(home: Path, redis_url: str | None) -> dict[str, float]:
    buckets = RedisBuckets(redis_url) if redis_url else local_buckets(home)
    return {s.policy: s.level(FROZEN) for s in buckets.states(FROZEN)}


def test_four_processes_eight_threads_admit_exactly_the_quota(
    fake: FakeProvider, home: Path, store: str | None
) -> None:
    fake.script("gpt-4o-mini", Reply(text="ok", latency=0.002))
    admitted = run_race(
        fake,
        home,
        store,
        {"Helicone-RateLimit-Policy": "50;w=3600"},
        {"model": "gpt-4o-mini", "messages": MESSAGES},
        processes=4,
        threads=8,
        calls=3,
    )
    assert admitted == 50
    assert fake.calls("gpt-4o-mini") == 50
    assert level(home, store) == {"50;w=3600": 0}


@pytest.mark.parametrize(
    ("completion", "max_tokens"),
    [
        (800, 1000),  # usage within the reservation: the bound is zero, never overspent
        (1500, 1000),  # the provider reports more than max_tokens: bounded by the excess
    ],
)
def test_cents_budget_under_sixteen_concurrent_callers(
    fake: FakeProvider, home: Path, store: str | None, completion: int, max_tokens: int
) -> None:
    quota = 10.0  # cents
    fake.script(
        "gpt-4o", Reply(text="ok", prompt_tokens=20, completion_tokens=completion, latency=0.01)
    )
    headers = {"Helicone-RateLimit-Policy": f"{quota:g};w=3600;u=cents"}
    params = {"model": "gpt-4o", "messages": MESSAGES, "max_tokens": max_tokens}
    admitted = run_race(fake, home, store, headers, params, processes=4, threads=4, calls=4)
    dollars = cost_usd("gpt-4o", "openai", Usage(prompt_tokens=20, completion_tokens=completion))
    assert dollars is not None
    per_call = dollars * 100
    spent = admitted * per_call
    # documented bound: overspend <= sum over calls in flight of (real cost - reservation)+;
    # the reservation covers the prompt's bound and max_tokens at gpt-4o's prices
    excess = max(0.0, (completion - max_tokens) * 10 / 1e6 * 100)
    assert spent <= quota + 16 * excess + 1e-9
    if excess == 0:
        assert spent <= quota
    assert spent >= quota / 2  # the race reached the edge of the budget
    assert fake.calls("gpt-4o") == admitted
    # every reservation was settled to the real cost, across processes
    assert level(home, store)[f"{quota:g};w=3600;u=cents"] == pytest.approx(quota - spent)
