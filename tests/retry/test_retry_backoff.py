"""Retry: Helicone's backoff formula, Retry-After, what is retried, the SDK-like default."""

from __future__ import annotations

import asyncio

import openai
import pytest
from retry_helpers import Clock, Driver, FixedRandom, MakeClient, helicone_retry

from helicone_lite.testing import FakeProvider, Fault


def test_helicone_delays_follow_the_formula(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    """delay before retry k = min(U[1,2) · min · factor^k, max); U = 1 + rng.random() = 1.5."""
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(driver.is_async)
    with pytest.raises(openai.InternalServerError):
        driver.create(client, model="gpt-4o", extra_headers=helicone_retry(3))
    assert clock.waits == [1.5, 3.0, 6.0]
    assert fake_provider.calls("gpt-4o") == 4


@pytest.mark.parametrize(
    ("jitter", "headers", "expected"),
    [
        (0.0, {}, [1.0, 2.0, 4.0, 8.0]),
        (0.999, {"Helicone-Retry-Max-Timeout": "5000"}, [1.999, 3.998, 5.0, 5.0]),
        (
            0.5,
            {"Helicone-Retry-Factor": "3", "Helicone-Retry-Min-Timeout": "200"},
            [0.3, 0.9, 2.7, 8.1],
        ),
        (0.5, {"Helicone-Retry-Min-Timeout": "0"}, [0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_helicone_delays_with_jitter_factor_min_and_max(
    make_client: MakeClient,
    clock: Clock,
    fake_provider: FakeProvider,
    jitter: float,
    headers: dict[str, str],
    expected: list[float],
) -> None:
    fake_provider.script("gpt-4o", Fault(status=503))
    client = make_client(rng=FixedRandom(jitter))
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            extra_headers=helicone_retry(4, **headers),
        )
    assert clock.waits == pytest.approx(expected)


def test_helicone_retry_num_default_is_5(
    make_client: MakeClient, fake_provider: FakeProvider, clock: Clock
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(helicone={"retry_enabled": True})
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 6
    assert clock.waits == [1.5, 3.0, 6.0, 10.0, 10.0]  # max timeout 10 s caps the last two
    assert "6 attempts on 1 target failed" in str(caught.value)


def test_retry_after_is_a_floor(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=2.5), times=2)
    client = make_client(driver.is_async)
    response = driver.create(client, model="gpt-4o", extra_headers=helicone_retry(3))
    assert clock.waits == [2.5, 3.0]  # max(1.5, 2.5), then max(3.0, 2.5)
    assert response.choices[0].message.content
    assert fake_provider.calls("gpt-4o") == 3


def test_retry_after_ms_wins_over_retry_after(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=1, retry_after_ms=4200), times=2)
    client = make_client()
    client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], extra_headers=helicone_retry()
    )
    assert clock.waits == [4.2, 4.2]


def test_the_newest_retry_after_is_honoured(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.enqueue(
        Fault(status=429, retry_after=4), Fault(status=503, retry_after=2), Fault(status=500)
    )
    client = make_client()
    client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "x"}],
        extra_headers=helicone_retry(3, **{"Helicone-Retry-Factor": "1"}),
    )
    assert clock.waits == [4.0, 2.0, 1.5]


def test_retry_after_above_max_timeout_stops_retrying_at_once(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=30))
    client = make_client(driver.is_async)
    with pytest.raises(openai.RateLimitError) as caught:
        driver.create(client, model="gpt-4o", extra_headers=helicone_retry(5))
    assert clock.waits == []
    assert fake_provider.calls("gpt-4o") == 1
    assert caught.value.status_code == 429


def test_retry_after_above_max_timeout_moves_on_to_the_fallback(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=30))
    client = make_client(driver.is_async)
    response = driver.create(client, model="gpt-4o,gpt-4o-mini", extra_headers=helicone_retry(5))
    assert clock.waits == []
    assert response.model == "gpt-4o-mini"
    assert response.headers["Helicone-Fallback-Index"] == "1"


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (403, openai.PermissionDeniedError),
        (404, openai.NotFoundError),
        (408, openai.APIStatusError),
        (409, openai.ConflictError),
        (422, openai.UnprocessableEntityError),
    ],
)
def test_helicone_never_retries_other_4xx(
    make_client: MakeClient,
    clock: Clock,
    fake_provider: FakeProvider,
    status: int,
    error: type[Exception],
) -> None:
    fake_provider.script("gpt-4o", Fault(status=status))
    client = make_client()
    with pytest.raises(error) as caught:
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            extra_headers=helicone_retry(3),
        )
    assert fake_provider.calls("gpt-4o") == 1
    assert clock.waits == []
    assert "[helicone_lite:" not in str(caught.value)  # one attempt: the error as openai raised it


