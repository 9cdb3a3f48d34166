"""Same errors, same moment: construction and call errors match the raw openai SDK's, class and
message."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

import helicone_lite
from helicone_lite.testing import FakeProvider, Fault

from .conftest import KEY, MESSAGES


@pytest.fixture
def fake() -> Iterator[FakeProvider]:
    with FakeProvider() as provider:
        yield provider


def _error_of(build: Any) -> BaseException:
    try:
        build()
    except BaseException as exc:
        return exc
    raise AssertionError("no error raised")


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [(helicone_lite.Client, openai.OpenAI), (helicone_lite.AsyncClient, openai.AsyncOpenAI)],
)
def test_construction_without_a_key_fails_like_openai(ours: Any, theirs: Any, home: Path) -> None:
    expected = _error_of(theirs)
    got = _error_of(lambda: ours(home=home))
    assert type(got) is type(expected) is openai.OpenAIError
    assert str(got) == str(expected)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault(status=401, message="Incorrect API key provided"), openai.AuthenticationError),
        (Fault(status=400, message="bad 'messages'"), openai.BadRequestError),
        (Fault(status=429, message="slow down"), openai.RateLimitError),
        (Fault(status=500), openai.InternalServerError),
        (Fault(hang=30.0), openai.APITimeoutError),
    ],
    ids=["401", "400", "429", "500", "timeout"],
)
@pytest.mark.parametrize("kind", ["chat", "responses"])
def test_call_errors_match_the_raw_sdk(
    fake: FakeProvider, home: Path, fault: Fault, error: type[Exception], kind: str
) -> None:
    settings = {"api_key": KEY, "base_url": fake.openai_base_url, "max_retries": 0, "timeout": 0.2}
    raw = openai.OpenAI(**settings)
    ours = helicone_lite.Client(home=home, **settings)
    outcomes = []
    for client in (raw, ours):
        fake.enqueue(fault)
        outcomes.append(_error_of(lambda c=client: _call(c, kind)))
    theirs, got = outcomes
    assert type(theirs) is error
    assert type(got) is type(theirs)
    assert str(got) == str(theirs)
    assert getattr(got, "status_code", None) == getattr(theirs, "status_code", None)
    ours.close()


def _call(client: Any, kind: str) -> Any:
    if kind == "chat":
        return client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    return client.responses.create(model="gpt-4o", input="hi")


def test_async_call_error_matches(fake: FakeProvider, home: Path) -> None:
    async def main() -> tuple[BaseException, BaseException]:
        settings = {"api_key": KEY, "base_url": fake.openai_base_url, "max_retries": 0}
        raw = openai.AsyncOpenAI(**settings)
        ours = helicone_lite.AsyncClient(home=home, **settings)
        errors = []
        for client in (raw, ours):
            fake.enqueue(Fault(status=401))
            try:
                await client.responses.create(model="gpt-4o", input="hi")
            except openai.APIError as exc:
                errors.append(exc)
        await ours.close()
        return errors[0], errors[1]

    theirs, got = asyncio.run(main())
    assert type(got) is type(theirs) is openai.AuthenticationError
    assert str(got) == str(theirs)
