"""Cooldown: a target that failed K times in a row is skipped for a while, then tried again."""

from __future__ import annotations

import threading

import openai
import pytest
from retry_helpers import Clock, Driver, MakeClient, attempt_rows, request_row

from helicone_lite import OptionsError
from helicone_lite.testing import FakeProvider, Fault

CHAIN = "gpt-4o,gpt-4o-mini"


def test_a_failing_target_cools_down_and_comes_back(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500), times=4)
    client = make_client(driver.is_async, max_retries=0)

    for _ in range(3):  # three failures in a row: cools down for 30 s
        assert driver.create(client, model=CHAIN).model == "gpt-4o-mini"
    assert fake_provider.calls("gpt-4o") == 3

    skipped = driver.create(client, model=CHAIN)
    assert skipped.model == "gpt-4o-mini"
    assert skipped.headers["Helicone-Fallback-Index"] == "1"
    assert fake_provider.calls("gpt-4o") == 3  # not called
    rows = attempt_rows(client, skipped.headers["Helicone-Id"])
    assert [(r["target_index"], r["status"]) for r in rows] == [(0, 0), (1, 200)]
    assert rows[0]["error"] == "skipped: cooling down until 2027-01-15T08:00:30.000Z"
    assert request_row(client, skipped.headers["Helicone-Id"])["attempts"] == 1

    clock.advance(29.9)
    driver.create(client, model=CHAIN)
    assert fake_provider.calls("gpt-4o") == 3

    clock.advance(0.2)  # cooled down: tried again; one more failure sends it back
    assert driver.create(client, model=CHAIN).model == "gpt-4o-mini"
    assert fake_provider.calls("gpt-4o") == 4
    driver.create(client, model=CHAIN)
    assert fake_provider.calls("gpt-4o") == 4

    clock.advance(30.1)  # the fault script is used up: gpt-4o answers and is well again
    restored = driver.create(client, model=CHAIN)
    assert restored.model == "gpt-4o"
    assert restored.headers["Helicone-Fallback-Index"] == "0"
    assert driver.create(client, model=CHAIN).model == "gpt-4o"


def test_retry_after_sets_the_cooldown(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=5), times=1)
    client = make_client(max_retries=0, cooldown_failures=1)
    messages = [{"role": "user", "content": "x"}]
    assert client.chat.completions.create(model=CHAIN, messages=messages).model == "gpt-4o-mini"
    client.chat.completions.create(model=CHAIN, messages=messages)
    assert fake_provider.calls("gpt-4o") == 1
    clock.advance(5.01)
    assert client.chat.completions.create(model=CHAIN, messages=messages).model == "gpt-4o"


def test_retries_count_towards_the_cooldown(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=503))
    client = make_client()  # openai's default: 3 attempts, so one call trips the cooldown
    messages = [{"role": "user", "content": "x"}]
    client.chat.completions.create(model=CHAIN, messages=messages)
    assert fake_provider.calls("gpt-4o") == 3
    client.chat.completions.create(model=CHAIN, messages=messages)
    assert fake_provider.calls("gpt-4o") == 3


def test_cooldown_settings(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0, cooldown_failures=2, cooldown_seconds=10)
    messages = [{"role": "user", "content": "x"}]
    for _ in range(3):
        client.chat.completions.create(model=CHAIN, messages=messages)
    assert fake_provider.calls("gpt-4o") == 2
    clock.advance(10.01)
    client.chat.completions.create(model=CHAIN, messages=messages)
    assert fake_provider.calls("gpt-4o") == 3


def test_bad_requests_do_not_count(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.script("gpt-4o", Fault(status=400))
    client = make_client(max_retries=0, cooldown_failures=1)
    for _ in range(3):
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model=CHAIN, messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 3


def test_cooldown_off(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0, cooldown=False)
    for _ in range(5):
        client.chat.completions.create(model=CHAIN, messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 5


def test_a_call_is_never_refused_by_cooldown_alone(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500), times=3)
    client = make_client(max_retries=0)
    for _ in range(3):
        with pytest.raises(openai.InternalServerError):
            client.chat.completions.create(
                model="gpt-4o", messages=[{"role": "user", "content": "x"}]
            )
    response = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}]
    )
    assert response.model == "gpt-4o"  # cooling, but the only target: tried anyway
    assert fake_provider.calls("gpt-4o") == 4


def test_cooldown_is_shared_by_with_options_copies(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0, cooldown_failures=1)
    client.chat.completions.create(model=CHAIN, messages=[{"role": "user", "content": "x"}])
    copy = client.with_options(timeout=30)
    copy.chat.completions.create(model=CHAIN, messages=[{"role": "user", "content": "x"}])
    assert fake_provider.calls("gpt-4o") == 1


def test_cooldown_under_threads(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0)
    answers: list[str] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(5):
                answers.append(
                    client.chat.completions.create(
                        model=CHAIN, messages=[{"role": "user", "content": "x"}]
                    ).model
                )
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert answers == ["gpt-4o-mini"] * 40
    assert 3 <= fake_provider.calls("gpt-4o") <= 3 + 8  # at most one racing call per thread


@pytest.mark.parametrize(
    ("setting", "value"),
    [("cooldown_failures", 0), ("cooldown_seconds", -1), ("cooldown_failures", "3")],
)
def test_bad_cooldown_settings(make_client: MakeClient, setting: str, value: object) -> None:
    with pytest.raises(OptionsError) as caught:
        make_client(**{setting: value})
    assert caught.value.option == setting
