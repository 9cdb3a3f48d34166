"""Scripts, the queue, recorded requests: the fake's bookkeeping, seen through real calls."""

from __future__ import annotations

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from helicone_lite.testing import FakeProvider, Fault, Reply, ToolCall

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is diabetes?"}]


def ask(client: openai.OpenAI, model: str = "gpt-4o") -> str:
    try:
        content = client.chat.completions.create(model=model, messages=USER).choices[0]
    except openai.APIStatusError as err:
        return f"error {err.status_code}"
    return content.message.content or ""


def test_times_then_next_script(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Fault(status=429, retry_after=1.5), times=2)
    fake.script("gpt-4o", Reply(text="steady"))
    assert [ask(oai) for _ in range(4)] == ["error 429", "error 429", "steady", "steady"]


def test_times_then_default_echo(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Reply(text="once"), times=1)
    assert [ask(oai), ask(oai)] == ["once", "echo: What is diabetes?"]


def test_patterns_match_models_only(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o-*", Reply(text="mini family"))
    fake.script("gpt-4o", Reply(text="exactly 4o"))
    assert ask(oai, "gpt-4o-mini") == "mini family"
    assert ask(oai, "gpt-4o") == "exactly 4o"
    assert ask(oai, "gpt-4.1") == "echo: What is diabetes?"


def test_first_matching_script_wins(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-*", Reply(text="broad"))
    fake.script("gpt-4o", Reply(text="narrow"))
    assert ask(oai) == "broad"


def test_an_unlimited_script_replaces_the_previous_one(
    fake: FakeProvider, oai: openai.OpenAI
) -> None:
    fake.script("gpt-4o", Reply(text="A"))
    assert ask(oai) == "A"
    fake.script("gpt-4o", Reply(text="B"))
    assert ask(oai) == "B"


def test_enqueue_comes_first_whatever_the_model(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("*", Reply(text="scripted"))
    fake.enqueue(Reply(text="one"), Fault(status=503), Reply(text="three"))
    assert fake.pending() == 3
    answers = [ask(oai, model) for model in ("gpt-4o", "x", "gpt-4o-mini", "gpt-4o")]
    assert answers == ["one", "error 503", "three", "scripted"]
    assert fake.pending() == 0


def test_pending_counts_limited_scripts(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Fault(status=500), times=2)
    fake.script("gpt-4o", Reply(text="ok"))
    assert fake.pending() == 2
    ask(oai)
    assert fake.pending() == 1


def test_reset_forgets_everything(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("*", Reply(text="scripted"))
    fake.enqueue(Reply(text="queued"))
    ask(oai)
    fake.reset()
    assert fake.requests == [] and fake.calls() == 0 and fake.pending() == 0
    assert ask(oai) == "echo: What is diabetes?"


def test_calls_count_inference_requests(fake: FakeProvider, oai: openai.OpenAI) -> None:
    ask(oai, "gpt-4o")
    ask(oai, "gpt-4o-mini")
    oai.embeddings.create(model="text-embedding-3-small", input="x")
    oai.models.list()
    assert fake.calls() == 3
    assert fake.calls("gpt-4o") == 1
    assert fake.calls("gpt-4o*") == 2
    assert len(fake.requests) == 4
    assert not fake.requests[-1].inference


def test_recorded_request_wire_details(fake: FakeProvider, oai: openai.OpenAI) -> None:
    oai.chat.completions.create(
        model="gpt-4o",
        messages=USER,
        temperature=0.2,
        extra_headers={"Helicone-Session-Id": "abc"},
        extra_query={"api-version": "2024"},
    )
    request = fake.last_request
    assert request.method == "POST"
    assert request.path == "/v1/chat/completions"
    assert request.query == {"api-version": "2024"}
    assert request.headers["authorization"] == "Bearer sk-fake"
    assert request.headers["helicone-session-id"] == "abc"
    assert request.json == {"model": "gpt-4o", "messages": USER, "temperature": 0.2}
    assert request.protocol == "openai" and request.endpoint == "chat.completions"
    assert request.model == "gpt-4o" and not request.stream and request.inference
    assert request.outcome is None
    assert [r.seq for r in fake.requests] == [1]


def test_requests_is_a_snapshot(fake: FakeProvider, oai: openai.OpenAI) -> None:
    before = fake.requests
    ask(oai)
    assert before == [] and len(fake.requests) == 1


def test_last_request_without_requests(fake: FakeProvider) -> None:
    with pytest.raises(LookupError):
        fake.last_request  # noqa: B018


def test_max_requests_bounds_history(oai: openai.OpenAI) -> None:
    with FakeProvider(max_requests=2) as small:
        with openai.OpenAI(base_url=small.openai_base_url, api_key="k") as client:
            for _ in range(5):
                ask(client)
        assert [r.seq for r in small.requests] == [4, 5]


def test_invalid_scripts_are_refused(fake: FakeProvider) -> None:
    with pytest.raises(TypeError):
        fake.script("gpt-4o", "hello")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        fake.script("gpt-4o", Reply(), times=0)
    with pytest.raises(ValueError):
        Fault(status=200)
    with pytest.raises(ValueError):
        Fault(reset=True, cut_after=1)
    with pytest.raises(ValueError):
        Reply(chunk_size=0)
    with pytest.raises(TypeError):
        Reply(tool_calls=[{"name": "x"}])  # type: ignore[list-item]


def test_tool_call_with_raw_json_arguments(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Reply(tool_calls=[ToolCall(name="f", arguments='{"broken": ')]))
    r = oai.chat.completions.create(model="gpt-4o", messages=USER)
    calls = r.choices[0].message.tool_calls
    assert calls is not None and calls[0].type == "function"
    assert calls[0].function.arguments == '{"broken": '


def test_reply_is_reusable_across_protocols(fake: FakeProvider, oai: openai.OpenAI) -> None:
    reply = Reply(text="same", prompt_tokens=1, completion_tokens=1)
    fake.script("*", reply)
    assert ask(oai, "gpt-4o") == ask(oai, "claude-x") == "same"
    assert fake.requests[0].outcome is reply
