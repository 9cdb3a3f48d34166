"""``helicone_lite.Anthropic`` / ``AsyncAnthropic``: the anthropic SDK's own calls, types and
errors, through the stack (logged, cached, limited, retried, falling back)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anthropic
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply

from .conftest import Claude, helicone_on_wire

MODEL = "claude-sonnet-4-6"
HI = [{"role": "user", "content": "Hi"}]


async def test_create_is_the_sdks_message_and_one_row(claude: Claude) -> None:
    claude.fake.script(MODEL, Reply(text="Paris.", prompt_tokens=20, completion_tokens=2))
    message = await claude.create(
        model=MODEL,
        max_tokens=50,
        messages=HI,
        extra_headers={
            "Helicone-User-Id": "patient-7",
            "Helicone-Property-Feature": "triage",
            "Helicone-Session-Id": "s-1",
            "Helicone-Session-Path": "/intake",
        },
    )
    assert isinstance(message, anthropic.types.Message)
    assert message.content[0].text == "Paris."  # type: ignore[union-attr]
    [row] = claude.rows()
    assert row["kind"] == "anthropic.messages" and row["provider"] == "anthropic"
    assert (row["model"], row["response_model"], row["status"]) == (MODEL, MODEL, 200)
    assert (row["prompt_tokens"], row["completion_tokens"]) == (20, 2)
    assert row["cost_usd"] > 0
    assert row["user_id"] == "patient-7" and json.loads(row["properties"]) == {"feature": "triage"}
    assert (row["session_id"], row["session_path"]) == ("s-1", "/intake")
    assert json.loads(row["request_body"])["messages"] == HI
    assert json.loads(row["response_body"])["content"][0]["text"] == "Paris."
    assert helicone_on_wire(claude.fake) == []


async def test_helicone_kwarg_and_a_bad_option_before_any_request(claude: Claude) -> None:
    await claude.create(model=MODEL, max_tokens=5, messages=HI, helicone={"user_id": "u-2"})
    with pytest.raises(helicone_lite.OptionsError, match="cache_enabled"):
        await claude.create(model=MODEL, max_tokens=5, messages=HI, helicone={"cache_enabled": 3})
    with pytest.raises(helicone_lite.OptionsError):
        await claude.create(
            model=MODEL, max_tokens=5, messages=HI, extra_headers={"Helicone-Cache-Enabled": "x"}
        )
    assert [r["user_id"] for r in claude.rows()] == ["u-2"]
    assert len(claude.fake.requests) == 1


async def test_raw_response_carries_helicone_headers_and_cache_hits(claude: Claude) -> None:
    cached = {"cache_enabled": True}
    first = await claude.raw(model=MODEL, max_tokens=50, messages=HI, helicone=cached)
    second = await claude.raw(model=MODEL, max_tokens=50, messages=HI, helicone=cached)
    assert first.headers["Helicone-Cache"] == "MISS" and second.headers["Helicone-Cache"] == "HIT"
    assert first.headers["request-id"].startswith("req_fake")  # the provider's own headers
    assert first.status_code == second.status_code == 200
    one, two = first.parse(), second.parse()
    if claude.mode == "async":
        one, two = await one, await two
    assert isinstance(two, anthropic.types.Message) and two.content == one.content
    assert len([r for r in claude.fake.requests if r.inference]) == 1
    assert [r["cache_status"] for r in claude.rows()] == ["MISS", "HIT"]
    assert second.headers["Helicone-Id"] == claude.rows()[1]["id"]


async def test_stream_is_logged_and_replayed_from_the_cache(claude: Claude) -> None:
    claude.fake.script(MODEL, Reply(text="Hello there, friend", chunk_size=5))
    cached = {"cache_enabled": True}
    live = await claude.create(
        model=MODEL, max_tokens=50, messages=HI, stream=True, helicone=cached
    )
    replay = await claude.create(
        model=MODEL, max_tokens=50, messages=HI, stream=True, helicone=cached
    )
    assert live[0].type == "message_start" and live[-1].type == "message_stop"
    assert [e.model_dump() for e in replay] == [e.model_dump() for e in live]
    rows = claude.rows()
    assert [(r["stream"], r["cache_status"]) for r in rows] == [(1, "MISS"), (1, "HIT")]
    assert rows[0]["completion_tokens"] > 0 and rows[0]["ttft_ms"] is not None
    assert json.loads(rows[0]["response_body"])["content"][0]["text"] == "Hello there, friend"


async def test_messages_stream_helper_with_reply_headers(claude: Claude) -> None:
    cached = {"cache_enabled": True}
    text, headers, final = await claude.stream(
        model=MODEL, max_tokens=50, messages=HI, helicone=cached
    )
    again, replay_headers, _ = await claude.stream(
        model=MODEL, max_tokens=50, messages=HI, helicone=cached
    )
    assert text == again == "echo: Hi"
    assert isinstance(final, anthropic.types.Message) and final.usage.output_tokens > 0
    assert headers["Helicone-Cache"] == "MISS" and replay_headers["Helicone-Cache"] == "HIT"
    assert [r["kind"] for r in claude.rows()] == ["anthropic.messages"] * 2


async def test_errors_are_anthropics_own_and_logged(claude: Claude) -> None:
    claude.fake.script(MODEL, Fault(status=400, message="bad request"))
    with pytest.raises(anthropic.BadRequestError, match="bad request"):
        await claude.create(model=MODEL, max_tokens=5, messages=HI)
    [row] = claude.rows()
    assert row["status"] == 400 and "bad request" in row["error"]


async def test_retries_are_the_retry_layers(claude: Claude) -> None:
    claude.fake.script(MODEL, Fault(status=529, message="overloaded"), times=2)
    message = await claude.create(model=MODEL, max_tokens=5, messages=HI)
    assert message.content[0].text == "echo: Hi"
    assert len(claude.fake.requests) == 3  # max_retries=2 (anthropic's default), the layer's
    [row] = claude.rows()
    assert row["status"] == 200 and row["attempts"] == 3


async def test_connection_errors_are_retried(claude: Claude) -> None:
    claude.fake.script(MODEL, Fault(reset=True), times=1)
    await claude.create(model=MODEL, max_tokens=5, messages=HI)
    assert len(claude.fake.requests) == 2


async def test_fallback_within_anthropic(claude: Claude) -> None:
    claude.fake.script(MODEL, Fault(status=500, message="down"))
    message = await claude.create(
        model=MODEL,
        max_tokens=5,
        messages=HI,
        helicone={"fallbacks": ["claude-haiku-4-5"]},
    )
    haiku = "claude-haiku-4-5-20251001"  # a fallback's alias is resolved, as for Client
    assert [r.json["model"] for r in claude.fake.requests] == [MODEL] * 3 + [haiku]
    assert message.model == haiku
    [row] = claude.rows()
    assert row["status"] == 200 and row["response_model"] == haiku


async def test_fallback_to_another_provider_is_refused_when_built(claude: Claude) -> None:
    with pytest.raises(helicone_lite.OptionsError, match="fallbacks") as err:
        await claude.create(
            model=MODEL, max_tokens=5, messages=HI, helicone={"fallbacks": ["gpt-4o-mini"]}
        )
    assert "openai" in str(err.value) and "helicone_lite.Client" in str(err.value)
    assert claude.fake.requests == [] and claude.rows() == []


async def test_rate_limit_refusal_is_anthropics_rate_limit_error(claude: Claude) -> None:
    policy = {"Helicone-RateLimit-Policy": "1;w=60"}
    await claude.create(model=MODEL, max_tokens=5, messages=HI, extra_headers=policy)
    with pytest.raises(anthropic.RateLimitError):
        await claude.create(model=MODEL, max_tokens=5, messages=HI, extra_headers=policy)
    assert len(claude.fake.requests) == 1
    assert [r["status"] for r in claude.rows()] == [200, 429]


async def test_count_tokens_and_other_endpoints_are_logged(claude: Claude) -> None:
    counted = await claude.count_tokens(
        model=MODEL, messages=HI, extra_headers={"Helicone-User-Id": "u-9"}
    )
    assert isinstance(counted, anthropic.types.MessageTokensCount)
    [row] = claude.rows()
    assert row["kind"] == "anthropic POST /messages/count_tokens"
    assert (row["model"], row["status"], row["user_id"]) == (MODEL, 200, "u-9")
    assert row["latency_ms"] is not None and row["cost_usd"] is None
    assert helicone_on_wire(claude.fake) == []


async def test_with_options_shares_the_log_and_defaults(claude: Claude) -> None:
    other = claude.client.with_options(timeout=30, helicone={"user_id": "copy"})
    assert isinstance(other, type(claude.client))
    if claude.mode == "sync":
        other.messages.create(model=MODEL, max_tokens=5, messages=HI)
    else:
        await other.messages.create(model=MODEL, max_tokens=5, messages=HI)
    assert [r["user_id"] for r in claude.rows()] == ["copy"]
    assert other.configured_max_retries == claude.client.configured_max_retries == 2


def test_construction_matches_the_sdk(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-env")
    client = helicone_lite.Anthropic(
        home=home, default_headers={"Helicone-Property-App": "x"}, max_retries=4
    )
    try:
        raw = anthropic.Anthropic()
        assert isinstance(client, anthropic.Anthropic)
        assert (client.api_key, str(client.base_url)) == (raw.api_key, str(raw.base_url))
        assert client.configured_max_retries == 4 == client.max_retries  # as given, as in the SDK
        assert client.helicone_defaults.properties == {"app": "x"}
        assert not any(k.lower().startswith("helicone") for k in client.default_headers)
    finally:
        client.close()


async def test_default_headers_never_reach_the_wire(
    mode: str, fake_provider: FakeProvider, home: Path
) -> None:
    made = Claude(mode, fake_provider, home, default_headers={"Helicone-User-Id": "team"})
    try:
        await made.create(model=MODEL, max_tokens=5, messages=HI)
        await made.count_tokens(model=MODEL, messages=HI)
        assert helicone_on_wire(fake_provider) == []
        assert [r["user_id"] for r in made.rows()] == ["team", "team"]
    finally:
        await made.close()


def test_the_sdks_are_imported_on_first_use_only() -> None:
    import subprocess
    import sys

    code = (
        "import sys, helicone_lite; seen = lambda: [m in sys.modules for m in "
        "('anthropic', 'google.genai')]; before = seen(); helicone_lite.Anthropic; "
        "print(before, seen())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[False, False] [True, False]"


async def test_a_registry_prompt_renders_into_messages_and_system(claude: Claude) -> None:
    claude.client.prompts.create(
        "triage",
        messages=[
            {"role": "system", "content": "You triage for {{hc:department:string}}."},
            {"role": "user", "content": "Context: {{hc:department:string}} ward."},
        ],
        model="claude-haiku-4-5",
        temperature=0.1,
    )
    message = await claude.create(
        model=MODEL,
        max_tokens=50,
        system="Be brief.",
        messages=HI,
        extra_headers={"Helicone-Prompt-Id": "triage"},
        helicone={"prompt_inputs": {"department": "cardiology"}},
    )
    assert isinstance(message, anthropic.types.Message)
    [wire] = [r.json for r in claude.fake.requests if r.inference]
    assert wire["model"] == MODEL and wire["temperature"] == 0.1
    assert wire["system"] == [
        {"type": "text", "text": "You triage for cardiology."},
        {"type": "text", "text": "Be brief."},
    ]
    assert wire["messages"] == [
        {"role": "user", "content": "Context: cardiology ward."},
        {"role": "user", "content": "Hi"},
    ]
    [row] = claude.rows()
    assert (row["prompt_id"], row["prompt_version"]) == ("triage", 1)
    assert json.loads(row["request_body"])["messages"] == wire["messages"]


def test_no_key_fails_as_anthropic_does(
    monkeypatch: pytest.MonkeyPatch, fake_provider: FakeProvider, home: Path
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    failures = []
    for make in (anthropic.Anthropic, helicone_lite.Anthropic):
        extra = {"home": home} if make is helicone_lite.Anthropic else {}
        client = make(base_url=fake_provider.anthropic_base_url, **extra)
        with pytest.raises(Exception) as err:
            client.messages.create(model=MODEL, max_tokens=5, messages=HI)
        failures.append((type(err.value), str(err.value)))
        client.close()
    assert failures[0] == failures[1] and failures[0][0] is TypeError
    assert fake_provider.requests == []


async def test_with_streaming_response_and_a_raw_stream(claude: Claude) -> None:
    messages = claude.client.messages
    if claude.mode == "sync":
        with messages.with_streaming_response.create(
            model=MODEL, max_tokens=5, messages=HI
        ) as response:
            assert response.headers["Helicone-Id"] and response.parse().content
        raw = messages.with_raw_response.create(model=MODEL, max_tokens=5, messages=HI, stream=True)
        events = list(raw.parse())
    else:
        async with messages.with_streaming_response.create(
            model=MODEL, max_tokens=5, messages=HI
        ) as response:
            assert response.headers["Helicone-Id"] and (await response.parse()).content
        raw = await messages.with_raw_response.create(
            model=MODEL, max_tokens=5, messages=HI, stream=True
        )
        events = [e async for e in await raw.parse()]
    assert raw.headers["Helicone-Id"] and events[-1].type == "message_stop"
    assert [r["stream"] for r in claude.rows()] == [0, 1]


async def test_parse_and_beta_are_rebuilt_as_asked_on_a_cache_hit(claude: Claude) -> None:
    from pydantic import BaseModel

    class Answer(BaseModel):
        answer: str

    claude.fake.script(MODEL, Reply(text='{"answer": "Paris"}'))
    cached = {"cache_enabled": True}
    messages, beta = claude.client.messages, claude.client.beta.messages
    for _ in range(2):
        parsed = messages.parse(
            model=MODEL, max_tokens=50, messages=HI, output_format=Answer, helicone=cached
        )
        from_beta = beta.create(
            model=MODEL,
            max_tokens=50,
            messages=HI,
            extra_headers={"Helicone-Cache-Enabled": "true"},
        )
        if claude.mode == "async":
            parsed, from_beta = await parsed, await from_beta
        assert parsed.parsed_output == Answer(answer="Paris")
        assert type(from_beta).__name__ == "BetaMessage"
    assert [r["cache_status"] for r in claude.rows()] == ["MISS", "MISS", "HIT", "HIT"]


async def test_a_raw_response_counts_the_retry_layers_retries_as_the_sdk_does(
    claude: Claude,
) -> None:
    """anthropic's ``retries_taken``: 1 after one retried 500, as its own retry loop says."""
    messages = claude.client.messages
    taken = []
    for stream in (False, True):
        claude.fake.script(MODEL, Fault(status=500), times=1)
        raw = messages.with_raw_response.create(
            model=MODEL, max_tokens=5, messages=HI, stream=stream
        )
        raw = raw if claude.mode == "sync" else await raw
        taken.append(raw.retries_taken)
        if stream:  # read to its end, so the call is logged
            if claude.mode == "sync":
                kinds = [e.type for e in raw.parse()]
            else:
                kinds = [e.type async for e in await raw.parse()]
            assert kinds[-1] == "message_stop"
    claude.fake.script(MODEL, Fault(status=500), times=2)
    if claude.mode == "sync":
        with messages.with_streaming_response.create(
            model=MODEL, max_tokens=5, messages=HI
        ) as response:
            taken.append(response.retries_taken)
    else:
        async with messages.with_streaming_response.create(
            model=MODEL, max_tokens=5, messages=HI
        ) as aresponse:
            taken.append(aresponse.retries_taken)
    plain = await claude.raw(model=MODEL, max_tokens=5, messages=HI)
    assert [*taken, plain.retries_taken] == [1, 1, 2, 0]
    assert len(claude.fake.requests) == 8


