"""``with_raw_response`` / ``with_streaming_response`` are openai's: the same attributes
(``url``, ``method``, ``http_request``, ``elapsed``…), ``retries_taken`` and ``parse`` methods,
compared against the raw SDK on the same fake provider."""

from __future__ import annotations

import datetime
from typing import Any

import openai
from pydantic import BaseModel

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault, Reply
from helicone_lite.testing.pytest_plugin import MakeAsyncClient, MakeClient

from .conftest import KEY, MESSAGES, rows

MODEL = "gpt-4o-mini"


class Answer(BaseModel):
    answer: str


def _http_shape(raw: Any) -> tuple[object, ...]:
    """What openai's raw and streaming responses say about the HTTP exchange."""
    return (
        str(raw.url),
        raw.method,
        raw.http_version,
        raw.status_code,
        raw.http_request.method,
        str(raw.http_request.url),
    )


def _sdk(fake: FakeProvider, **kwargs: Any) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=fake.openai_base_url, **kwargs)


def test_raw_response_http_attributes_match_the_sdk(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    with _sdk(fake) as sdk:
        theirs = sdk.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    ours = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert _http_shape(ours) == _http_shape(theirs)
    assert ours.is_closed is theirs.is_closed is True
    assert isinstance(ours.elapsed, datetime.timedelta)
    assert ours.retries_taken == theirs.retries_taken == 0


def test_streaming_response_http_attributes_match_the_sdk(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    with (
        _sdk(fake) as sdk,
        sdk.responses.with_streaming_response.create(model=MODEL, input="hi") as theirs,
    ):
        expected = _http_shape(theirs)
    with client.responses.with_streaming_response.create(model=MODEL, input="hi") as ours:
        assert _http_shape(ours) == expected


async def test_async_raw_and_streaming_attributes_match_the_sdk(
    make_aclient: MakeAsyncClient, fake: FakeProvider
) -> None:
    client = make_aclient()
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_base_url) as sdk:
        theirs = await sdk.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
        async with sdk.chat.completions.with_streaming_response.create(
            model=MODEL, messages=MESSAGES
        ) as streaming:
            expected_streaming = _http_shape(streaming)
    ours = await client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert _http_shape(ours) == _http_shape(theirs)
    async with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MESSAGES
    ) as streaming_ours:
        assert _http_shape(streaming_ours) == expected_streaming


def test_retries_taken_counts_the_retry_layers_attempts(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    """openai counts its own retries; here the retry layer retries (each SDK send has
    ``max_retries=0``), and ``retries_taken`` counts its attempts after the first."""
    fault = Fault(status=500, retry_after_ms=1)
    fake.script(MODEL, fault, times=1)
    with _sdk(fake, max_retries=2) as sdk:
        theirs = sdk.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    fake.script(MODEL, fault, times=1)
    client = make_client(max_retries=2, sleep=lambda seconds: None)
    ours = client.chat.completions.with_raw_response.create(model=MODEL, messages=MESSAGES)
    assert ours.retries_taken == theirs.retries_taken == 1
    with client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MESSAGES
    ) as streaming:
        assert streaming.retries_taken == 0


def _parsed(raw: Any) -> object:
    return raw.parse().choices[0].message.parsed


