"""Redaction covers every built-in provider's key format, bearer tokens and long secrets.

Finding 11: a ``gsk_…`` key echoed in a provider error was stored and exported to OTel,
because redaction matched only ``sk-``, ``Bearer`` and ``AIza``.
"""

from __future__ import annotations

import openai
import pytest

from helicone_lite._redact import redact, redact_body
from helicone_lite.providers._catalog import DEFAULT_PROVIDERS
from helicone_lite.testing import FakeProvider, Fault

from .conftest import MESSAGES, MakeClient, rows

# One key in each built-in provider's format (made up; the shapes are the providers' own).
KEY_FORMATS: dict[str, list[str]] = {
    "openai": ["sk-proj-" + "Ab3dE6gH9jK2mN5pQ8sT1vW4yZ7bC0eF3hJ6kL9nP2qR5t", "sk-" + "a1B2" * 12],
    "anthropic": ["sk-ant-api03-" + "xY9_" * 23 + "AA"],
    "gemini": ["AIza" + "SyD3fG6hJ9kL2mN5pQ8rS1tU4vW7xY0zA2b"],
    "groq": ["gsk_" + "k8Jd2LmQ9wXz" * 4 + "Ab12"],
    "together": [
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "tgp_v1_" + "Q1w2E3r4" * 5,
    ],
    "deepseek": ["sk-" + "0123456789abcdef" * 2],
    "openrouter": ["sk-or-v1-" + "0123456789abcdef" * 4],
    "azure": ["d41d8cd98f00b204e9800998ecf8427e", "A1b2C3d4" * 10 + "ZZZZ"],
    "ollama": ["Bearer ollama-local-token-123"],
    "vllm": ["Bearer token-abc123"],
}


def test_every_built_in_provider_has_a_key_format_under_test() -> None:
    assert {config.name for config in DEFAULT_PROVIDERS} == set(KEY_FORMATS)


@pytest.mark.parametrize(
    ("provider", "key"), [(p, k) for p, keys in KEY_FORMATS.items() for k in keys]
)
def test_provider_keys_are_redacted_in_error_text(provider: str, key: str) -> None:
    secret = key.split()[-1]
    for text in (
        f"Error code: 401 - Incorrect API key provided: {key}.",
        f"{{'error': {{'message': 'invalid x-api-key {key}'}}}}",
        f"Authorization: {key}",
    ):
        assert secret not in redact(text), (provider, text)
        assert "[REDACTED]" in redact(text)


@pytest.mark.parametrize(
    "text",
    [
        'headers: {"x-api-key": "abcdef0123"}',
        "https://example.invalid/v1?api_key=abcdef0123&x=1",
        "password=hunter2222",
        '{"Authorization": "Basic dXNlcjpwYXNzd29yZA=="}',
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "AKIAIOSFODNN7EXAMPLE",
    ],
)
def test_credentials_in_bodies_are_redacted(text: str) -> None:
    out = redact_body(text)
    assert "[REDACTED]" in out
    for secret in ("abcdef0123", "hunter2222", "dXNlcjpwYXNzd29yZA", "dozjgNry", "IOSFODNN7"):
        assert secret not in out


@pytest.mark.parametrize(
    "text",
    [
        "550e8400-e29b-41d4-a716-446655440000",  # request ids stay readable
        "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
        "task-management is a basic skill; max_tokens: 100",
        "gpt-4o-mini-2024-07-18",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text
    assert redact_body(text) == text


def test_long_secrets_are_redacted_in_errors_but_not_in_bodies() -> None:
    blob = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"  # base64 image data
    assert redact_body(blob) == blob
    assert redact(f"bad token {blob}") == "bad token [REDACTED]"


def test_a_key_echoed_in_a_provider_error_is_not_stored(
    make_client: MakeClient, fake: FakeProvider
) -> None:
    key = KEY_FORMATS["groq"][0]
    fake.script("gpt-4o-mini", Fault(status=401, message=f"Invalid API Key: {key}"))
    client = make_client(max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    (row,) = rows(client)
    assert row["status"] == 401
    stored = " ".join(str(value) for value in row.values())
    assert key not in stored and key[:12] not in stored
    assert "[REDACTED]" in str(row["error"])
