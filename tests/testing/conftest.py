"""Fixtures for the fake provider's own tests: real SDK clients pointed at a fresh fake (the
fake and the loopback guard are the plugin's, through the top-level conftest)."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import openai
import pytest
from google import genai
from google.genai import types

from helicone_lite.testing import FakeProvider


@pytest.fixture
def oai(fake: FakeProvider) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0) as c:
        yield c


@pytest.fixture
def claude(fake: FakeProvider) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        base_url=fake.anthropic_base_url, api_key="sk-ant-fake", max_retries=0
    ) as c:
        yield c


@pytest.fixture
def gemini(fake: FakeProvider) -> Iterator[genai.Client]:
    # Keep the reference: a genai.Client closes itself when garbage-collected.
    client = genai.Client(
        api_key="fake-key", http_options=types.HttpOptions(base_url=fake.gemini_base_url)
    )
    yield client
    client.close()
