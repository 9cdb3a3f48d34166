"""The rate limiter through the real client: admitted, refused, refilled, isolated, settled.

Every test runs on the local SQLite store and on Redis (the ``store`` fixture)."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite import Forward, Result
from helicone_lite._cost import Usage, cost_usd
from helicone_lite.ratelimit._layer import MESSAGE, RateLimiter
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import MESSAGES, Clock, MakeClient, limit_headers, rows


def limiter(client: Any) -> RateLimiter:
    return next(x for x in client._helicone_runtime.stack if isinstance(x, RateLimiter))


def levels(client: Any) -> dict[tuple[str, str], float]:
    """Every live bucket's exact level, by (policy, segment)."""
    now = client._helicone_runtime.clock()
    return {(s.policy, s.segment): s.level(now) for s in limiter(client).buckets.states(now)}


def ask(client: helicone_lite.Client, headers: dict[str, str], **params: Any) -> Any:
    params.setdefault("model", "gpt-4o-mini")
    params.setdefault("messages", MESSAGES)
    return client.chat.completions.create(extra_headers=headers, **params)


def test_seed_per_user_hourly_limit(client: helicone_lite.Client, fake: FakeProvider) -> None:
    alice = {"Helicone-RateLimit-Policy": "100;w=3600;s=user", "Helicone-User-Id": "alice"}
    for i in range(100):
        r = ask(client, alice)
        assert limit_headers(r) == {
            "helicone-ratelimit-limit": "100",
            "helicone-ratelimit-remaining": str(99 - i),
            "helicone-ratelimit-policy": "100;w=3600;s=user",
            "helicone-ratelimit-reset": str(36 * (i + 1)),
        }
    with pytest.raises(openai.RateLimitError):
        ask(client, alice)
    assert fake.calls("gpt-4o-mini") == 100  # the refused call never reached the provider
    bob = ask(client, {**alice, "Helicone-User-Id": "bob"})  # Bob is unaffected
    assert bob.headers["Helicone-RateLimit-Remaining"] == "99"


def test_refused_call_is_a_genuine_rate_limit_error_and_is_logged(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    headers = {"Helicone-RateLimit-Policy": "2;w=60"}
    ask(client, headers)
    ask(client, headers)
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers)
    error = info.value
    assert error.status_code == 429 and error.message == MESSAGE
    assert error.body == {"message": MESSAGE, "type": "rate_limited", "code": "rate_limited"}
    h = error.response.headers
    assert h["X-Helicone-Error"] == "rate_limited"
    assert h["Helicone-RateLimit-Limit"] == "2" and h["Helicone-RateLimit-Remaining"] == "0"
    assert h["Helicone-RateLimit-Policy"] == "2;w=60" and h["Helicone-RateLimit-Reset"] == "60"
    assert h["Retry-After"] == "30" and h["retry-after-ms"] == "30000"
    assert fake.calls() == 2
    log = rows(client)
    assert [r["status"] for r in log] == [200, 200, 429]
    assert [r["rate_limited"] for r in log] == [0, 0, 1]
    assert "RateLimitError" in log[2]["error"]
    assert log[2]["cost_usd"] is None


def test_refill_over_time(client: helicone_lite.Client, clock: Clock) -> None:
    headers = {"Helicone-RateLimit-Policy": "3;w=30"}  # one call back every 10 s
    for _ in range(3):
        ask(client, headers)
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers)
    assert info.value.response.headers["Retry-After"] == "10"
    clock.advance(9.5)
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers)
    assert info.value.response.headers["Retry-After"] == "1"
    clock.advance(0.5)
    assert ask(client, headers).headers["Helicone-RateLimit-Reset"] == "30"
    clock.advance(3600)
    r = ask(client, headers)  # a long pause refills to the quota, never beyond
    assert r.headers["Helicone-RateLimit-Remaining"] == "2"


def test_per_property_isolation(client: helicone_lite.Client) -> None:
    policy = "1;w=3600;s=department"
    cardio = {"Helicone-RateLimit-Policy": policy, "Helicone-Property-Department": "cardiology"}
    ask(client, cardio)
    with pytest.raises(openai.RateLimitError):
        ask(client, cardio)
    ask(client, {**cardio, "Helicone-Property-Department": "oncology"})
    with pytest.raises(openai.RateLimitError):  # other options change nothing
        ask(client, {**cardio, "Helicone-User-Id": "another"})
    assert sorted(levels(client)) == [
        ("1;w=3600;s=department", "department=cardiology"),
        ("1;w=3600;s=department", "department=oncology"),
    ]


def test_seed_per_property_example(client: helicone_lite.Client) -> None:
    """``s=property`` as the seed article writes it: per the call's only property."""
    headers = {
        "Helicone-RateLimit-Policy": "5000;w=3600;s=property",
        "Helicone-Property-Department": "cardiology",
    }
    r = ask(client, headers)
    assert r.headers["Helicone-RateLimit-Policy"] == "5000;w=3600;s=property"
    assert r.headers["Helicone-RateLimit-Remaining"] == "4999"
    ask(client, {**headers, "Helicone-Property-Department": "oncology"})
    # the same bucket as naming the property outright
    r = ask(client, {**headers, "Helicone-RateLimit-Policy": "5000;w=3600;s=department"})
    assert r.headers["Helicone-RateLimit-Remaining"] == "4998"
    assert levels(client) == {
        ("5000;w=3600;s=department", "department=cardiology"): 4998,
        ("5000;w=3600;s=department", "department=oncology"): 4999,
    }


