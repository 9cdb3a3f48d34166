"""Backends: failures are misses reported once; size limits evict; stats and clear."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import diskcache
import pytest

from helicone_lite import Client
from helicone_lite.cache import DiskCacheBackend, RedisCacheBackend
from helicone_lite.cache._entry import Entry, Labels
from helicone_lite.testing import FakeProvider, Reply

from .conftest import CACHE, KEY, Clock, MakeClient, ask, rows, status


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "cache" in r.getMessage()
    ]


@pytest.fixture
def plain_client(fake: FakeProvider, home: Path, clock: Clock) -> Iterator[Callable[..., Client]]:
    """Clients whose backend the test chooses (these tests are not parametrized)."""
    made: list[Client] = []

    def make(**kwargs: Any) -> Client:
        made.append(
            Client(api_key=KEY, base_url=fake.openai_base_url, home=home, clock=clock, **kwargs)
        )
        return made[-1]

    yield make
    for c in made:
        c.close()


def test_redis_down_is_a_miss_reported_once(
    plain_client: Callable[..., Client], fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    client = plain_client(redis_url=f"redis://:hunter2@127.0.0.1:{_closed_port()}/0")
    answers = [ask(client) for _ in range(3)]
    assert [status(a) for a in answers] == ["MISS"] * 3
    assert all(a.choices[0].message.content for a in answers)
    assert fake.calls() == 3
    warned = _warnings(caplog)
    assert len(warned) == 1 and "lookup failed" in warned[0]
    assert "hunter2" not in warned[0] and "***" in warned[0]
    assert [r["status"] for r in rows(client)] == [200, 200, 200]


def test_an_unusable_cache_directory_is_a_miss(
    plain_client: Callable[..., Client], home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "cache").write_text("not a directory")
    client = plain_client()
    assert [status(ask(client)) for _ in range(2)] == ["MISS", "MISS"]
    assert len(_warnings(caplog)) == 1


def test_a_full_disk_loses_saves_not_calls(
    plain_client: Callable[..., Client],
    fake: FakeProvider,
    home: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # diskcache re-applies stored ``sqlite_*`` settings on every connection: the database may
    # not grow past its current pages, so the first save fails with SQLITE_FULL.
    directory = home / "cache"
    with diskcache.Cache(str(directory)) as fresh:
        pages = fresh._sql("PRAGMA page_count").fetchone()[0]
    diskcache.Cache(str(directory), sqlite_max_page_count=pages).close()
    fake.script("gpt-4o-mini", Reply(text="x" * 20_000))  # stored inside the database
    client = plain_client()
    answers = [ask(client) for _ in range(3)]
    assert [status(a) for a in answers] == ["MISS"] * 3
    assert fake.calls() == 3
    warned = _warnings(caplog)
    assert len(warned) == 1 and "save failed" in warned[0] and "full" in warned[0]


def test_the_size_limit_evicts_the_oldest(
    plain_client: Callable[..., Client], fake: FakeProvider, home: Path
) -> None:
    fake.script("gpt-4o-mini", Reply(text="y" * 4000))
    client = plain_client(cache_size_limit=150_000)
    for i in range(120):
        ask(client, f"question {i}")
    cache = diskcache.Cache(str(home / "cache"))
    assert 0 < len(cache) < 120
    assert cache.volume() < 400_000
    assert status(ask(client, "question 119")) == "HIT"
    assert status(ask(client, "question 0")) == "MISS"


def test_a_corrupt_entry_is_a_miss(
    make_client: MakeClient, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    ask(client)
    engine = next(
        layer for layer in client._helicone_runtime.stack if hasattr(layer, "engine")
    ).engine  # type: ignore[attr-defined]
    backend = engine.backend
    [key] = _keys(backend)
    backend.clear()
    backend.fill(key, 1, 0.0, b"garbage without a header", 4e9, Labels(None, "gpt-4o-mini"))
    assert status(ask(client)) == "MISS"
    assert len(_warnings(caplog)) == 1


def _keys(backend: object) -> list[str]:
    if isinstance(backend, DiskCacheBackend):
        return [str(k) for k in backend._cache.iterkeys()]
    assert isinstance(backend, RedisCacheBackend)
    return [k.decode().removeprefix("helicone-lite:cache:") for k in backend._redis.scan_iter()]


def _entry(request_id: str, seed: str | None, model: str) -> bytes:
    return Entry(
        request_id=request_id,
        kind="chat.completions",
        stream=False,
        created=0.0,
        expires=100.0,
        latency_ms=5.0,
        model=model,
        provider="openai",
        response_model=model,
        seed=seed,
        body=b"{}",
    ).encode()


@pytest.fixture
def store(backend: str, home: Path, request: pytest.FixtureRequest) -> object:
    if backend == "redis":
        return RedisCacheBackend(request.getfixturevalue("redis_url"))
    return DiskCacheBackend(home / "cache")


def test_fill_takes_the_lowest_free_slot_and_never_overwrites(store: DiskCacheBackend) -> None:
    labels = Labels("s", "gpt-4o")
    assert [
        store.fill("k", 3, 10.0, _entry(f"r{i}", "s", "gpt-4o"), 100.0, labels) for i in range(4)
    ] == [0, 1, 2, None]
    assert store.lookup("k", 3, 10.0) is not None
    assert store.lookup("k", 4, 10.0) is None  # a bucket of 4 is not full
    assert store.lookup("k", 3, 100.0) is None  # expired
    assert store.fill("k", 3, 100.0, _entry("r9", "s", "gpt-4o"), 200.0, labels) == 0
    assert Entry.decode(store.slots("k")[0]).request_id == "r9"


def test_stats_and_clear_by_seed_and_model(store: DiskCacheBackend) -> None:
    for key, seed, model in [("a", "t1", "gpt-4o"), ("b", "t2", "gpt-4o"), ("c", None, "o3")]:
        for i in range(2):
            store.fill(key, 2, 1.0, _entry(f"{key}{i}", seed, model), 50.0, Labels(seed, model))
    stats = store.stats(now=1.0)
    assert (stats.entries, stats.buckets) == (6, 3)
    assert stats.by_model["gpt-4o"]["entries"] == 4 and stats.by_seed["(none)"]["entries"] == 2
    assert stats.size_bytes == sum(len(b) for k in "abc" for b in store.slots(k).values())
    assert store.stats(now=60.0).entries == 0 and store.stats(now=60.0).expired == 6
    assert store.clear(seed="t1") == 2
    assert store.clear(model="o3") == 2
    assert store.stats(now=1.0).by_seed == {
        "t2": {"entries": 2, "bytes": stats.by_seed["t2"]["bytes"]}
    }
    assert store.clear() == 2 and store.stats(now=1.0).entries == 0


def test_redis_entries_expire_in_redis_too(redis_url: str, clock: Clock) -> None:
    backend = RedisCacheBackend(redis_url)
    backend.fill("k", 1, clock(), _entry("r", None, "m"), clock() + 30, Labels(None, "m"))
    ttl = backend._redis.pttl("helicone-lite:cache:k")
    assert 25_000 < ttl <= 30_000


def test_cache_hits_are_not_seen_below_the_cache_layer(
    make_client: MakeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Layers after ``cache`` in LAYERS (rate limits, fallback, retry) never see a hit."""
    import helicone_lite.pipeline._layers as layers

    seen: list[str] = []

    class Below:
        def __init__(self, runtime: object) -> None:
            pass

        def handle(self, call: object):  # type: ignore[no-untyped-def]
            seen.append(call.id)  # type: ignore[attr-defined]
            return (yield __import__("helicone_lite").Forward(call))

    names = [name for name, _ in layers.LAYERS]
    assert names.index("cache") < names.index("ratelimit") if "ratelimit" in names else True
    position = names.index("cache") + 1
    monkeypatch.setattr(
        layers, "LAYERS", (*layers.LAYERS[:position], ("below", Below), *layers.LAYERS[position:])
    )
    client = make_client()
    assert [status(ask(client)) for _ in range(3)] == ["MISS", "HIT", "HIT"]
    assert len(seen) == 1