def test_raw_and_streaming_chat_parse_match_the_sdk(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    """``with_raw_response.parse`` returns the raw response (it returned the parsed completion,
    which has no ``status_code``), through the stack: logged."""
    fake.script(MODEL, Reply(text='{"answer": "42"}'), times=4)
    calls: list[tuple[object, ...]] = []
    with _sdk(fake) as sdk:
        for each in (sdk, client):
            raw = each.chat.completions.with_raw_response.parse(
                model=MODEL, messages=MESSAGES, response_format=Answer
            )
            with each.chat.completions.with_streaming_response.parse(
                model=MODEL, messages=MESSAGES, response_format=Answer
            ) as streaming:
                calls.append((raw.status_code, _parsed(raw), streaming.status_code))
                calls.append((_parsed(streaming),))
    assert calls[:2] == calls[2:]
    assert calls[0] == (200, Answer(answer="42"), 200)
    assert len(rows(client)) == 2


def test_raw_responses_parse_matches_the_sdk(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    fake.script(MODEL, Reply(text='{"answer": "7"}'), times=2)
    with _sdk(fake) as sdk:
        theirs = sdk.responses.with_raw_response.parse(model=MODEL, input="hi", text_format=Answer)
    ours = client.responses.with_raw_response.parse(model=MODEL, input="hi", text_format=Answer)
    assert ours.status_code == theirs.status_code == 200
    assert ours.parse().output_parsed == theirs.parse().output_parsed == Answer(answer="7")
    assert rows(client)[0]["id"] == ours.headers["helicone-id"]


async def test_async_raw_and_streaming_chat_parse_match_the_sdk(
    make_aclient: MakeAsyncClient, fake: FakeProvider
) -> None:
    client = make_aclient()
    fake.script(MODEL, Reply(text='{"answer": "x"}'), times=4)
    found: list[tuple[int, object, object]] = []
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_base_url) as sdk:
        for each in (sdk, client):
            raw = await each.chat.completions.with_raw_response.parse(
                model=MODEL, messages=MESSAGES, response_format=Answer
            )
            async with each.chat.completions.with_streaming_response.parse(
                model=MODEL, messages=MESSAGES, response_format=Answer
            ) as streaming:
                parsed = (await streaming.parse()).choices[0].message.parsed
            found.append((raw.status_code, _parsed(raw), parsed))
    assert found[0] == found[1] == (200, Answer(answer="x"), Answer(answer="x"))
    assert len(rows(client)) == 2


def _client_views(each: Any) -> list[tuple[object, ...]]:
    """``client.with_raw_response.<resource>`` and ``client.with_streaming_response``."""
    raw = each.with_raw_response
    chat = raw.chat.completions.create(model=MODEL, messages=MESSAGES)
    embedding = raw.embeddings.create(model="text-embedding-3-small", input="x")
    response = raw.responses.create(model=MODEL, input="x")
    models = raw.models.list()
    with each.with_streaming_response.chat.completions.create(
        model=MODEL, messages=MESSAGES
    ) as streaming:
        streamed = (streaming.status_code, type(streaming.parse()).__name__)
    return [
        (view.status_code, str(view.url), type(view.parse()).__name__)
        for view in (chat, embedding, response, models)
    ] + [streamed]


def test_client_level_raw_and_streaming_views_match_the_sdk(
    client: helicone_lite.Client, fake: FakeProvider
) -> None:
    """``client.with_raw_response.chat.completions.create`` returned the parsed completion:
    openai's view wraps the resource's ``create``, which goes through the stack."""
    with _sdk(fake) as sdk:
        expected = _client_views(sdk)
    assert _client_views(client) == expected
    assert expected[0][0] == 200
    assert len(rows(client, "kind = 'chat.completions'")) == 2


async def test_async_client_level_raw_view_matches_the_sdk(
    make_aclient: MakeAsyncClient, fake: FakeProvider
) -> None:
    client = make_aclient()
    found: list[tuple[int, str]] = []
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_base_url) as sdk:
        for each in (sdk, client):
            raw = await each.with_raw_response.chat.completions.create(
                model=MODEL, messages=MESSAGES
            )
            found.append((raw.status_code, type(raw.parse()).__name__))
    assert found[0] == found[1] == (200, "ChatCompletion")


def test_user_agent_is_openais(make_client: MakeClient, fake: FakeProvider) -> None:
    """openai names the ``User-Agent`` after the client's class: ``Client/Python`` went out."""
    agents = []
    with _sdk(fake) as sdk:
        for each in (sdk, make_client()):
            each.chat.completions.create(model=MODEL, messages=MESSAGES)
            agents.append((each.user_agent, fake.last_request.headers["user-agent"]))
    assert agents[0] == agents[1]
    assert agents[0][0].startswith("OpenAI/Python ")


async def test_async_user_agent_is_openais(
    make_aclient: MakeAsyncClient, fake: FakeProvider
) -> None:
    async with openai.AsyncOpenAI(api_key=KEY, base_url=fake.openai_base_url) as sdk:
        assert make_aclient().user_agent == sdk.user_agent
    assert sdk.user_agent.startswith("AsyncOpenAI/Python ")
