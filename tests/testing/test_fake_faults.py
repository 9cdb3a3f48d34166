"""Scripted faults raise each SDK's own exceptions, over real HTTP."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import openai
import pytest
from anthropic.types import MessageParam
from google import genai
from google.genai import errors, types
from openai.types.chat import ChatCompletionMessageParam

from helicone_lite.testing import FakeProvider, Fault, Reply

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "What is diabetes?"}]
CLAUDE_USER: list[MessageParam] = [{"role": "user", "content": "What is diabetes?"}]


# -- OpenAI ---------------------------------------------------------------------------


def test_openai_rate_limit_with_retry_after(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("gpt-4o", Fault(status=429, retry_after=1.5, retry_after_ms=1500))
    with pytest.raises(openai.RateLimitError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    err = info.value
    assert err.status_code == 429
    assert err.response.headers["retry-after"] == "1.5"
    assert err.response.headers["retry-after-ms"] == "1500"
    assert err.response.headers["x-ratelimit-remaining-requests"] == "0"
    assert err.code == "rate_limit_exceeded" and err.type == "requests"
    assert err.request_id is not None and err.request_id.startswith("req_")


@pytest.mark.parametrize("status", [500, 502, 503, 529])
def test_openai_server_errors(fake: FakeProvider, oai: openai.OpenAI, status: int) -> None:
    fake.enqueue(Fault(status=status, message="boom"))
    with pytest.raises(openai.InternalServerError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert info.value.status_code == status
    assert info.value.message.endswith("boom")


def test_openai_other_statuses(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Fault(status=400), Fault(status=401), Fault(status=404))
    expected = [openai.BadRequestError, openai.AuthenticationError, openai.NotFoundError]
    for cls in expected:
        with pytest.raises(cls):
            oai.chat.completions.create(model="gpt-4o", messages=USER)


def test_openai_reset_is_a_connection_error(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Fault(reset=True))
    with pytest.raises(openai.APIConnectionError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert not isinstance(info.value, openai.APITimeoutError)
    # the server is fine afterwards
    assert oai.chat.completions.create(model="gpt-4o", messages=USER).choices


def test_openai_hang_times_out(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Fault(hang=30))  # cut short when the fake stops
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        oai.with_options(timeout=0.2).chat.completions.create(model="gpt-4o", messages=USER)
    assert time.perf_counter() - started < 20  # well short of the hang: the timeout cut it


def test_openai_stream_cut_raises_mid_iteration(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Fault(cut_after=3, reply=Reply(text="a long answer that gets cut", chunk_size=4)))
    received: list[str] = []
    stream = oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True)
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert received == ["", "a lo", "ng a"]  # role chunk + two text chunks, then the cut


def test_openai_non_stream_cut_truncates_the_body(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Fault(cut_after=0))
    with pytest.raises(openai.APIConnectionError):
        oai.chat.completions.create(model="gpt-4o", messages=USER)


def test_openai_sdk_retries_honour_retry_after_ms(fake: FakeProvider) -> None:
    fake.script("gpt-4o", Fault(status=429, retry_after_ms=1), times=2)
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=2) as client:
        r = client.chat.completions.create(model="gpt-4o", messages=USER)
    assert r.choices[0].message.content == "echo: What is diabetes?"
    assert fake.calls("gpt-4o") == 3
    assert [q.headers["x-stainless-retry-count"] for q in fake.requests] == ["0", "1", "2"]


def test_openai_x_should_retry_header(fake: FakeProvider) -> None:
    fake.enqueue(Fault(status=500, headers={"x-should-retry": "false"}))
    client = openai.OpenAI(base_url=fake.openai_base_url, api_key="k", max_retries=3)
    with client, pytest.raises(openai.InternalServerError):
        client.chat.completions.create(model="gpt-4o", messages=USER)
    assert fake.calls() == 1


def test_custom_error_body(fake: FakeProvider, oai: openai.OpenAI) -> None:
    body = {
        "error": {"message": "quota", "type": "insufficient_quota", "code": "insufficient_quota"}
    }
    fake.enqueue(Fault(status=429, body=body), Fault(status=502, body="<html>bad gateway</html>"))
    with pytest.raises(openai.RateLimitError) as info:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert info.value.code == "insufficient_quota"
    with pytest.raises(openai.InternalServerError) as info2:
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert info2.value.response.text == "<html>bad gateway</html>"


def test_embeddings_faults(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.script("text-embedding-*", Fault(status=429), times=1)
    with pytest.raises(openai.RateLimitError):
        oai.embeddings.create(model="text-embedding-3-small", input="x")
    assert oai.embeddings.create(model="text-embedding-3-small", input="x").data


# -- Anthropic ----------------------------------------------------------------------------


def _claude(client: anthropic.Anthropic) -> object:
    return client.messages.create(model="claude-x", max_tokens=10, messages=CLAUDE_USER)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(status=429, retry_after=2), anthropic.RateLimitError),
        (Fault(status=500), anthropic.InternalServerError),
        (Fault(status=529), anthropic.OverloadedError),
        (Fault(status=400), anthropic.BadRequestError),
        (Fault(reset=True), anthropic.APIConnectionError),
    ],
)
def test_anthropic_faults(
    fake: FakeProvider, claude: anthropic.Anthropic, fault: Fault, error: type[Exception]
) -> None:
    fake.enqueue(fault)
    with pytest.raises(error) as info:
        _claude(claude)
    if isinstance(info.value, anthropic.APIStatusError):
        assert info.value.status_code == fault.status
        body = info.value.body
        assert isinstance(body, dict) and body["type"] == "error"
    if fault.retry_after:
        assert isinstance(info.value, anthropic.APIStatusError)
        assert info.value.response.headers["retry-after"] == "2"


def test_anthropic_hang_times_out(fake: FakeProvider, claude: anthropic.Anthropic) -> None:
    fake.enqueue(Fault(hang=30))
    with pytest.raises(anthropic.APITimeoutError):
        _claude(claude.with_options(timeout=0.2))


def test_anthropic_stream_cut(fake: FakeProvider, claude: anthropic.Anthropic) -> None:
    # anthropic 2.x lets the transport error through as httpx2.RemoteProtocolError mid-stream
    fake.enqueue(Fault(cut_after=4, reply=Reply(text="x" * 40, chunk_size=4)))
    stream = claude.messages.create(
        model="claude-x", max_tokens=10, messages=CLAUDE_USER, stream=True
    )
    seen: list[str] = []
    with pytest.raises((anthropic.APIConnectionError, httpx2.TransportError)):
        for event in stream:
            seen.append(event.type)
    # message_start, ping (skipped by the SDK), content_block_start, one delta
    assert seen == ["message_start", "content_block_start", "content_block_delta"]


# -- Gemini ---------------------------------------------------------------------------


def test_gemini_rate_limit(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.enqueue(Fault(status=429, retry_after=3, message="slow down"))
    with pytest.raises(errors.ClientError) as info:
        gemini.models.generate_content(model="gemini-x", contents="hi")
    assert info.value.code == 429 and info.value.status == "RESOURCE_EXHAUSTED"
    assert info.value.message == "slow down"
    response = info.value.response
    assert isinstance(response, httpx2.Response) and response.headers["retry-after"] == "3"


def test_gemini_server_error(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.enqueue(Fault(status=503))
    with pytest.raises(errors.ServerError) as info:
        gemini.models.generate_content(model="gemini-x", contents="hi")
    assert info.value.code == 503 and info.value.status == "UNAVAILABLE"


def test_gemini_reset_and_hang(fake: FakeProvider, gemini: genai.Client) -> None:
    # google-genai does not wrap transport errors: they surface as httpx2 exceptions
    fake.enqueue(Fault(reset=True), Fault(hang=30))
    with pytest.raises(httpx2.TransportError):
        gemini.models.generate_content(model="gemini-x", contents="hi")
    config = types.GenerateContentConfig(http_options=types.HttpOptions(timeout=200))  # ms
    with pytest.raises(httpx2.TimeoutException):
        gemini.models.generate_content(model="gemini-x", contents="hi", config=config)


def test_gemini_stream_cut(fake: FakeProvider, gemini: genai.Client) -> None:
    fake.enqueue(Fault(cut_after=2, reply=Reply(text="abcdefghij", chunk_size=2)))
    seen: list[str] = []
    with pytest.raises(httpx2.TransportError):
        for chunk in gemini.models.generate_content_stream(model="gemini-x", contents="hi"):
            seen.append(chunk.text or "")
    assert seen == ["ab", "cd"]


# -- latency ---------------------------------------------------------------------------


def test_latency_and_chunk_delay(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fake.enqueue(Reply(latency=0.05), Reply(text="abcd", chunk_size=1, chunk_delay=0.01))
    started = time.perf_counter()
    oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert time.perf_counter() - started >= 0.05
    started = time.perf_counter()
    chunks = list(oai.chat.completions.create(model="gpt-4o", messages=USER, stream=True))
    assert time.perf_counter() - started >= 0.04
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "abcd"


def test_recorded_fault(fake: FakeProvider, oai: openai.OpenAI) -> None:
    fault = Fault(status=429)
    fake.enqueue(fault)
    with pytest.raises(openai.RateLimitError):
        oai.chat.completions.create(model="gpt-4o", messages=USER)
    assert fake.last_request.outcome is fault
    assert json.loads(fake.last_request.body)["model"] == "gpt-4o"