def test_every_miss_and_hit_is_its_own_row(make_client: MakeClient) -> None:
    client = make_client()
    miss, hit = ask(client), ask(client, extra_headers={**CACHE, "Helicone-User-Id": "u-9"})
    logged = rows(client)
    assert [r["id"] for r in logged] == [miss.headers["Helicone-Id"], hit.headers["Helicone-Id"]]
    assert logged[1]["user_id"] == "u-9"
    assert logged[1]["cache_bucket_idx"] == 0 and logged[0]["cache_bucket_idx"] == 0
    assert status(ask(client, extra_headers={"Helicone-Cache-Save": "true"})) is None
    assert rows(client)[-1]["cache_status"] is None


def test_the_memo_expires_follows_the_generation_and_is_bounded(tmp_path: Path) -> None:
    from helicone_lite.cache._memo import Generation, Memo

    generation = Generation(tmp_path / "generation")
    other_process = Generation(tmp_path / "generation")  # another mapping of the same file
    memo = Memo(generation, limit_bytes=10)
    memo.put("k", 1, 100.0, generation.value, [b"abcd"])
    assert memo.get("k", 1, 99.0) == [b"abcd"]
    assert memo.get("k", 2, 99.0) is None  # another bucket size is another entry
    assert memo.get("k", 1, 100.0) is None  # expired (and forgotten)
    memo.put("k", 1, 100.0, generation.value, [b"abcd"])
    other_process.bump()
    assert memo.get("k", 1, 1.0) is None  # a clear elsewhere
    for name in "abc":
        memo.put(name, 1, 100.0, generation.value, [b"1234"])
    assert [memo.get(n, 1, 1.0) is not None for n in "abc"] == [False, True, True]
    memo.put("big", 1, 100.0, generation.value, [b"x" * 11])
    assert memo.get("big", 1, 1.0) is None
    generation.close()
    other_process.close()


def test_lru_eviction_sees_every_hit(home: Path) -> None:
    backend = DiskCacheBackend(home / "cache", eviction_policy="least-recently-used")
    backend.fill("k", 1, 0.0, _entry("r", None, "m"), 100.0, Labels(None, "m"))
    assert backend._memo is None
    assert backend.lookup("k", 1, 1.0) is not None
