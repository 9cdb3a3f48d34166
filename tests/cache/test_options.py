"""Hit/miss sequences for every cache option, as headers and as keywords, on both backends."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite import OptionsError
from helicone_lite.testing import FakeProvider, Reply

from .conftest import CACHE, KEY, Clock, MakeClient, ask, rows, status

DAY = 24 * 3600


def test_enabled_miss_then_hits_one_provider_call(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    seen = [status(ask(client)) for _ in range(4)]
    assert seen == ["MISS", "HIT", "HIT", "HIT"]
    assert fake.calls() == 1


def test_a_hit_is_the_same_answer(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    fake.script("gpt-4o-mini", Reply(text="Diabetes is a metabolic disease.", prompt_tokens=9))
    miss, hit = ask(client), ask(client)
    assert hit.model_dump() == miss.model_dump()
    assert hit.choices[0].message.content == "Diabetes is a metabolic disease."
    assert type(hit) is type(miss)
    assert hit.headers["Helicone-Id"] != miss.headers["Helicone-Id"]
    assert int(hit.headers["Helicone-Cache-Latency"]) >= 0
    assert hit.headers["Helicone-Cache-Bucket-Idx"] == "0"
    assert "Helicone-Cache-Bucket-Idx" not in miss.headers


@pytest.mark.parametrize("value", ["TRUE", "True", "true"])
def test_enabled_any_case(make_client: MakeClient, value: str) -> None:
    client = make_client()
    headers = {"Helicone-Cache-Enabled": value}
    assert [status(ask(client, extra_headers=headers)) for _ in range(2)] == ["MISS", "HIT"]


@pytest.mark.parametrize("headers", [{}, {"Helicone-Cache-Enabled": "false"}])
def test_off_means_no_lookup_and_no_save(
    make_client: MakeClient, fake: FakeProvider, headers: dict[str, str]
) -> None:
    client = make_client()
    answers = [ask(client, extra_headers=headers) for _ in range(2)]
    assert [status(a) for a in answers] == [None, None]
    assert status(ask(client)) == "MISS"  # nothing was saved by the calls without cache
    assert fake.calls() == 3
    assert [r["cache_status"] for r in rows(client)] == [None, None, "MISS"]


def test_read_only_never_saves(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    read = {"Helicone-Cache-Read": "true"}
    assert [status(ask(client, extra_headers=read)) for _ in range(2)] == ["MISS", "MISS"]
    save = {"Helicone-Cache-Save": "true"}
    assert status(ask(client, extra_headers=save)) is None  # saved, not looked up
    assert status(ask(client, extra_headers=read)) == "HIT"
    assert fake.calls() == 3


def test_enabled_with_read_false_only_saves(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    headers = {"Helicone-Cache-Enabled": "true", "Helicone-Cache-Read": "false"}
    assert [status(ask(client, extra_headers=headers)) for _ in range(2)] == [None, None]
    assert status(ask(client)) == "HIT"
    assert fake.calls() == 2


def test_no_store_reads_but_never_saves(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    headers = {**CACHE, "Cache-Control": "no-store"}
    assert [status(ask(client, extra_headers=headers)) for _ in range(2)] == ["MISS", "MISS"]
    assert status(ask(client)) == "MISS"
    assert status(ask(client, extra_headers=headers)) == "HIT"  # no-store still reads
    assert fake.calls() == 3


def test_no_cache_skips_the_lookup_but_saves(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    headers = {**CACHE, "Cache-Control": "no-cache"}
    assert status(ask(client, extra_headers=headers)) is None
    assert status(ask(client)) == "HIT"
    assert status(ask(client, extra_headers=headers)) is None  # asked the provider again
    assert fake.calls() == 2


def test_max_age_expires_on_the_injected_clock(
    make_client: MakeClient, fake: FakeProvider, clock: Clock
) -> None:
    client = make_client()
    headers = {**CACHE, "Cache-Control": "max-age=60"}
    assert status(ask(client, extra_headers=headers)) == "MISS"
    clock.advance(59)
    assert status(ask(client, extra_headers=headers)) == "HIT"
    clock.advance(2)
    assert status(ask(client, extra_headers=headers)) == "MISS"  # expired: refilled
    assert status(ask(client, extra_headers=headers)) == "HIT"
    assert fake.calls() == 2


def test_spaces_and_s_maxage_win(make_client: MakeClient, clock: Clock) -> None:
    client = make_client()
    headers = {**CACHE, "Cache-Control": "max-age = 10, s-maxage = 100"}
    assert status(ask(client, extra_headers=headers)) == "MISS"
    clock.advance(50)
    assert status(ask(client, extra_headers=headers)) == "HIT"
    clock.advance(51)
    assert status(ask(client, extra_headers=headers)) == "MISS"


def test_default_ttl_is_seven_days(make_client: MakeClient, clock: Clock) -> None:
    client = make_client()
    assert status(ask(client)) == "MISS"
    clock.advance(7 * DAY - 1)
    assert status(ask(client)) == "HIT"
    clock.advance(2)
    assert status(ask(client)) == "MISS"


def test_ttl_is_clamped_to_365_days(make_client: MakeClient, clock: Clock) -> None:
    client = make_client()
    headers = {**CACHE, "Cache-Control": "max-age=999999999"}
    assert status(ask(client, extra_headers=headers)) == "MISS"
    clock.advance(365 * DAY - 1)
    assert status(ask(client, extra_headers=headers)) == "HIT"
    clock.advance(2)
    assert status(ask(client, extra_headers=headers)) == "MISS"


def test_seeds_isolate(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()

    def seeded(seed: str | None) -> str | None:
        headers = {**CACHE, "Helicone-Cache-Seed": seed} if seed else CACHE
        return status(ask(client, extra_headers=headers))

    assert [seeded(s) for s in ("tenant-a", "tenant-b", None)] == ["MISS"] * 3
    assert [seeded(s) for s in ("tenant-a", "tenant-b", None)] == ["HIT"] * 3
    assert fake.calls() == 3
    hit_seeds = [r["cache_seed"] for r in rows(client, "cache_status = 'HIT'")]
    assert hit_seeds == ["tenant-a", "tenant-b", None]


@pytest.mark.parametrize(
    "ignore", ["temperature, user", '["temperature", "user"]', ["temperature", "user"]]
)
def test_ignore_keys(make_client: MakeClient, fake: FakeProvider, ignore: object) -> None:
    client = make_client()
    if isinstance(ignore, str):
        opts: dict[str, Any] = {"extra_headers": {**CACHE, "Helicone-Cache-Ignore-Keys": ignore}}
    else:
        opts = {"helicone": {"cache_enabled": True, "cache_ignore_keys": ignore}}
    assert status(ask(client, temperature=0.1, user="u1", **opts)) == "MISS"
    assert status(ask(client, temperature=0.9, user="u2", **opts)) == "HIT"
    assert status(ask(client, "Something else?", temperature=0.1, **opts)) == "MISS"
    # the ignored keys are part of the key: without them the same call is another entry
    assert status(ask(client, temperature=0.1, user="u1")) == "MISS"
    assert fake.calls() == 3


def test_session_user_and_properties_are_not_in_the_key(make_client: MakeClient) -> None:
    client = make_client()
    assert status(ask(client, extra_headers={**CACHE, "Helicone-User-Id": "a"})) == "MISS"
    others = {
        **CACHE,
        "Helicone-User-Id": "b",
        "Helicone-Session-Id": "s-1",
        "Helicone-Session-Path": "/triage",
        "Helicone-Property-Department": "cardiology",
    }
    assert status(ask(client, extra_headers=others)) == "HIT"


def test_every_parameter_endpoint_and_credential_is_in_the_key(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    assert status(ask(client)) == "MISS"
    assert status(ask(client, model="gpt-4o")) == "MISS"
    assert status(ask(client, max_tokens=5)) == "MISS"
    assert status(ask(client, extra_body={"top_k": 3})) == "MISS"
    other_tenant = make_client(api_key="sk-test-OTHER-TENANT-0000000")
    assert status(ask(other_tenant)) == "MISS"  # another credential never sees this answer
    with FakeProvider() as elsewhere:
        other_endpoint = make_client(base_url=elsewhere.openai_base_url)
        assert status(ask(other_endpoint)) == "MISS"
    assert status(ask(client)) == "HIT"


def test_keyword_options_and_client_defaults(make_client: MakeClient, clock: Clock) -> None:
    client = make_client()
    kw = {"cache_enabled": True, "cache_control": "max-age=30", "cache_seed": "t"}
    assert status(ask(client, extra_headers={}, helicone=kw)) == "MISS"
    assert status(ask(client, extra_headers={}, helicone=kw)) == "HIT"
    defaults = make_client(helicone={"cache_enabled": True, "cache_seed": "t"})
    assert status(ask(defaults, extra_headers={})) == "HIT"
    clock.advance(31)
    assert status(ask(client, extra_headers={}, helicone=kw)) == "MISS"


def test_errors_are_not_cached(make_client: MakeClient, fake: FakeProvider) -> None:
    import openai

    from helicone_lite.testing import Fault

    client = make_client()
    fake.script("gpt-4o-mini", Fault(status=400, message="bad request"), times=1)
    with pytest.raises(openai.BadRequestError):
        ask(client)
    assert status(ask(client)) == "MISS"
    assert status(ask(client)) == "HIT"
    assert fake.calls() == 2
    assert [r["status"] for r in rows(client)] == [400, 200, 200]


def test_embeddings_are_cacheable(make_client: MakeClient, fake: FakeProvider) -> None:
    client = make_client()
    first = client.embeddings.create(
        model="text-embedding-3-small", input=["diabetes"], extra_headers=CACHE
    )
    second = client.embeddings.create(
        model="text-embedding-3-small", input=["diabetes"], extra_headers=CACHE
    )
    assert (first.headers["Helicone-Cache"], second.headers["Helicone-Cache"]) == ("MISS", "HIT")
    assert second.model_dump() == first.model_dump()
    assert type(second).__name__ == "CreateEmbeddingResponse"
    assert fake.calls() == 1


def test_raw_response_carries_the_cache_headers(make_client: MakeClient) -> None:
    client = make_client()
    ask(client)
    raw = client.chat.completions.with_raw_response.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "What is diabetes?"}],
        extra_headers=CACHE,
    )
    assert raw.headers["Helicone-Cache"] == "HIT"
    assert raw.headers["Helicone-Cache-Bucket-Idx"] == "0"
    assert raw.http_response is None and raw.status_code == 200
    assert raw.parse().choices[0].message.content


BAD = [
    ("Helicone-Cache-Enabled", "yes"),
    ("Helicone-Cache-Read", "1"),
    ("Helicone-Cache-Save", "on"),
    ("Cache-Control", "max-age=soon"),
    ("Cache-Control", "max-age=-5"),
    ("Cache-Control", "s-maxage"),
    ("Cache-Control", "max-age=²"),
    ("Helicone-Cache-Bucket-Max-Size", "0"),
    ("Helicone-Cache-Bucket-Max-Size", "21"),
    ("Helicone-Cache-Bucket-Max-Size", "2.5"),
    ("Helicone-Cache-Bucket-Max-Size", "three"),
    ("Helicone-Cache-Bucket-Max-Size", "²"),
    ("Helicone-Cache-Seed", " "),
    ("Helicone-Cache-Ignore-Keys", "[not json"),
    ("Helicone-Cache-Ignore-Keys", "[1, 2]"),
]


@pytest.mark.parametrize(("header", "value"), BAD)
def test_bad_header_raises_before_any_call(
    make_client: MakeClient, fake: FakeProvider, header: str, value: str
) -> None:
    client = make_client()
    with pytest.raises(OptionsError) as info:
        ask(client, extra_headers={**CACHE, header: value})
    message = str(info.value)
    assert header in message and repr(value) in message and "expected" in message
    assert fake.requests == [] and rows(client) == []


BAD_KEYWORDS = [
    ("cache_enabled", "yes"),
    ("cache_bucket_max_size", 21),
    ("cache_bucket_max_size", 0),
    ("cache_bucket_max_size", True),
    ("cache_bucket_max_size", 2.0),
    ("cache_control", 1.5),
    ("cache_seed", ""),
    ("cache_ignore_keys", [1]),
    ("cache_ignore_keys", 7),
]


@pytest.mark.parametrize(("name", "value"), BAD_KEYWORDS)
def test_bad_keyword_raises_before_any_call(
    make_client: MakeClient, fake: FakeProvider, name: str, value: object
) -> None:
    client = make_client()
    with pytest.raises(OptionsError) as info:
        ask(client, extra_headers={}, helicone={"cache_enabled": True, name: value})
    assert name in str(info.value) and repr(value) in str(info.value)
    assert fake.requests == []


def test_bad_client_settings_raise_when_built(make_client: MakeClient) -> None:
    with pytest.raises(ValueError, match="cache_size_limit"):
        make_client(cache_size_limit=0)
    with pytest.raises(ValueError, match=r"cache_eviction_policy.*least-recently-stored"):
        make_client(cache_eviction_policy="random")


def test_no_secret_reaches_the_cache(make_client: MakeClient, backend: str) -> None:
    client = make_client()
    ask(client)
    stored = _all_stored_bytes(client, backend)
    assert stored and KEY.encode() not in stored


def _all_stored_bytes(client: object, backend: str) -> bytes:
    engine = next(
        layer for layer in client._helicone_runtime.stack if hasattr(layer, "engine")
    ).engine  # type: ignore[attr-defined]
    data = b""
    if backend == "disk":
        cache = engine.backend._cache
        for key in cache.iterkeys():
            data += repr(key).encode() + repr(cache.get(key)).encode()
    else:
        redis = engine.backend._redis
        for key in redis.scan_iter():
            data += key + repr(redis.hgetall(key)).encode()
    return data
