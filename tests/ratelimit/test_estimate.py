"""The reservation's pieces: the prompt bound, the completion bound, unit prices."""

from __future__ import annotations

from typing import Any

import pytest

from helicone_lite._cost import Usage, cost_usd
from helicone_lite.ratelimit._estimate import (
    DEFAULT_COMPLETION_TOKENS,
    IMAGE_TOKENS,
    Prices,
    completion_bound,
    prompt_bound,
)

TEXTS = [
    "What is diabetes?",
    "糖尿病とは何ですか" * 20,
    "🙂🙃 emoji " * 30,
    "Ünïcödé façade naïve coöperate",
    "a" * 5000,
]


def utf8_bytes(params: dict[str, Any]) -> int:
    total = 0
    for message in params["messages"]:
        total += len(message["content"].encode()) + 4  # ~4 framing tokens per message
    return total


@pytest.mark.parametrize("text", TEXTS)
def test_prompt_bound_covers_one_token_per_byte(text: str) -> None:
    params = {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": text}]
    }
    assert prompt_bound(params) >= utf8_bytes(params) + 3


def test_prompt_bound_counts_tools_images_and_sdk_objects() -> None:
    from openai.types.chat import ChatCompletionMessage

    base = {"messages": [{"role": "user", "content": "hi"}]}
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    assert prompt_bound({**base, "tools": [tool]}) > prompt_bound(base) + len("lookup")
    image = {
        "role": "user",
        "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}],
    }
    assert prompt_bound({"messages": [image]}) >= IMAGE_TOKENS
    reply = ChatCompletionMessage(role="assistant", content="x" * 300)
    assert prompt_bound({"messages": [reply]}) > 300
    assert prompt_bound({"input": ["a" * 100]}) > 100  # embeddings


@pytest.mark.parametrize(
    ("params", "kind", "expected"),
    [
        ({"max_tokens": 200}, "chat.completions", 200),
        ({"max_completion_tokens": 300, "max_tokens": 200}, "chat.completions", 300),
        ({"max_tokens": 200, "n": 3}, "chat.completions", 600),
        ({}, "chat.completions", DEFAULT_COMPLETION_TOKENS),
        ({"max_tokens": 200}, "embeddings", 0),
    ],
)
def test_completion_bound(params: dict[str, Any], kind: str, expected: int) -> None:
    assert completion_bound(params, kind) == expected


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4o-mini", "openai"),
        ("gpt-4o", "openai"),
        ("claude-sonnet-4", "anthropic"),
        ("gemini-2.5-pro", "google"),  # prompt-length tiers
    ],
)
def test_unit_prices_price_like_the_log_and_bound_from_above(model: str, provider: str) -> None:
    prices = Prices().get(model, provider)
    assert prices is not None
    for usage in (
        Usage(
            prompt_tokens=5000, completion_tokens=700, cached_tokens=1200, cache_write_tokens=300
        ),
        Usage(prompt_tokens=300_000, completion_tokens=10),
        Usage(prompt_tokens=12, completion_tokens=0),
    ):
        expected = cost_usd(model, provider, usage)
        assert expected is not None
        assert prices.cents(usage) == pytest.approx(expected * 100, rel=1e-9)
        estimate = prices.estimate_cents(usage.prompt_tokens, usage.completion_tokens)
        assert estimate >= expected * 100 * (1 - 1e-9)


def test_unknown_models_have_no_prices() -> None:
    assert Prices().get("my-local-llama", "openai") is None
