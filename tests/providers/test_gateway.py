"""Migration by renaming one class: a client built with a Helicone base URL talks to the providers
directly, each with its own key, and the Helicone key never leaves the process (checked on the
wire: the fake provider records every header it received)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import helicone_lite
from helicone_lite import OptionsError
from helicone_lite.providers import ProviderNotConfigured
from helicone_lite.testing import FakeProvider

HELICONE_KEY = "sk-helicone-test-0123456789"
HI = [{"role": "user", "content": "Hi"}]


@pytest.fixture
def env(fake_provider: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> FakeProvider:
    """Every provider's variables point at the fake; the Helicone key is set as users set it."""
    monkeypatch.setenv("HELICONE_API_KEY", HELICONE_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", fake_provider.openai_base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_provider.anthropic_base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    return fake_provider


def assert_no_helicone_secret(fake: FakeProvider) -> None:
    assert fake.requests, "the fake provider received nothing"
    for request in fake.requests:
        for name, value in request.headers.items():
            assert HELICONE_KEY not in value, (name, value)
            assert not name.startswith("helicone-"), name


def test_ai_gateway_client_sends_each_model_to_its_provider(env: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(
        base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY, home=home
    )
    r = client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert r.choices[0].message.content == "echo: Hi"
    openai_request = env.last_request
    assert openai_request.protocol == "openai"
    assert openai_request.headers["authorization"] == "Bearer sk-openai-test"
    client.chat.completions.create(model="claude-sonnet-4", messages=HI)
    anthropic_request = env.last_request
    assert anthropic_request.protocol == "anthropic"
    assert "sk-ant-test" in (
        anthropic_request.headers.get("x-api-key", "")
        + anthropic_request.headers.get("authorization", "")
    )
    assert_no_helicone_secret(env)
    assert str(client.base_url).startswith(env.openai_base_url)
    assert client.helicone_gateway is not None
    assert client.helicone_gateway.gateway == "https://ai-gateway.helicone.ai"
    client.close()


def test_fallback_chain_through_the_gateway_client(env: FakeProvider, home: Path) -> None:
    from helicone_lite.testing import Fault

    env.script("gpt-4o-mini", Fault(status=503))
    client = helicone_lite.Client(
        base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY, home=home
    )
    r = client.chat.completions.create(
        model="gpt-4o-mini/claude-sonnet-4",
        messages=HI,
        extra_headers={"Helicone-Fallback-Enabled": "true"},
    )
    assert r.headers["Helicone-Fallback-Index"] == "1"
    protocols = [q.protocol for q in env.requests if q.inference]
    assert protocols[-1] == "anthropic" and set(protocols[:-1]) == {"openai"}
    assert_no_helicone_secret(env)
    client.close()


async def test_async_gateway_client(env: FakeProvider, home: Path) -> None:
    client = helicone_lite.AsyncClient(
        base_url="https://ai-gateway.helicone.ai/v1", api_key=HELICONE_KEY, home=home
    )
    r = await client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert r.choices[0].message.content == "echo: Hi"
    assert env.last_request.headers["authorization"] == "Bearer sk-openai-test"
    assert_no_helicone_secret(env)
    await client.close()


def test_missing_openai_key_names_the_variable(
    env: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY")
    client = helicone_lite.Client(
        base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY, home=home
    )
    with pytest.raises(ProviderNotConfigured, match="OPENAI_API_KEY"):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert env.requests == []
    # a key given later, per copy, is used
    copy = client.with_options(api_key="sk-later")
    copy.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert env.last_request.headers["authorization"] == "Bearer sk-later"
    client.close()


def test_missing_anthropic_key_is_not_sent_to_the_gateway(
    env: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    client = helicone_lite.Client(
        base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY, home=home
    )
    with pytest.raises(ProviderNotConfigured, match="ANTHROPIC_API_KEY"):
        client.chat.completions.create(model="claude-sonnet-4", messages=HI)
    assert env.requests == []
    client.close()


def test_openai_in_the_environment_being_the_helicone_key_counts_as_missing(
    env: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", HELICONE_KEY)
    client = helicone_lite.Client(base_url="https://ai-gateway.helicone.ai", home=home)
    with pytest.raises(ProviderNotConfigured, match="OPENAI_API_KEY"):
        client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert env.requests == []
    client.close()


def test_proxy_form_with_helicone_auth_uses_api_key_as_the_provider_key(
    env: FakeProvider, home: Path
) -> None:
    client = helicone_lite.Client(
        base_url="https://oai.helicone.ai/v1",
        api_key="sk-openai-given",
        default_headers={"Helicone-Auth": f"Bearer {HELICONE_KEY}", "X-Trace": "t1"},
        home=home,
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    request = env.last_request
    assert request.headers["authorization"] == "Bearer sk-openai-given"
    assert request.headers["x-trace"] == "t1"
    assert_no_helicone_secret(env)
    client.close()


def test_generic_gateway_with_target_url_and_provider(
    env: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-env")
    client = helicone_lite.Client(
        base_url="https://gateway.helicone.ai/v1",
        api_key="gsk-given",
        default_headers={
            "Helicone-Auth": f"Bearer {HELICONE_KEY}",
            "Helicone-Target-Url": env.url,
            "Helicone-Target-Provider": "Groq",
        },
        home=home,
    )
    client.chat.completions.create(model="llama-3.1-8b-instant", messages=HI)
    request = env.last_request
    assert request.path == "/v1/chat/completions"  # the base URL's path is kept
    assert request.headers["authorization"] == "Bearer gsk-given"
    assert client.helicone_gateway is not None and client.helicone_gateway.provider == "groq"
    assert_no_helicone_secret(env)
    client.close()


def test_openai_api_base_chooses_the_upstream(env: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(
        base_url="https://oai.helicone.ai/openai/v1",
        api_key="azure-key",
        default_headers={
            "Helicone-Auth": f"Bearer {HELICONE_KEY}",
            "Helicone-OpenAI-Api-Base": env.url,
        },
        home=home,
    )
    assert str(client.base_url).rstrip("/") == env.url + "/openai/v1"
    client.close()


def test_generic_gateway_without_target_url_is_a_clear_error(env: FakeProvider, home: Path) -> None:
    with pytest.raises(OptionsError, match="Helicone-Target-Url"):
        helicone_lite.Client(base_url="https://gateway.helicone.ai", api_key="x", home=home)
    with pytest.raises(OptionsError, match="Helicone-Target-Url"):
        helicone_lite.Client(
            base_url="https://gateway.helicone.ai",
            default_headers={"Helicone-Target-Url": "ftp://x"},
            home=home,
        )


def test_user_listed_gateway(env: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(
        base_url="http://gw.internal:8080/ai",
        api_key=HELICONE_KEY,
        helicone_gateways=["http://gw.internal:8080"],
        home=home,
    )
    client.chat.completions.create(model="gpt-4o-mini", messages=HI)
    assert env.last_request.headers["authorization"] == "Bearer sk-openai-test"
    assert_no_helicone_secret(env)
    client.close()


def test_a_helicone_openai_base_url_in_the_environment_is_not_the_upstream(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "https://ai-gateway.helicone.ai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test")
    client = helicone_lite.Client(home=home)
    assert str(client.base_url).rstrip("/") == "https://api.openai.com/v1"
    assert client.api_key == "sk-openai-test"
    client.close()


def test_one_info_line_without_secrets(
    env: FakeProvider, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="helicone_lite"):
        client = helicone_lite.Client(
            base_url="https://ai-gateway.helicone.ai", api_key=HELICONE_KEY, home=home
        )
        client.with_options(timeout=5).chat.completions.create(model="gpt-4o-mini", messages=HI)
    lines = [r for r in caplog.records if "Helicone endpoint" in r.getMessage()]
    assert len(lines) == 1 and lines[0].levelno == logging.INFO
    text = lines[0].getMessage()
    assert "OPENAI_API_KEY" in text and "ai-gateway.helicone.ai" in text
    assert HELICONE_KEY not in text and "sk-openai-test" not in text
    client.close()


def test_ordinary_clients_are_untouched(fake_provider: FakeProvider, home: Path) -> None:
    client = helicone_lite.Client(api_key="sk-x", base_url=fake_provider.openai_base_url, home=home)
    assert client.helicone_gateway is None
    assert str(client.base_url).startswith(fake_provider.openai_base_url)
    client.close()
