"""The Responses API through the stack, on Client and AsyncClient, against the fake's
Responses wire protocol (JSON and SSE events) through the real openai SDK."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types.responses import Response as OpenAIResponse
from openai.types.responses import ResponseCompletedEvent
from pydantic import BaseModel

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

from .conftest import KEY, rows

TRACE = {
    "Helicone-User-Id": "alice",
    "Helicone-Session-Id": "s-1",
    "Helicone-Property-Team": "triage",
}


class Person(BaseModel):
    name: str
    age: int


class Run:
    """Calls a client method sync or async (one event loop per test) and iterates streams."""

    def __init__(self, is_async: bool) -> None:
        self.is_async = is_async
        self.loop = asyncio.new_event_loop() if is_async else None

    def __call__(self, value: Any) -> Any:
        return self.loop.run_until_complete(value) if self.loop is not None else value

    def events(self, stream: Any) -> list[Any]:
        if self.loop is None:
            return list(stream)

        async def collect() -> list[Any]:
            return [event async for event in stream]

        return self.loop.run_until_complete(collect())

    def helper(self, manager: Any) -> tuple[list[Any], Any]:
        """Everything ``responses.stream(...)`` yields, and its final response."""
        if self.loop is None:
            with manager as stream:
                return list(stream), stream.get_final_response()

        async def collect() -> tuple[list[Any], Any]:
            async with manager as stream:
                events = [event async for event in stream]
                return events, await stream.get_final_response()

        return self.loop.run_until_complete(collect())

    def close(self, client: Any) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(client.close())
            self.loop.close()
        else:
            client.close()


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Run:
    return Run(request.param == "async")


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


@pytest.fixture
def make(run: Run, fake: FakeProvider, home: Path) -> Iterator[Any]:
    made: list[Any] = []

    def build(**kwargs: Any) -> Any:
        cls = helicone_lite.AsyncClient if run.is_async else helicone_lite.Client
        options = {"api_key": KEY, "base_url": fake.openai_base_url, "home": home, **kwargs}
        client = cls(**options)
        made.append(client)
        return client

    yield build
    for client in made:
        run.close(client)


def _no_helicone_header(fake: FakeProvider) -> None:
    for request in fake.requests:
        assert not [h for h in request.headers if h.startswith("helicone")], request.path


def test_create_is_logged_with_tokens_cost_and_trace(
    run: Run, make: Any, fake: FakeProvider
) -> None:
    fake.script(
        "gpt-4o-mini",
        Reply(
            text="Hi", prompt_tokens=20, completion_tokens=4, cached_tokens=8, reasoning_tokens=3
        ),
    )
    client = make()
    response = run(client.responses.create(model="gpt-4o-mini", input="Hello", extra_headers=TRACE))
    assert isinstance(response, OpenAIResponse)
    assert response.output_text == "Hi"
    assert "headers" not in response.model_dump()
    [row] = rows(client)
    assert row["id"] == response.headers["Helicone-Id"]
    assert row["kind"] == "responses" and row["status"] == 200 and row["stream"] == 0
    assert (row["prompt_tokens"], row["completion_tokens"]) == (20, 7)
    assert (row["cached_tokens"], row["reasoning_tokens"]) == (8, 3)
    assert row["cost_usd"] is not None and row["cost_usd"] > 0
    assert row["user_id"] == "alice" and row["session_id"] == "s-1"
    assert json.loads(row["properties"]) == {"team": "triage"}
    assert json.loads(row["request_body"])["input"] == "Hello"
    assert json.loads(row["response_body"])["output"][0]["content"][0]["text"] == "Hi"
    _no_helicone_header(fake)


def test_same_answer_as_the_raw_sdk(run: Run, make: Any, fake: FakeProvider) -> None:
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    theirs = raw.responses.create(model="gpt-4o", input="Compare me", instructions="Be brief")
    ours = run(make().responses.create(model="gpt-4o", input="Compare me", instructions="Be brief"))
    skip = {"id", "created_at", "output"}
    assert ours.model_dump(exclude=skip) == theirs.model_dump(exclude=skip)
    assert ours.output_text == theirs.output_text


def test_stream_gives_the_same_events_and_logs_ttft(
    run: Run, make: Any, fake: FakeProvider
) -> None:
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    theirs = [e.type for e in raw.responses.create(model="gpt-4o", input="a b c", stream=True)]
    client = make()
    stream = run(
        client.responses.create(model="gpt-4o", input="a b c", stream=True, extra_headers=TRACE)
    )
    assert isinstance(stream, (openai.Stream, openai.AsyncStream))
    events = run.events(stream)
    assert [e.type for e in events] == theirs
    assert stream.headers["Helicone-Id"]
    [row] = rows(client)
    assert row["stream"] == 1 and row["ttft_ms"] is not None and row["ttft_ms"] > 0
    assert row["prompt_tokens"] == 3 and row["completion_tokens"] == 4
    assert row["response_model"] == "gpt-4o" and row["cost_usd"] > 0
    assert json.loads(row["response_body"])["status"] == "completed"
    _no_helicone_header(fake)


def test_stream_helper_and_its_cached_replay(run: Run, make: Any, fake: FakeProvider) -> None:
    client = make()
    cache = {"cache_enabled": True}
    first, final = run.helper(client.responses.stream(model="gpt-4o", input="tell", helicone=cache))
    again, cached = run.helper(
        client.responses.stream(model="gpt-4o", input="tell", helicone=cache)
    )
    assert final.output_text == cached.output_text == "echo: tell"
    assert [e.type for e in again] == [e.type for e in first]
    assert fake.calls() == 1
    miss, hit = rows(client)
    assert (miss["cache_status"], hit["cache_status"]) == ("MISS", "HIT")
    assert hit["cache_reference_id"] == miss["id"] and hit["cost_usd"] == 0
    assert hit["completion_tokens"] == miss["completion_tokens"]


def test_cached_create_is_the_same_response(run: Run, make: Any, fake: FakeProvider) -> None:
    client = make()
    headers = {"Helicone-Cache-Enabled": "true"}
    first = run(client.responses.create(model="gpt-4o", input="x", extra_headers=headers))
    second = run(client.responses.create(model="gpt-4o", input="x", extra_headers=headers))
    assert second.headers["Helicone-Cache"] == "HIT"
    assert second.model_dump() == first.model_dump()
    assert fake.calls() == 1


def test_parse_returns_the_parsed_object_also_on_a_cache_hit(
    run: Run, make: Any, fake: FakeProvider
) -> None:
    fake.script("gpt-4o", Reply(text='{"name": "Ann", "age": 41}'))
    client = make()
    kwargs: dict[str, Any] = {"model": "gpt-4o", "input": "who?", "text_format": Person}
    parsed = run(client.responses.parse(**kwargs, helicone={"cache_enabled": True}))
    hit = run(client.responses.parse(**kwargs, helicone={"cache_enabled": True}))
    assert parsed.output_parsed == hit.output_parsed == Person(name="Ann", age=41)
    assert fake.calls() == 1
    sent = fake.requests[0].json
    assert sent["text"]["format"]["type"] == "json_schema"
    assert sent["text"]["format"]["name"] == "Person"
    assert [r["cache_status"] for r in rows(client)] == ["MISS", "HIT"]


def test_tools_and_previous_response_id(run: Run, make: Any, fake: FakeProvider) -> None:
    fake.enqueue(Reply(tool_calls=[ToolCall("lookup", {"q": "x"})], prompt_tokens=5))
    client = make()
    tools = [{"type": "function", "name": "lookup", "parameters": {"type": "object"}}]
    first = run(client.responses.create(model="gpt-4o", input="find x", tools=tools))
    [call] = first.output
    assert call.type == "function_call" and call.name == "lookup"
    follow = [{"type": "function_call_output", "call_id": call.call_id, "output": "found it"}]
    second = run(
        client.responses.create(model="gpt-4o", input=follow, previous_response_id=first.id)
    )
    assert second.previous_response_id == first.id
    assert fake.requests[1].json["previous_response_id"] == first.id
    a, b = rows(client)
    assert json.loads(a["response_body"])["output"][0]["name"] == "lookup"
    assert b["prompt_tokens"] > 2  # the earlier turn counts as input


def test_background_retrieve_cancel_delete_and_input_items_are_logged(
    run: Run, make: Any, fake: FakeProvider
) -> None:
    client = make()
    trace = {"Helicone-Session-Id": "bg"}
    queued = run(
        client.responses.create(model="gpt-4o", input="slow", background=True, extra_headers=trace)
    )
    assert queued.status == "queued"
    done = run(client.responses.retrieve(queued.id, extra_headers=trace))
    assert done.status == "completed" and done.output_text == "echo: slow"
    items = run(client.responses.input_items.list(queued.id, extra_headers=trace))
    assert items.data[0].content[0].text == "slow"  # type: ignore[union-attr]
    other = run(client.responses.create(model="gpt-4o", input="later", background=True))
    cancelled = run(client.responses.cancel(other.id, extra_headers=trace))
    assert cancelled.status == "cancelled"
    run(client.responses.delete(queued.id, extra_headers=trace))
    kinds = [(r["kind"], r["session_id"], r["status"]) for r in rows(client)]
    assert kinds == [
        ("responses", "bg", 200),
        ("GET /responses/{id}", "bg", 200),
        ("GET /responses/{id}/input_items", "bg", 200),
        ("responses", None, 200),
        ("POST /responses/{id}/cancel", "bg", 200),
        ("DELETE /responses/{id}", "bg", 200),
    ]
    retrieved = rows(client)[1]
    assert retrieved["completion_tokens"] == 2 and retrieved["cost_usd"] is None
    _no_helicone_header(fake)


def test_an_endpoint_error_is_logged_and_raised_unchanged(
    run: Run, make: Any, fake: FakeProvider
) -> None:
    client = make()
    with pytest.raises(openai.NotFoundError) as caught:
        run(client.responses.retrieve("resp_missing"))
    raw = openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, max_retries=0)
    with pytest.raises(openai.NotFoundError) as theirs:
        raw.responses.retrieve("resp_missing")
    assert str(caught.value) == str(theirs.value)
    [row] = rows(client)
    assert row["status"] == 404 and "resp_missing" in row["error"]


def test_rate_limited(run: Run, make: Any, fake: FakeProvider) -> None:
    client = make()
    policy = {"Helicone-RateLimit-Policy": "1;w=60"}
    run(client.responses.create(model="gpt-4o", input="one", extra_headers=policy))
    with pytest.raises(openai.RateLimitError):
        run(client.responses.create(model="gpt-4o", input="two", extra_headers=policy))
    assert fake.calls() == 1
    assert [r["rate_limited"] for r in rows(client)] == [0, 1]


def test_retried(run: Run, make: Any, fake: FakeProvider) -> None:
    fake.script("gpt-4o", Fault(status=503), times=1)
    waits: list[float] = []

    async def async_sleep(seconds: float) -> None:
        waits.append(seconds)

    client = make(max_retries=2, sleep=waits.append, async_sleep=async_sleep)
    response = run(client.responses.create(model="gpt-4o", input="again"))
    assert response.output_text == "echo: again"
    assert fake.calls() == 2 and len(waits) == 1
    [row] = rows(client)
    assert row["attempts"] == 2 and row["status"] == 200


def test_fallback_to_a_compatible_target_skips_other_providers(
    run: Run, make: Any, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")  # a direct Anthropic target
    fake.script("gpt-4o", Fault(status=503))
    with FakeProvider() as backup:
        client = make(max_retries=0)
        chain = ["claude-3-5-haiku-latest", {"base_url": backup.openai_base_url, "model": "llama"}]
        response = run(
            client.responses.create(model="gpt-4o", input="hi", helicone={"fallbacks": chain})
        )
        assert response.model == "llama" and response.output_text == "echo: hi"
        assert response.headers["Helicone-Fallback-Index"] == "2"
        assert backup.requests[0].path == "/v1/responses"
    [row] = rows(client)
    attempts = client.store.query(
        "SELECT provider, status, error FROM attempts WHERE request_id = ? ORDER BY attempt",
        (row["id"],),
    )
    assert [a["provider"] for a in attempts] == ["openai", "anthropic", backup_name(attempts)]
    assert attempts[1]["error"] == "skipped: anthropic cannot serve a responses call"
    assert attempts[0]["status"] == 503 and attempts[2]["status"] == 200


def backup_name(attempts: list[dict[str, Any]]) -> str:
    return str(attempts[2]["provider"])


def test_a_call_no_target_can_serve_is_refused_before_sending(
    run: Run, make: Any, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    client = make()
    with pytest.raises(helicone_lite.OptionsError, match="responses"):
        run(client.responses.create(model="claude-3-5-haiku-latest", input="hi"))
    assert fake.requests == [] and rows(client) == []


def test_with_raw_response_and_streaming_response(run: Run, make: Any, fake: FakeProvider) -> None:
    client = make()
    raw = run(client.responses.with_raw_response.create(model="gpt-4o", input="raw"))
    assert raw.headers["x-request-id"] == "req_fake1" and raw.headers["Helicone-Id"]
    assert raw.parse().output_text == "echo: raw"
    got = run(client.responses.with_raw_response.retrieve(raw.parse().id))
    assert got.parse().id == raw.parse().id
    assert len(rows(client)) == 2


def test_completed_event_carries_usage(run: Run, make: Any, fake: FakeProvider) -> None:
    fake.script("o3-mini", Reply(text="thought", reasoning_tokens=12, completion_tokens=1))
    client = make()
    events = run.events(run(client.responses.create(model="o3-mini", input="x", stream=True)))
    completed = [e for e in events if isinstance(e, ResponseCompletedEvent)]
    assert completed[0].response.usage.output_tokens_details.reasoning_tokens == 12  # type: ignore[union-attr]
    [row] = rows(client)
    assert row["reasoning_tokens"] == 12 and row["completion_tokens"] == 13