def test_several_policies_all_must_admit(client: helicone_lite.Client, clock: Clock) -> None:
    headers = {"Helicone-RateLimit-Policy": "2;w=60, 3;w=3600"}
    r = ask(client, headers)
    # the tightest bucket speaks: 1/2 left of the minute vs 2/3 of the hour
    assert r.headers["Helicone-RateLimit-Policy"] == "2;w=60"
    assert r.headers["Helicone-RateLimit-Remaining"] == "1"
    ask(client, headers)
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers)
    assert info.value.response.headers["Helicone-RateLimit-Policy"] == "2;w=60"
    assert levels(client)[("3;w=3600", "global")] == 1  # not charged for the refused call
    clock.advance(60)
    r = ask(client, headers)
    assert r.headers["Helicone-RateLimit-Policy"] == "3;w=3600"
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers)  # the minute has room again, the hour does not
    assert info.value.response.headers["Helicone-RateLimit-Policy"] == "3;w=3600"
    assert levels(client)[("2;w=60", "global")] == 1


def test_request_and_cents_count_separately(client: helicone_lite.Client) -> None:
    ask(client, {"Helicone-RateLimit-Policy": "10;w=60;s=user", "Helicone-User-Id": "u"})
    ask(client, {"Helicone-RateLimit-Policy": "10;w=60;u=cents;s=user", "Helicone-User-Id": "u"})
    assert set(levels(client)) == {
        ("10;w=60;s=user", "user=u"),
        ("10;w=60;u=cents;s=user", "user=u"),
    }


def _cents(model: str, prompt: int, completion: int) -> float:
    dollars = cost_usd(model, "openai", Usage(prompt_tokens=prompt, completion_tokens=completion))
    assert dollars is not None
    return dollars * 100


def test_seed_cents_budget_settles_to_the_real_cost(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text="ok", prompt_tokens=1000, completion_tokens=2000))
    headers = {"Helicone-RateLimit-Policy": "500;w=86400;u=cents;s=user"}
    r = ask(client, headers, model="gpt-4o", user="patient-7829", max_tokens=4000)
    spent = _cents("gpt-4o", 1000, 2000)
    assert spent == pytest.approx(2.25)
    bucket = ("500;w=86400;u=cents;s=user", "user=patient-7829")
    assert levels(client)[bucket] == pytest.approx(500 - spent)
    assert r.headers["Helicone-RateLimit-Remaining"] == "497"
    assert r.headers["Helicone-RateLimit-Reset"] == "389"  # 2.25 cents at 500 per day
    assert r.headers["Helicone-RateLimit-Policy"] == "500;w=86400;u=cents;s=user"


def test_cents_reservation_is_released_when_the_call_fails(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Fault(status=500), times=1)
    headers = {"Helicone-RateLimit-Policy": "1;w=3600;u=cents"}
    with pytest.raises(openai.InternalServerError):  # no SDK-style retry: the 500 is final
        ask(client.with_options(max_retries=0), headers, model="gpt-4o", max_tokens=50)
    assert levels(client) == {}  # released: the bucket is full again
    fake.script("gpt-4o", Reply(text="ok", prompt_tokens=10, completion_tokens=50))
    r = ask(client, headers, model="gpt-4o", max_tokens=50)
    assert r.headers["Helicone-RateLimit-Remaining"] == "0"
    assert levels(client)[("1;w=3600;u=cents", "global")] == pytest.approx(
        1 - _cents("gpt-4o", 10, 50)
    )


def test_cents_reservation_refuses_what_the_budget_cannot_cover(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text="ok", prompt_tokens=10, completion_tokens=10))
    headers = {"Helicone-RateLimit-Policy": "1;w=3600;u=cents"}
    ask(client, headers, model="gpt-4o", max_tokens=10)
    # 1000 completion tokens of gpt-4o reserve 1 cent: more than is left
    with pytest.raises(openai.RateLimitError):
        ask(client, headers, model="gpt-4o", max_tokens=1000)
    assert fake.calls("gpt-4o") == 1
    ask(client, headers, model="gpt-4o", max_tokens=500)  # 0.5 cent reserved: fits


