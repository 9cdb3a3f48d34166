"""Fallback on the fake provider: who answers, when the chain moves on, what the user sees."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from retry_helpers import (
    Clock,
    Driver,
    MakeClient,
    attempt_rows,
    helicone_retry,
    last_request_id,
    request_row,
)

from helicone_lite.testing import FakeProvider, Fault, Reply


@pytest.fixture
def backup() -> Iterator[FakeProvider]:
    """A second OpenAI-compatible endpoint."""
    with FakeProvider() as fake:
        yield fake


def test_chain_answers_from_the_second_target(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(driver.is_async)
    response = driver.create(client, model="gpt-4o/gpt-4o-mini", extra_headers=helicone_retry(1))
    assert response.model == "gpt-4o-mini"
    assert response.headers["Helicone-Fallback-Index"] == "1"
    assert response.headers["Helicone-Model"] == "gpt-4o-mini"
    assert response.headers["Helicone-Provider"] == "openai"
    assert [r.model for r in fake_provider.requests] == ["gpt-4o", "gpt-4o", "gpt-4o-mini"]
    assert clock.waits == [1.5]
    row = request_row(client, response.headers["Helicone-Id"])
    assert (row["attempts"], row["fallback_index"], row["status"]) == (3, 1, 200)
    assert row["provider"] == "openai"
    assert row["model"] == "gpt-4o/gpt-4o-mini"
    assert row["response_model"] == "gpt-4o-mini"


def test_chain_streams_from_the_next_target_before_the_first_chunk(
    driver: Driver, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429))
    fake_provider.script("gpt-4o-mini", Reply(text="from the backup"))
    client = make_client(driver.is_async, max_retries=0)
    chunks, headers = driver.stream(client, model="gpt-4o,gpt-4o-mini")
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "from the backup"
    assert {c.model for c in chunks} == {"gpt-4o-mini"}
    assert headers["Helicone-Fallback-Index"] == "1"
    row = request_row(client, headers["Helicone-Id"])
    assert (row["attempts"], row["fallback_index"], row["stream"]) == (2, 1, 1)


def test_a_stream_cut_after_the_first_chunk_raises_and_is_logged(
    driver: Driver, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(cut_after=2, reply=Reply(text="a long answer " * 5)))
    client = make_client(driver.is_async)
    with pytest.raises(openai.APIConnectionError):
        driver.stream(client, model="gpt-4o,gpt-4o-mini")
    assert fake_provider.calls("gpt-4o") == 1
    assert fake_provider.calls("gpt-4o-mini") == 0  # no fallback once chunks reached the user
    row = request_row(client, last_request_id(client))
    assert row["status"] != 200
    assert "APIConnectionError" in row["error"]


def test_no_fallback_on_a_plain_bad_request(
    driver: Driver, make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=400, message="messages must not be empty"))
    client = make_client(driver.is_async)
    with pytest.raises(openai.BadRequestError) as caught:
        driver.create(client, model="gpt-4o,gpt-4o-mini")
    assert fake_provider.calls("gpt-4o-mini") == 0
    assert "[helicone_lite:" not in str(caught.value)


_CONTEXT = {
    "error": {
        "message": "This model's maximum context length is 8192 tokens. However, your messages "
        "resulted in 9000 tokens.",
        "type": "invalid_request_error",
        "param": "messages",
        "code": "context_length_exceeded",
    }
}


@pytest.mark.parametrize(
    "fault",
    [
        Fault(status=401),
        Fault(status=403),
        Fault(status=404),
        Fault(status=408),
        Fault(status=429),
        Fault(status=500),
        Fault(status=503),
        Fault(reset=True),
        Fault(status=400, body=_CONTEXT),
    ],
    ids=["401", "403", "404", "408", "429", "500", "503", "reset", "context-length"],
)
def test_moves_on(make_client: MakeClient, fake_provider: FakeProvider, fault: Fault) -> None:
    fake_provider.script("gpt-4o", fault)
    client = make_client(max_retries=0)
    response = client.chat.completions.create(
        model="gpt-4o,gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert response.model == "gpt-4o-mini"


def test_moves_on_after_a_timeout(make_client: MakeClient, fake_provider: FakeProvider) -> None:
    fake_provider.script("gpt-4o", Fault(hang=30.0))  # cut short when the fake stops
    client = make_client(max_retries=0, timeout=1.0)  # time for gpt-4o-mini to answer under load
    response = client.chat.completions.create(
        model="gpt-4o,gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
    )
    assert response.model == "gpt-4o-mini"


def test_everything_fails_with_the_last_error_and_every_attempt(
    driver: Driver, make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, message="slow down"))
    fake_provider.script("gpt-4o-mini", Fault(status=503, message="overloaded", retry_after=2))
    client = make_client(driver.is_async)
    with pytest.raises(openai.InternalServerError) as caught:
        driver.create(client, model="gpt-4o/gpt-4o-mini", extra_headers=helicone_retry(1))
    error = caught.value
    assert type(error) is openai.InternalServerError
    assert error.status_code == 503
    assert error.response.status_code == 503
    assert error.response.headers["retry-after"] == "2"
    assert error.body is not None
    message = str(error)
    assert message.startswith("Error code: 503")
    assert "4 attempts on 2 targets failed" in message
    for part in (
        "#1 gpt-4o (openai)",
        "#2 gpt-4o (openai) after waiting 1.5 s",
        "#3 gpt-4o-mini",
        "#4 gpt-4o-mini (openai) after waiting 2 s",
        "slow down",
        "overloaded",
        "RateLimitError",
    ):
        assert part in message
    assert error.message == message
    assert clock.waits == [1.5, 2.0]
    row = request_row(client, last_request_id(client))
    assert (row["status"], row["attempts"], row["fallback_index"]) == (503, 4, 1)


def test_the_wrapped_error_keeps_its_cause_chain(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o*", Fault(reset=True))
    client = make_client(max_retries=0)
    with pytest.raises(openai.APIConnectionError) as caught:
        client.chat.completions.create(
            model="gpt-4o,gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
    assert "2 attempts on 2 targets failed" in str(caught.value)
    assert caught.value.__cause__ is not None
    assert caught.value.request is not None


def test_fallback_enabled_false_uses_only_the_first_entry(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    client = make_client(max_retries=0)
    with pytest.raises(openai.InternalServerError):
        client.chat.completions.create(
            model="gpt-4o/gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers={"Helicone-Fallback-Enabled": "false"},
        )
    assert fake_provider.calls("gpt-4o-mini") == 0


def test_base_url_target_with_headers_and_body(
    driver: Driver, make_client: MakeClient, fake_provider: FakeProvider, backup: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=503))
    client = make_client(driver.is_async, max_retries=0)
    target = {
        "base_url": backup.openai_base_url,
        "model": "meta-llama/Llama-3-70b",
        "headers": {"X-Backup-Key": "b-1"},
        "body": {"temperature": 0.25},
    }
    response = driver.create(client, model="gpt-4o", helicone={"fallbacks": [target]})
    assert response.model == "meta-llama/Llama-3-70b"
    assert response.headers["Helicone-Provider"] == f"127.0.0.1:{backup.port}"
    assert response.headers["Helicone-Fallback-Index"] == "1"
    (sent,) = backup.requests
    assert sent.model == "meta-llama/Llama-3-70b"
    assert sent.headers["x-backup-key"] == "b-1"
    assert sent.json["temperature"] == 0.25
    assert "helicone-fallbacks" not in sent.headers


def test_legacy_fallbacks_header_with_target_url(
    make_client: MakeClient, fake_provider: FakeProvider, backup: FakeProvider
) -> None:
    fake_provider.script("gpt-4", Fault(status=500))
    client = make_client(max_retries=0)
    header = json.dumps(
        [
            {
                "target-url": backup.url,
                "headers": {"Authorization": "Bearer lf"},
                "onCodes": [401, 403],
                "bodyKeyOverride": {"model": "zephyr-chat"},
            }
        ]
    )
    response = client.chat.completions.create(
        model="gpt-4",
        messages=[{"role": "user", "content": "x"}],
        extra_headers={"Helicone-Fallbacks": header},
    )
    assert response.model == "zephyr-chat"
    (sent,) = backup.requests
    assert sent.path == "/v1/chat/completions"
    assert sent.headers["authorization"] == "Bearer lf"
    assert not any(name.startswith("helicone") for name in fake_provider.requests[0].headers)


@pytest.mark.parametrize(("status", "moved"), [(429, True), (500, False)])
def test_a_targets_on_codes_decide_whether_to_move_past_it(
    make_client: MakeClient, fake_provider: FakeProvider, status: int, moved: bool
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    fake_provider.script("second", Fault(status=status))
    client = make_client(max_retries=0)
    fallbacks: list[Any] = [{"model": "second", "on_codes": [429]}, "third"]
    call = {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "x"}],
        "helicone": {"fallbacks": fallbacks},
    }
    if moved:
        assert client.chat.completions.create(**call).model == "third"
    else:
        with pytest.raises(openai.APIStatusError) as caught:
            client.chat.completions.create(**call)
        assert caught.value.status_code == 500
        assert fake_provider.calls("third") == 0


def test_on_codes_can_move_on_after_a_400(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=500))
    fake_provider.script("second", Fault(status=400))
    client = make_client(max_retries=0)
    response = client.chat.completions.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "x"}],
        helicone={
            "fallbacks": [{"model": "second", "on_codes": [{"from": 400, "to": 499}]}, "third"]
        },
    )
    assert response.model == "third"
    assert response.headers["Helicone-Fallback-Index"] == "2"


def test_the_attempts_table(
    make_client: MakeClient, clock: Clock, fake_provider: FakeProvider
) -> None:
    fake_provider.script("gpt-4o", Fault(status=429, retry_after=2.5, message="busy"))
    client = make_client()
    response = client.chat.completions.create(
        model="gpt-4o/gpt-4o-mini",
        messages=[{"role": "user", "content": "x"}],
        extra_headers=helicone_retry(2),
    )
    request_id = response.headers["Helicone-Id"]
    rows = attempt_rows(client, request_id)
    assert [
        (r["attempt"], r["target_index"], r["provider"], r["model"], r["status"], r["wait_ms"])
        for r in rows
    ] == [
        (1, 0, "openai", "gpt-4o", 429, 0.0),
        (2, 0, "openai", "gpt-4o", 429, 2500.0),
        (3, 0, "openai", "gpt-4o", 429, 3000.0),
        (4, 1, "openai", "gpt-4o-mini", 200, 0.0),
    ]
    assert all(r["request_id"] == request_id for r in rows)
    assert all("RateLimitError" in r["error"] and "busy" in r["error"] for r in rows[:3])
    assert "retries exhausted (2)" in rows[2]["error"]
    assert rows[3]["error"] is None
    assert all(r["latency_ms"] is not None and r["latency_ms"] >= 0 for r in rows)
    assert rows[0]["created_at"].startswith("2027-01-15T08:00:00")  # the injected clock
    assert request_row(client, request_id)["attempts"] == 4


def test_one_attempt_leaves_no_attempts_rows(make_client: MakeClient) -> None:
    client = make_client()
    response = client.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "x"}]
    )
    request_id = response.headers["Helicone-Id"]
    assert attempt_rows(client, request_id) == []
    row = request_row(client, request_id)
    assert (row["attempts"], row["fallback_index"], row["provider"]) == (1, 0, "openai")
    assert response.headers["Helicone-Fallback-Index"] == "0"
    assert response.headers["Helicone-Model"] == "gpt-4o"


def test_an_org_model_id_is_one_model_on_the_endpoint(
    make_client: MakeClient, fake_provider: FakeProvider
) -> None:
    client = make_client()
    response = client.chat.completions.create(
        model="meta-llama/Llama-3-70b", messages=[{"role": "user", "content": "x"}]
    )
    assert response.model == "meta-llama/Llama-3-70b"
    assert [r.model for r in fake_provider.requests] == ["meta-llama/Llama-3-70b"]
