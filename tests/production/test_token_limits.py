"""Helicone-Token-Limit-Exception-Handler: truncate, middle-out and fallback act before the call
when the prompt exceeds the model's context window (genai-prices: gpt-4o-mini 128k tokens,
gpt-4.1 1M); the row records what was done."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider
from helicone_lite.tokenlimit import estimate_tokens, fit_middle_out, fit_truncate

TURN = "word " * 24_000  # ~30k tokens by the estimate
HUGE = "x" * 600_000  # ~150k tokens


@pytest.fixture
def client(fake_provider: FakeProvider, home: Path) -> Iterator[helicone_lite.Client]:
    c = helicone_lite.Client(api_key="sk-x", base_url=fake_provider.openai_base_url, home=home)
    yield c
    c.close()


def handler(name: str) -> dict[str, str]:
    return {"Helicone-Token-Limit-Exception-Handler": name}


def last_row(client: helicone_lite.Client) -> dict[str, Any]:
    client.flush()
    rows: list[dict[str, Any]] = client.store.query("SELECT * FROM requests ORDER BY rowid")
    return rows[-1]


def test_truncate_drops_the_oldest_turns(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    messages = [{"role": "system", "content": "You are terse."}]
    for i in range(5):
        messages.append({"role": "user" if i % 2 == 0 else "assistant", "content": f"t{i} {TURN}"})
    messages.append({"role": "user", "content": "And now?"})
    client.chat.completions.create(
        model="gpt-4o-mini", messages=messages, max_tokens=1000, extra_headers=handler("truncate")
    )
    sent = fake_provider.last_request.json["messages"]
    assert sent[0]["role"] == "system" and sent[-1]["content"] == "And now?"
    assert [m["content"][:2] for m in sent[1:-1]] == ["t1", "t2", "t3", "t4"]
    row = last_row(client)
    assert row["token_limit_action"] == "truncate:dropped=1"
    assert '"t0 ' not in row["request_body"]  # the row holds the call as sent


def test_middle_out_cuts_the_middle_of_one_huge_message(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    text = "HEAD" + HUGE + "TAIL"
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": text}],
        extra_headers=handler("middle-out"),
    )
    sent = fake_provider.last_request.json["messages"][0]["content"]
    assert sent.startswith("HEAD") and sent.endswith("TAIL") and "middle-out" in sent
    assert estimate_tokens([{"content": sent}]) <= 128_000
    assert last_row(client)["token_limit_action"].startswith("middle-out:removed=")


def test_fallback_moves_to_a_target_whose_window_fits(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    r = client.chat.completions.create(
        model="gpt-4o-mini/gpt-4.1",
        messages=[{"role": "user", "content": HUGE}],
        extra_headers=handler("fallback"),
    )
    assert [q.model for q in fake_provider.requests] == ["gpt-4.1"]
    assert r.model == "gpt-4.1"
    assert last_row(client)["token_limit_action"] == "fallback:to=gpt-4.1"


def test_fallback_with_no_larger_model_is_a_context_length_error(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    with pytest.raises(openai.BadRequestError, match="context window") as info:
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": HUGE}],
            extra_headers=handler("fallback"),
        )
    assert info.value.code == "context_length_exceeded"
    assert fake_provider.requests == []
    assert last_row(client)["token_limit_action"].startswith("fallback:none-fits")


def test_fitting_and_unknown_models_pass_unchanged(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    small = [{"role": "user", "content": "hi"}]
    client.chat.completions.create(
        model="gpt-4o-mini", messages=small, extra_headers=handler("truncate")
    )
    assert last_row(client)["token_limit_action"] is None
    client.chat.completions.create(
        model="my-local-model",
        messages=[{"role": "user", "content": HUGE}],
        extra_headers=handler("truncate"),
    )
    assert len(fake_provider.last_request.json["messages"][0]["content"]) == len(HUGE)
    assert last_row(client)["token_limit_action"] == "unknown-window"


def test_bad_handler_is_a_clear_error(
    client: helicone_lite.Client, fake_provider: FakeProvider
) -> None:
    with pytest.raises(
        helicone_lite.OptionsError, match=re.escape("truncate | middle-out | fallback")
    ):
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=[{"role": "user", "content": "x"}],
            extra_headers=handler("drop"),
        )
    assert fake_provider.requests == []


def test_fitters_directly() -> None:
    only_system = [{"role": "system", "content": TURN}, {"role": "user", "content": TURN}]
    kept, dropped = fit_truncate(only_system, 10)
    assert dropped == 0 and kept == only_system  # never drops system or the last message
    many = [{"role": "user", "content": f"{i} {TURN}"} for i in range(6)]
    kept, removed = fit_middle_out(many, 70_000)
    assert kept[0] is many[0] and kept[-1] is many[-1] and removed > 0
    assert estimate_tokens(kept) <= 70_000
