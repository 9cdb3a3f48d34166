"""Buckets: a HIT only when all N slots are filled, a uniformly random slot, atomic fills."""

from __future__ import annotations

import random
import threading
from collections import Counter
from pathlib import Path

import pytest

from helicone_lite.testing import FakeProvider, Reply
from tests.processes import forkserver, process

from . import _workers
from .conftest import CACHE, Clock, MakeClient, ask, rows, status


def bucket(size: int, **extra: str) -> dict[str, str]:
    return {**CACHE, "Helicone-Cache-Bucket-Max-Size": str(size), **extra}


def test_first_n_calls_fill_the_bucket_then_hits(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    fake.enqueue(Reply(text="A"), Reply(text="B"), Reply(text="C"))
    first = [ask(client, extra_headers=bucket(3)) for _ in range(3)]
    assert [status(r) for r in first] == ["MISS"] * 3
    assert [r.choices[0].message.content for r in first] == ["A", "B", "C"]
    assert [r["cache_bucket_idx"] for r in rows(client)] == [0, 1, 2]  # the lowest empty slot
    later = [ask(client, extra_headers=bucket(3)) for _ in range(30)]
    assert {status(r) for r in later} == {"HIT"}
    assert fake.calls() == 3
    by_slot = {"0": "A", "1": "B", "2": "C"}
    for r in later:
        assert r.choices[0].message.content == by_slot[r.headers["Helicone-Cache-Bucket-Idx"]]


def test_the_slot_is_drawn_from_the_client_rng(make_client: MakeClient) -> None:
    filler = make_client()
    for _ in range(4):
        ask(filler, extra_headers=bucket(4))
    reader = make_client(rng=random.Random(99))
    drawn = [
        int(ask(reader, extra_headers=bucket(4)).headers["Helicone-Cache-Bucket-Idx"])
        for _ in range(40)
    ]
    expected = random.Random(99)
    assert drawn == [expected.randrange(4) for _ in range(40)]


def test_the_choice_is_uniform(make_client: MakeClient) -> None:
    client = make_client(rng=random.Random(5))
    for _ in range(3):
        ask(client, extra_headers=bucket(3))
    counts = Counter(
        ask(client, extra_headers=bucket(3)).headers["Helicone-Cache-Bucket-Idx"]
        for _ in range(600)
    )
    assert set(counts) == {"0", "1", "2"}
    assert all(150 <= n <= 250 for n in counts.values()), counts  # 200 each, ±7 sigma


def test_an_expired_slot_is_refilled_first(
    make_client: MakeClient, fake: FakeProvider, clock: Clock
) -> None:
    client = make_client()
    fake.enqueue(Reply(text="A"), Reply(text="B"), Reply(text="C"), Reply(text="B2"))
    ask(client, extra_headers=bucket(3, **{"Cache-Control": "max-age=1000"}))
    ask(client, extra_headers=bucket(3, **{"Cache-Control": "max-age=10"}))
    ask(client, extra_headers=bucket(3, **{"Cache-Control": "max-age=1000"}))
    assert status(ask(client, extra_headers=bucket(3))) == "HIT"
    clock.advance(20)  # slot 1 expired: the bucket is no longer full
    refill = ask(client, extra_headers=bucket(3))
    assert (status(refill), refill.choices[0].message.content) == ("MISS", "B2")
    assert rows(client)[-1]["cache_bucket_idx"] == 1
    answers = {ask(client, extra_headers=bucket(3)).choices[0].message.content for _ in range(40)}
    assert answers == {"A", "B2", "C"}


def test_a_bigger_bucket_extends_a_smaller_one(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    fake.enqueue(Reply(text="A"), Reply(text="B"))
    assert status(ask(client, extra_headers=bucket(1))) == "MISS"
    assert status(ask(client, extra_headers=bucket(2))) == "MISS"  # slot 1 still empty
    assert status(ask(client, extra_headers=bucket(2))) == "HIT"
    only = ask(client, extra_headers=bucket(1))
    assert (status(only), only.choices[0].message.content) == ("HIT", "A")
    assert fake.calls() == 2


def test_threads_filling_one_bucket_never_share_a_slot(make_client: MakeClient) -> None:
    client = make_client()
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(2):
                ask(client, extra_headers=bucket(20))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    _assert_bucket_consistent(client, size=20, calls=16)


@pytest.mark.parametrize(("size", "per_process"), [(20, 10), (4, 6)])
def test_two_processes_filling_one_bucket_never_lose_or_duplicate_a_slot(
    make_client: MakeClient,
    fake: FakeProvider,
    home: Path,
    redis_or_none: str | None,
    size: int,
    per_process: int,
) -> None:
    ctx = forkserver()
    barrier = ctx.Barrier(2)
    args = (fake.openai_base_url, str(home), redis_or_none, size, per_process, barrier)
    procs = [process(ctx, _workers.fill_bucket, args) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    client = make_client()
    _assert_bucket_consistent(client, size=size, calls=2 * per_process)


def _assert_bucket_consistent(client: object, *, size: int, calls: int) -> None:
    """Every filled slot was written by exactly one logged call, and no slot was overwritten."""
    logged = rows(client)
    assert len(logged) == calls
    savers = [
        r for r in logged if r["cache_status"] == "MISS" and r["cache_bucket_idx"] is not None
    ]
    indices = [r["cache_bucket_idx"] for r in savers]
    assert sorted(indices) == list(range(min(size, len(savers))))  # no duplicate, no gap
    assert len(savers) == min(size, calls)
    engine = next(
        layer for layer in client._helicone_runtime.stack if hasattr(layer, "engine")
    ).engine  # type: ignore[attr-defined]
    key = engine.plan(_call_for(client, size)).key
    blobs = engine.backend.slots(key)
    in_slots = {i: engine.read_slot(key, b).request_id for i, b in blobs.items()}
    assert in_slots == {r["cache_bucket_idx"]: r["id"] for r in savers}
    for r in logged:
        if r["cache_status"] == "HIT":
            assert r["cache_reference_id"] in in_slots.values()


def _call_for(client: object, size: int) -> object:
    from helicone_lite.pipeline._invoke import build_call

    runtime = client._helicone_runtime  # type: ignore[attr-defined]
    return build_call(
        runtime,
        client,
        client.helicone_defaults,  # type: ignore[attr-defined]
        "chat.completions",
        {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is diabetes?"}]},
        None,
        {"extra_headers": bucket(size)},
    )