def test_connection_errors_are_retried(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(reset=True), times=2)
    client = make_client(driver.is_async)
    response = driver.create(client, model="gpt-4o", extra_headers=helicone_retry(3))
    assert response.choices[0].message.content
    assert clock.waits == [1.5, 3.0]
    assert fake_provider.calls("gpt-4o") == 3


def test_timeouts_are_retried(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    # the hang outlasts the timeout many times over; the timeout leaves a loaded machine time
    # to answer the retry (0.2 s did not always: the answer itself then timed out)
    fake_provider.script("gpt-4o", Fault(hang=30.0), times=1)
    client = make_client(timeout=1.0)
    response = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}], extra_headers=helicone_retry(2)
    )
    assert response.choices[0].message.content
    assert clock.waits == [1.5]
    assert fake_provider.calls("gpt-4o") == 2


# -- the SDK-compatible default (no Helicone-Retry-Enabled, or false) -----------------------------


def test_default_is_openais_own_retries(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    """openai.OpenAI() retries twice: 0.5 s · 2^k, minus up to 25 % jitter (here 12.5 %)."""
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(driver.is_async)
    # reads as openai's does (3 sends below, not 9: the SDK itself never retries underneath)
    assert client.configured_max_retries == client.max_retries == openai.DEFAULT_MAX_RETRIES == 2
    with pytest.raises(openai.InternalServerError) as caught:
        driver.create(client, model="gpt-4o")
    assert fake_provider.calls("gpt-4o") == 3
    assert clock.waits == [0.4375, 0.875]
    assert caught.value.status_code == 500
    assert "3 attempts on 1 target failed" in str(caught.value)


def test_max_retries_zero_means_one_attempt(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(driver.is_async, max_retries=0)
    with pytest.raises(openai.InternalServerError) as caught:
        driver.create(client, model="gpt-4o")
    assert fake_provider.calls("gpt-4o") == 1
    assert clock.waits == []
    assert "[helicone_lite:" not in str(caught.value)


def test_with_options_max_retries_applies(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=502))
    client = make_client().with_options(max_retries=4)
    assert client.max_retries == 4
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 5
    assert clock.waits == [0.4375, 0.875, 1.75, 3.5]


def test_default_honours_retry_after_up_to_two_minutes(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=3), times=2)
    client = make_client()
    client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert clock.waits == [3.0, 3.0]

    fake_provider.reset()
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=121))
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 1


@pytest.mark.parametrize(
    ("fault", "calls"),
    [
        (Fault(status=500, headers={"x-should-retry": "false"}), 1),
        (Fault(status=400, headers={"x-should-retry": "true"}), 3),
        (Fault(status=408), 3),
        (Fault(status=409), 3),
        (Fault(status=400), 1),
        (Fault(status=404), 1),
    ],
)
def test_default_retries_what_the_sdk_retries(
    make_client: MakeClient, fake_provider: FakeProvider, fault: Fault, calls: int
) -> None:
    fake_provider.script("gpt-4o", fault)
    client = make_client()
    with pytest.raises(openai.APIStatusError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == calls


def test_retry_enabled_false_keeps_the_sdk_default(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client()
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"Helicone-Retry-Enabled": "false", "Helicone-Retry-Num": "5"},
        )
    assert fake_provider.calls("gpt-4o") == 3
    assert clock.waits == [0.4375, 0.875]


def test_helicone_retries_replace_max_retries(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0, helicone={"retry_enabled": True, "retry_num": 2})
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 3
    assert clock.waits == [1.5, 3.0]


def test_a_bad_retry_option_fails_before_any_call(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="Helicone-Retry-Num"):
        client.chat.completions.create(
            model="gpt-4o",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"Helicone-Retry-Enabled": "true", "Helicone-Retry-Num": "many"},
        )
    assert fake_provider.calls() == 0


def test_async_waits_leave_the_event_loop_free(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    """The retry wait is awaited on the loop: another task runs (and ends the wait) meanwhile."""
    fake_provider.script("gpt-4o", Fault(status=500), times=1)
    seen: list[object] = []

    async def main() -> object:
        gate = asyncio.Event()

        async def wait(seconds: float) -> None:
            seen.append(seconds)
            await gate.wait()  # a blocking sleep would never let `other` run: a deadlock

        async def other() -> None:
            while not seen:
                await asyncio.sleep(0)
            seen.append("other task ran")
            gate.set()

        client = make_client(True, async_sleep=wait)
        response, _ = await asyncio.gather(
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "x"}]
            ),
            other(),
        )
        return response

    response = asyncio.run(main())
    assert seen == [0.4375, "other task ran"]
    assert response.choices[0].message.content