def test_tokens_budget_settles_to_the_usage(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", Reply(text="ok", prompt_tokens=120, completion_tokens=80))
    headers = {"Helicone-RateLimit-Policy": "1000;w=3600;u=tokens;s=user", "Helicone-User-Id": "u"}
    r = ask(client, headers, max_tokens=200)
    assert r.headers["Helicone-RateLimit-Remaining"] == "800"
    fake.enqueue(Fault(status=503))
    with pytest.raises(openai.InternalServerError):
        ask(client, headers, max_tokens=200)
    assert levels(client) == {("1000;w=3600;u=tokens;s=user", "user=u"): 800}


def test_usage_above_the_reservation_drives_the_bucket_below_zero(
    client: helicone_lite.Client, fake: FakeProvider, clock: Clock
) -> None:
    # a provider that reports more than the bound (hidden system tokens, say)
    fake.script("gpt-4o-mini", Reply(text="ok", prompt_tokens=5000, completion_tokens=10))
    headers = {"Helicone-RateLimit-Policy": "1000;w=1000;u=tokens"}
    r = ask(client, headers, max_tokens=10)
    assert r.headers["Helicone-RateLimit-Remaining"] == "0"
    assert levels(client)[("1000;w=1000;u=tokens", "global")] == -4010
    with pytest.raises(openai.RateLimitError) as info:
        ask(client, headers, max_tokens=10)
    reserve = limiter(client).buckets.states(clock())[0]
    assert reserve.tokens == -4010
    wait = int(info.value.response.headers["Retry-After"])
    clock.advance(wait)
    ask(client, headers, max_tokens=10)


def test_unpriced_model_cannot_carry_a_cents_budget(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    headers = {"Helicone-RateLimit-Policy": "10;w=60;u=cents"}
    with pytest.raises(helicone_lite.OptionsError, match="genai-prices"):
        ask(client, headers, model="my-local-llama")
    assert fake.requests == []
    r = ask(client, {**headers, "Helicone-Model-Override": "gpt-4o-mini"}, model="my-local-llama")
    assert r.headers["Helicone-RateLimit-Limit"] == "10"


def test_cache_hits_are_not_counted(make_client: MakeClient, fake: FakeProvider) -> None:
    """Layers before the limiter (the cache, user interceptors) answer without it."""
    stored = helicone_lite.ChatCompletion.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-mini",
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": "stored"},
                }
            ],
        }
    )

    class Hit:
        def handle(self, call: Any) -> Any:
            if call.options.cache_enabled:
                return Result(response=stored, headers={"Helicone-Cache": "HIT"})
            result = yield Forward(call)
            return result

    client = make_client(interceptors=[Hit()])
    headers = {"Helicone-RateLimit-Policy": "1;w=60"}
    ask(client, headers)
    for _ in range(3):
        r = ask(client, {**headers, "Helicone-Cache-Enabled": "true"})
        assert r.choices[0].message.content == "stored"
        assert limit_headers(r) == {}
    with pytest.raises(openai.RateLimitError):
        ask(client, headers)
    assert fake.calls() == 1


def test_keyword_form(client: helicone_lite.Client) -> None:
    helicone = {"ratelimit_policy": "1;w=60;s=user", "user_id": "kw"}
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, helicone=helicone)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, helicone=helicone)


def test_client_default_policy(make_client: MakeClient) -> None:
    client = make_client(default_headers={"Helicone-RateLimit-Policy": "1;w=60"})
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)


def test_no_policy_no_headers_no_store(client: helicone_lite.Client, home: Any) -> None:
    r = ask(client, {})
    assert limit_headers(r) == {}
    assert not (home / "ratelimit.slots").exists()


def test_clients_sharing_a_home_share_buckets(make_client: MakeClient) -> None:
    first, second = make_client(), make_client()
    ask(first, {"Helicone-RateLimit-Policy": "1;w=60"})
    with pytest.raises(openai.RateLimitError):
        ask(second, {"Helicone-RateLimit-Policy": "1;w=60"})


def test_store_failure_fails_closed_by_default(
    make_client: MakeClient,
    fake: FakeProvider,
    home: Any,
    caplog: pytest.LogCaptureFixture,
    store: str | None,
) -> None:
    client = make_client(redis_url=_broken(home, store))
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(2):
            with pytest.raises(openai.InternalServerError) as info:
                ask(client, {"Helicone-RateLimit-Policy": "1;w=60"})
    assert info.value.status_code == 503
    assert info.value.response.headers["X-Helicone-Error"] == "rate_limit_store_unavailable"
    assert "ratelimit_fail_open" in str(info.value)
    assert fake.requests == []
    assert len([r for r in caplog.records if "rate-limit store" in r.getMessage()]) == 1
    assert [r["status"] for r in rows(client)] == [503, 503]


def test_store_failure_can_fail_open(
    make_client: MakeClient,
    fake: FakeProvider,
    home: Any,
    caplog: pytest.LogCaptureFixture,
    store: str | None,
) -> None:
    client = make_client(redis_url=_broken(home, store), ratelimit_fail_open=True)
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(3):
            r = ask(client, {"Helicone-RateLimit-Policy": "1;w=60"})
            assert limit_headers(r) == {}
    assert fake.calls() == 3
    warnings = [r.getMessage() for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert len(warnings) == 1 and "admitting calls unchecked" in warnings[0]


def _broken(home: Any, store: str | None) -> str | None:
    if store is not None:
        import socket

        with socket.socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"redis://127.0.0.1:{port}/0"
    (home / "ratelimit.slots").mkdir(parents=True)  # a directory where the file should be
    return None