def _sse_data(lines: list[str]) -> list[Any]:
    """The JSON of every ``data:`` line but ``ping``'s, ids and message ids left out."""
    out = []
    for line in lines:
        if line.startswith("data:"):
            data = json.loads(line.removeprefix("data:"))
            if data["type"] != "ping":
                data.get("message", {}).pop("id", None)
                out.append(data)
    return out


async def test_a_streamed_raw_response_read_as_lines_is_logged_cached_and_the_sdks(
    claude: Claude,
) -> None:
    """``with_streaming_response.create(stream=True)`` read with ``iter_lines()`` (not
    ``parse()``): the same events as the raw SDK reads, one logged row each, a replayed hit."""
    params: dict[str, Any] = {"model": MODEL, "max_tokens": 5, "messages": HI, "stream": True}
    raw_sdk = anthropic.Anthropic(api_key="k", base_url=claude.fake.anthropic_base_url)
    with raw_sdk.messages.with_streaming_response.create(**params) as response:
        expected = _sse_data(list(response.iter_lines()))
    raw_sdk.close()
    messages = claude.client.messages
    seen = []
    for _ in range(2):
        if claude.mode == "sync":
            with messages.with_streaming_response.create(
                **params, helicone={"cache_enabled": True}
            ) as ours:
                seen.append((ours.headers["Helicone-Cache"], _sse_data(list(ours.iter_lines()))))
        else:
            async with messages.with_streaming_response.create(
                **params, helicone={"cache_enabled": True}
            ) as aours:
                lines = [line async for line in aours.iter_lines()]
                seen.append((aours.headers["Helicone-Cache"], _sse_data(lines)))
    assert seen == [("MISS", expected), ("HIT", expected)]
    rows = claude.rows()
    assert [(r["stream"], r["cache_status"], r["completion_tokens"]) for r in rows] == [
        (1, "MISS", 2),
        (1, "HIT", 2),
    ]
