"""The drop-in client: same results as openai, plus a log row per call."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest
from openai.types.chat import ChatCompletion as OpenAIChatCompletion

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import KEY, MESSAGES, rows


def test_create_returns_openai_types_and_logs_one_row(client: helicone_lite.Client) -> None:
    r = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, max_tokens=50)
    assert isinstance(r, OpenAIChatCompletion)
    assert r.choices[0].message.content
    assert "headers" not in r.model_dump()
    assert r.headers.get("helicone-id") == r.headers["Helicone-Id"]
    [row] = rows(client)
    assert row["id"] == r.headers["Helicone-Id"]
    assert row["status"] == 200 and row["stream"] == 0 and row["kind"] == "chat.completions"
    assert row["provider"] == "openai" and row["model"] == "gpt-4o-mini"
    assert row["response_model"] == r.model
    assert row["prompt_tokens"] == r.usage.prompt_tokens  # type: ignore[union-attr]
    assert row["completion_tokens"] == r.usage.completion_tokens  # type: ignore[union-attr]
    assert row["cost_usd"] is not None and row["cost_usd"] > 0
    assert row["latency_ms"] > 0
    assert row["created_at"].endswith("Z")
    assert json.loads(row["request_body"])["messages"] == MESSAGES
    assert json.loads(row["response_body"])["choices"][0]["message"]["content"] == (
        r.choices[0].message.content
    )


def test_same_answer_as_the_raw_sdk(client: helicone_lite.Client, fake: FakeProvider) -> None:
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    ours = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    theirs = raw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    skip = {"id", "created"}
    assert ours.model_dump(exclude=skip) == theirs.model_dump(exclude=skip)


def test_stream_yields_the_raw_chunks_and_logs_ttft(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    theirs = [
        c.choices[0].delta.content
        for c in raw.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    ]
    stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
    assert isinstance(stream, openai.Stream)
    chunks = list(stream)
    assert [c.choices[0].delta.content for c in chunks] == theirs  # usage chunk not shown
    assert stream.headers.get("Helicone-Id")
    # we asked upstream for usage so the cost is known
    assert fake.requests[-1].json["stream_options"] == {"include_usage": True}
    [row] = rows(client)  # the raw SDK call is not logged
    assert row["stream"] == 1 and row["status"] == 200
    assert row["ttft_ms"] is not None and 0 < row["ttft_ms"] <= row["latency_ms"]
    assert row["prompt_tokens"] > 0 and row["cost_usd"] is not None
    text = "".join(c or "" for c in theirs)
    assert json.loads(row["response_body"])["choices"][0]["message"]["content"] == text


def test_stream_usage_chunk_shown_when_asked(client: helicone_lite.Client) -> None:
    chunks = list(
        client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


def test_stream_as_context_manager_closed_early_is_logged(client: helicone_lite.Client) -> None:
    with client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True) as s:
        next(iter(s))
    [row] = rows(client)
    assert row["stream"] == 1
    assert "closed" in (row["error"] or "")


def test_provider_error_raises_openai_class_and_is_logged(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("gpt-4o-mini", Fault(status=400))
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert info.value.status_code == 400
    [row] = rows(client)
    assert row["status"] == 400 and "BadRequestError" in row["error"]
    assert row["cost_usd"] is None


def test_connection_error_is_status_zero(client: helicone_lite.Client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", Fault(reset=True), times=10)
    with pytest.raises(openai.APIConnectionError):
        client.with_options(max_retries=0).chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES
        )
    assert rows(client)[-1]["status"] == 0


def test_with_raw_response(client: helicone_lite.Client) -> None:
    raw = client.chat.completions.with_raw_response.create(model="gpt-4o-mini", messages=MESSAGES)
    assert raw.headers.get("Helicone-Id")
    assert raw.headers.get("x-request-id")
    completion = raw.parse()
    assert isinstance(completion, OpenAIChatCompletion)
    assert raw.http_response is not None and raw.status_code == 200
    assert rows(client)[0]["id"] == raw.headers["helicone-id"]


def test_with_streaming_response(client: helicone_lite.Client) -> None:
    with client.chat.completions.with_streaming_response.create(
        model="gpt-4o-mini", messages=MESSAGES
    ) as response:
        assert response.parse().choices[0].message.content
        assert response.headers.get("Helicone-Id")


def test_with_options_keeps_store_stack_and_defaults(client: helicone_lite.Client) -> None:
    tagged = client.with_options(timeout=5, default_headers={"Helicone-Property-Team": "ml"})
    assert isinstance(tagged, helicone_lite.Client)
    assert tagged.store is client.store
    assert tagged.timeout == 5
    tagged.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    logged = rows(client)
    assert [json.loads(r["properties"]) for r in logged] == [{"team": "ml"}, {}]


def test_default_headers_apply_and_per_call_values_win(fake: FakeProvider, home: Any) -> None:
    client = helicone_lite.Client(
        api_key=KEY,
        base_url=fake.openai_base_url,
        home=home,
        default_headers={"Helicone-User-Id": "default-user", "Helicone-Property-App": "triage"},
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-User-Id": "u2"}
    )
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={"Helicone-User-Id": "u2"},
        helicone={"user_id": "u3"},
    )
    assert [r["user_id"] for r in rows(client)] == ["default-user", "u2", "u3"]
    for request in fake.requests:
        assert not [h for h in request.headers if h.lower().startswith("helicone-")]
    client.close()


def test_no_helicone_header_reaches_the_wire(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        stream=False,
        extra_headers={
            "Helicone-Session-Id": "s1",
            "Helicone-Session-Path": "/a",
            "helicone-property-x": "y",
            "HELICONE-USER-ID": "u",
            "Cache-Control": "max-age=60",
            "Helicone-Auth": "Bearer sk-helicone-xyz",
            "X-Custom": "kept",
        },
    )
    headers = fake.requests[-1].headers
    assert not [h for h in headers if h.lower().startswith("helicone-") or h == "cache-control"]
    assert headers["x-custom"] == "kept"


def test_an_unknown_helicone_header_is_dropped_when_not_strict(
    fake: FakeProvider, home: Any
) -> None:
    """Unknown ``Helicone-*`` headers raise by default (issue 13); with
    ``strict_headers=False`` they are still never sent to the provider."""
    client = helicone_lite.Client(
        api_key="sk-test-x", base_url=fake.openai_base_url, home=home, strict_headers=False
    )
    try:
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Typo-Header": "1"}
        )
    finally:
        client.close()
    assert "helicone-typo-header" not in fake.requests[-1].headers


def test_user_falls_back_to_body_user(client: helicone_lite.Client) -> None:
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, user="body-user")
    assert rows(client)[0]["user_id"] == "body-user"


def test_request_id_header_sets_the_id(client: helicone_lite.Client) -> None:
    rid = "3f2b8c1e-6d4a-4b7e-9c1f-2a5d8e7f9b10"
    r = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Request-Id": rid}
    )
    assert r.headers["Helicone-Id"] == rid
    assert rows(client)[0]["id"] == rid


def test_omit_request_and_response(client: helicone_lite.Client) -> None:
    client.chat.completions.create(
        model="gpt-4o-mini",
        messages=MESSAGES,
        extra_headers={"Helicone-Omit-Request": "true", "Helicone-Omit-Response": "true"},
    )
    [row] = rows(client)
    assert json.loads(row["request_body"]) == {"model": "gpt-4o-mini"}
    assert json.loads(row["response_body"]) == {"model": "gpt-4o-mini"}
    assert row["prompt_tokens"] > 0 and row["cost_usd"] is not None and row["latency_ms"] > 0


def test_model_override_prices_another_model(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("*", Reply(text="x", prompt_tokens=1000, completion_tokens=0))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Helicone-Model-Override": "gpt-4o"}
    )
    mini, big = (r["cost_usd"] for r in rows(client))
    assert mini == pytest.approx(0.00015)
    assert big == pytest.approx(0.0025)


def test_cached_input_tokens_priced_as_cached(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script("*", Reply(text="x", prompt_tokens=1000, completion_tokens=0, cached_tokens=1000))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    [row] = rows(client)
    assert row["cached_tokens"] == 1000
    assert row["cost_usd"] == pytest.approx(0.000075)


def test_unknown_model_has_null_cost(client: helicone_lite.Client) -> None:
    client.chat.completions.create(model="my-local-llama", messages=MESSAGES)
    [row] = rows(client)
    assert row["status"] == 200 and row["prompt_tokens"] > 0 and row["cost_usd"] is None


def test_embeddings_are_logged(client: helicone_lite.Client) -> None:
    e = client.embeddings.create(model="text-embedding-3-small", input="hello world")
    assert len(e.data[0].embedding) > 0
    assert e.headers.get("Helicone-Id")
    [row] = rows(client)
    assert row["kind"] == "embeddings" and row["prompt_tokens"] > 0


def test_other_resources_work_as_on_openai_and_are_logged(client: helicone_lite.Client) -> None:
    models = client.models.list()
    assert len(list(models)) > 0
    [row] = rows(client)  # every endpoint is logged (see tests/core/test_endpoints.py)
    assert row["kind"] == "GET /models" and row["status"] == 200 and row["cost_usd"] is None


def test_secrets_never_reach_the_store(client: helicone_lite.Client, fake: FakeProvider) -> None:
    fake.script("gpt-4o-mini", Fault(status=401))
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=MESSAGES, extra_headers={"Authorization": f"Bearer {KEY}"}
        )
    client.flush()
    for path in client.store.path.parent.glob("helicone.db*"):
        assert KEY.encode() not in path.read_bytes()


def test_openai_environment_variables(
    fake: FakeProvider, home: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.openai_base_url)
    client = helicone_lite.Client(home=home)
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert fake.requests[-1].headers["authorization"] == f"Bearer {KEY}"
    client.close()
