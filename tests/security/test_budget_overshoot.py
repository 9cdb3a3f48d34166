"""A cents budget's overshoot is reported (finding 11): a call that cost more than its
reservation (no ``max_tokens``: the completion is an estimate) says so in a reply header and in
one warning per policy."""

from __future__ import annotations

import logging

import pytest

from helicone_lite.ratelimit._estimate import DEFAULT_COMPLETION_TOKENS
from helicone_lite.testing import FakeProvider, Reply

from .conftest import MESSAGES, MakeClient


def test_a_call_beyond_its_reservation_is_reported(
    make_client: MakeClient, fake: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    long_answer = Reply(
        text="ok", prompt_tokens=10, completion_tokens=DEFAULT_COMPLETION_TOKENS * 4
    )
    fake.enqueue(long_answer, long_answer)
    headers = {"Helicone-RateLimit-Policy": "1000;w=3600;u=cents"}
    with caplog.at_level(logging.WARNING, logger="helicone_lite"):
        for _ in range(2):
            response = client.chat.completions.create(
                model="gpt-4o-mini", messages=MESSAGES, extra_headers=headers
            )
            amount, unit = response.headers["Helicone-RateLimit-Overshoot"].split(";")
            assert float(amount) > 0 and unit == "u=cents"
    assert len([r for r in caplog.records if "beyond its reservation" in r.getMessage()]) == 1


def test_a_call_within_its_reservation_has_no_overshoot(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    client = make_client()
    fake.enqueue(Reply(text="ok", prompt_tokens=10, completion_tokens=5))
    response = client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        max_tokens=50,
        extra_headers={"Helicone-RateLimit-Policy": "1000;w=3600;u=cents"},
    )
    assert "Helicone-RateLimit-Overshoot" not in response.headers
