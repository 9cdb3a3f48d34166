"""What a logged call's send builds per call (issue 12: each object and frame on the call path is
~0.5-1 us cold). The OpenAI adapter sends with openai's own ``create`` on the resource the
client already has, so a call builds no openai resource (that the SDK still gets
``max_retries=0``: tests/retry/test_retry_backoff.py, three sends where openai would make nine)."""

from __future__ import annotations

from typing import Any

import pytest
from openai._resource import AsyncAPIResource, SyncAPIResource

from helicone_lite.testing import FakeProvider
from helicone_lite.testing.pytest_plugin import MakeAsyncClient, MakeClient

from .conftest import MESSAGES, rows

MODEL = "gpt-4o-mini"


def _count_resources(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The openai resources built from now on (their class names)."""
    built: list[str] = []
    for cls in (SyncAPIResource, AsyncAPIResource):
        init = cls.__init__

        def counting(self: Any, client: Any, _init: Any = init) -> None:
            built.append(type(self).__name__)
            _init(self, client)

        monkeypatch.setattr(cls, "__init__", counting)
    return built


def test_a_logged_call_builds_no_openai_resource(
    make_client: MakeClient, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client()
    client.chat.completions.create(model=MODEL, messages=MESSAGES)  # the client's resources
    client.embeddings.create(model="text-embedding-3-small", input="hi")
    built = _count_resources(monkeypatch)
    for _ in range(3):
        client.chat.completions.create(model=MODEL, messages=MESSAGES)
        client.embeddings.create(model="text-embedding-3-small", input="hi")
    client.flush()
    assert built == []
    assert len(rows(client)) == 8


async def test_an_async_logged_call_builds_no_openai_resource(
    make_aclient: MakeAsyncClient, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_aclient()
    await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    built = _count_resources(monkeypatch)
    for _ in range(3):
        await client.chat.completions.create(model=MODEL, messages=MESSAGES)
    client.flush()
    assert built == []
    assert len(rows(client)) == 4
