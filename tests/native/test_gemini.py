"""``helicone_lite.Gemini``: google-genai's own calls, types and errors through the stack."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from google import genai
from google.genai import errors, types
from pydantic import BaseModel, TypeAdapter

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import Gem, helicone_on_wire

MODEL = "gemini-2.5-flash"
HEADERS = {
    "Helicone-User-Id": "patient-7",
    "Helicone-Property-Feature": "triage",
    "Helicone-Session-Id": "s-9",
    "Helicone-Session-Path": "/intake",
}


async def test_generate_content_is_the_sdks_response_and_one_row(gem: Gem) -> None:
    gem.fake.script(MODEL, Reply(text="Paris.", prompt_tokens=20, completion_tokens=2))
    response = await gem.generate(
        model=MODEL,
        contents="Capital of France?",
        config={"temperature": 0.1, "http_options": {"headers": HEADERS}},
    )
    assert isinstance(response, types.GenerateContentResponse) and response.text == "Paris."
    [row] = gem.rows()
    assert (row["kind"], row["provider"], row["model"]) == (
        "gemini.generate_content",
        "gemini",
        MODEL,
    )
    assert (row["prompt_tokens"], row["completion_tokens"], row["status"]) == (20, 2, 200)
    assert row["cost_usd"] > 0 and row["response_model"] == MODEL
    assert row["user_id"] == "patient-7" and json.loads(row["properties"]) == {"feature": "triage"}
    assert (row["session_id"], row["session_path"]) == ("s-9", "/intake")
    body = json.loads(row["request_body"])
    assert body["contents"] == "Capital of France?" and "http_options" not in body["config"]
    assert helicone_on_wire(gem.fake) == []
    headers = response.sdk_http_response.headers  # type: ignore[union-attr]
    assert headers["Helicone-Id"] == row["id"]


async def test_cache_hit_and_stream_replay(gem: Gem) -> None:
    gem.fake.script(MODEL, Reply(text="Hello there, friend", chunk_size=5))
    cached = {"cache_enabled": True}
    first = await gem.generate(model=MODEL, contents="Hi", helicone=cached)
    second = await gem.generate(model=MODEL, contents="Hi", helicone=cached)
    assert second.text == first.text
    assert second.sdk_http_response.headers["Helicone-Cache"] == "HIT"
    live = await gem.stream(model=MODEL, contents="Hi again", helicone=cached)
    replay = await gem.stream(model=MODEL, contents="Hi again", helicone=cached)
    assert "".join(c.text or "" for c in live) == "".join(c.text or "" for c in replay)
    assert len(replay) == len(live) > 1
    assert replay[0].sdk_http_response.headers["Helicone-Cache"] == "HIT"
    rows = gem.rows()
    assert [(r["stream"], r["cache_status"]) for r in rows] == [
        (0, "MISS"),
        (0, "HIT"),
        (1, "MISS"),
        (1, "HIT"),
    ]
    assert rows[2]["completion_tokens"] > 0 and rows[2]["ttft_ms"] is not None
    assert len([r for r in gem.fake.requests if r.inference]) == 2


async def test_a_client_error_is_genais_client_error(gem: Gem) -> None:
    gem.fake.script(MODEL, Fault(status=400, message="bad contents"))
    with pytest.raises(errors.ClientError, match="bad contents"):
        await gem.generate(model=MODEL, contents="Hi")
    [row] = gem.rows()
    assert row["status"] == 400 and "bad contents" in row["error"]


async def test_retry_options_become_the_retry_layers(
    mode: str, fake_provider: FakeProvider, home: Path
) -> None:
    made = Gem(mode, fake_provider, home, http_options={"retry_options": {"attempts": 3}})
    try:
        assert made.client.configured_max_retries == 2
        fake_provider.script(MODEL, Fault(status=503, message="overloaded"), times=2)
        response = await made.generate(model=MODEL, contents="Hi")
        assert response.text == "echo: Hi" and len(fake_provider.requests) == 3
        [row] = made.rows()
        assert row["attempts"] == 3
    finally:
        made.client.close()


async def test_fallback_within_gemini_and_refused_across(gem: Gem) -> None:
    gem.fake.script(MODEL, Fault(status=500, message="down"))
    response = await gem.generate(
        model=MODEL, contents="Hi", helicone={"fallbacks": ["gemini-2.5-pro"]}
    )
    assert response.model_version == "gemini-2.5-pro"
    assert [r.model for r in gem.fake.requests] == [MODEL, "gemini-2.5-pro"]
    with pytest.raises(helicone_lite.OptionsError, match="fallbacks"):
        await gem.generate(model=MODEL, contents="Hi", helicone={"fallbacks": ["claude-haiku-4-5"]})
    assert len(gem.rows()) == 1


async def test_rate_limit_refusal_is_genais_client_error(gem: Gem) -> None:
    policy = {"ratelimit_policy": "1;w=60"}
    await gem.generate(model=MODEL, contents="Hi", helicone=policy)
    with pytest.raises(errors.ClientError) as err:
        await gem.generate(model=MODEL, contents="Hi", helicone=policy)
    assert err.value.code == 429


async def test_count_tokens_is_logged(gem: Gem) -> None:
    counted = await gem.count_tokens(model=MODEL, contents="Hi", helicone={"user_id": "u-3"})
    assert isinstance(counted, types.CountTokensResponse)
    [row] = gem.rows()
    assert (row["kind"], row["status"], row["user_id"]) == ("gemini.count_tokens", 200, "u-3")


def test_is_a_genai_client_and_keeps_default_headers_off_the_wire(
    fake_provider: FakeProvider, home: Path
) -> None:
    client = helicone_lite.Gemini(
        api_key="k",
        http_options={
            "base_url": fake_provider.gemini_base_url,
            "headers": {"Helicone-User-Id": "team"},
        },
        home=home,
    )
    try:
        assert isinstance(client, genai.Client)
        client.models.generate_content(model=MODEL, contents="Hi")
        assert helicone_on_wire(fake_provider) == []
        client.flush()
        assert [r["user_id"] for r in client.store.query("SELECT user_id FROM requests")] == [
            "team"
        ]
    finally:
        client.close()


def test_no_key_fails_as_genai_does(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in ("GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError) as raw:
        genai.Client()
    with pytest.raises(ValueError) as ours:
        helicone_lite.Gemini(home=home)
    assert str(ours.value) == str(raw.value)


class Recipe(BaseModel):
    name: str


@pytest.mark.parametrize("schema", [Recipe, list[Recipe]], ids=["class", "list"])
async def test_a_response_schema_type_is_cached_and_parsed_as_the_sdk_parses(
    gem: Gem, schema: Any
) -> None:
    answer = '[{"name": "scones"}]' if schema is not Recipe else '{"name": "scones"}'
    gem.fake.script(MODEL, Reply(text=answer))
    config: Any = {"response_mime_type": "application/json", "response_schema": schema}
    raw = genai.Client(api_key="k", http_options={"base_url": gem.fake.gemini_base_url})
    expected = raw.models.generate_content(model=MODEL, contents="A recipe", config=config).parsed
    cached = {"cache_enabled": True}
    for _ in range(2):
        response = await gem.generate(
            model=MODEL, contents="A recipe", config=config, helicone=cached
        )
        assert response.parsed == expected and type(response.parsed) is type(expected)
    rows = gem.rows()
    assert [r["cache_status"] for r in rows] == ["MISS", "HIT"]
    logged = json.loads(rows[0]["request_body"])["config"]["response_schema"]
    assert logged == TypeAdapter(schema).json_schema()
