"""The provider registry: aliases, the model/provider rule, providers=, keys from the
environment, the missing-key error, the gateway rule, and lazy SDK imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import helicone_lite
from helicone_lite.providers import (
    DEFAULT_PROVIDERS,
    ProviderConfig,
    ProviderNotConfigured,
    ProviderRegistry,
)
from helicone_lite.providers._catalog import load_aliases, merge_providers
from helicone_lite.testing import FakeProvider, Reply

HI = [{"role": "user", "content": "Hi"}]


def rows(client: Any) -> list[dict[str, Any]]:
    client.flush()
    result: list[dict[str, Any]] = client.store.query("SELECT * FROM requests ORDER BY rowid")
    return result


# -- the model/provider rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "provider", "model_id"),
    [
        ("gpt-4o-mini", "openai", "gpt-4o-mini"),
        ("o3-mini", "openai", "o3-mini"),
        ("claude-haiku-4-5", "anthropic", "claude-haiku-4-5-20251001"),  # alias
        ("CLAUDE-SONNET-4", "anthropic", "claude-sonnet-4-20250514"),  # aliases ignore case
        ("claude-sonnet-4-6", "anthropic", "claude-sonnet-4-6"),
        ("gemini-2.5-flash", "gemini", "gemini-2.5-flash"),
        ("gemini-flash", "gemini", "gemini-flash-latest"),
        ("deepseek-chat", "deepseek", "deepseek-chat"),
        # model/provider: the part after the last slash is a configured provider
        ("llama-3.1-8b-instant/groq", "groq", "llama-3.1-8b-instant"),
        ("claude-sonnet-4/anthropic", "anthropic", "claude-sonnet-4-20250514"),
        ("openai/gpt-4o/openrouter", "openrouter", "openai/gpt-4o"),
        # org/model: not a provider after the slash, the whole string is the model id
        ("meta-llama/Llama-3.3-70B-Instruct", "openai", "meta-llama/Llama-3.3-70B-Instruct"),
        ("anthropic/claude-sonnet-4", "openai", "anthropic/claude-sonnet-4"),
        ("my-finetune", "openai", "my-finetune"),
    ],
)
def test_model_strings(model: str, provider: str, model_id: str) -> None:
    assert ProviderRegistry().split(model) == (provider, model_id)


def test_a_configured_name_makes_the_slash_a_provider() -> None:
    registry = ProviderRegistry(
        merge_providers([{"name": "meta-llama", "base_url": "http://127.0.0.1:9/v1"}])
    )
    assert registry.split("x/meta-llama") == ("meta-llama", "x")
    assert registry.split("meta-llama/x") == ("openai", "meta-llama/x")


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("gpt-4o", True),
        ("claude-sonnet-4", True),
        ("gemini-2.5-pro", True),
        ("llama-3.1-8b-instant/groq", True),
        ("meta-llama/Llama-3-8B", False),
        ("my-finetune", False),
        ("", False),
    ],
)
def test_is_known_model(name: str, known: bool) -> None:
    assert ProviderRegistry().is_known_model(name) is known


def test_aliases_come_from_data_and_target_priced_models() -> None:
    from genai_prices import Usage, calc_price

    aliases = load_aliases()
    assert aliases["claude-sonnet-4"] == "claude-sonnet-4-20250514"
    registry = ProviderRegistry()
    for name, target in aliases.items():
        provider, model_id = registry.split(name)
        assert model_id == target and provider in ("anthropic", "gemini")
        price_id = {"anthropic": "anthropic", "gemini": "google"}[provider]
        price = calc_price(
            Usage(input_tokens=1000, output_tokens=1000), target, provider_id=price_id
        )
        assert price.total_price > 0, name


def test_price_providers_exist_in_genai_prices() -> None:
    from genai_prices import data

    ids = {p.id for p in data.providers}
    assert {c.price_provider for c in DEFAULT_PROVIDERS if c.price_provider} <= ids


# -- providers= ------------------------------------------------------------------------------


def test_providers_dict_changes_only_the_fields_given() -> None:
    merged = merge_providers([{"name": "anthropic", "api_key": "sk-ant-SECRET"}])
    [anthropic] = [c for c in merged if c.name == "anthropic"]
    assert anthropic.kind == "anthropic" and anthropic.models == ("claude-*",)
    assert anthropic.api_key == "sk-ant-SECRET" and anthropic.price_provider == "anthropic"
    assert "SECRET" not in repr(anthropic)


def test_providers_add_a_named_openai_compatible_endpoint(
    fake_provider: FakeProvider, home: Path
) -> None:
    fake_provider.script(
        "local-model", Reply(text="from local", prompt_tokens=5, completion_tokens=2)
    )
    client = helicone_lite.Client(
        api_key="sk-test",
        base_url="http://127.0.0.1:9/v1",  # nothing listens here: the call must not go to origin
        home=home,
        max_retries=0,
        providers=[
            {
                "name": "local",
                "base_url": fake_provider.openai_base_url,
                "api_key": "sk-local",
                "models": "local-*",
                "price_provider": "openai",
            }
        ],
    )
    r = client.chat.completions.create(model="local-model", messages=HI)
    assert r.choices[0].message.content == "from local"
    assert fake_provider.last_request.headers["authorization"] == "Bearer sk-local"
    [row] = rows(client)
    assert row["provider"] == "local" and row["model"] == "local-model"
    client.close()


@pytest.mark.parametrize(
    ("providers", "option"),
    [
        ([{"name": "x", "colour": "red"}], "providers[0].colour"),
        (["groq"], "providers[0]"),
        ([{"name": "x", "kind": "cohere"}], "providers[x].kind"),
    ],
)
def test_bad_providers_are_refused_at_construction(
    home: Path, providers: list[Any], option: str
) -> None:
    with pytest.raises(helicone_lite.OptionsError) as info:
        helicone_lite.Client(api_key="sk-test", home=home, providers=providers)
    assert info.value.option == option


# -- keys and base URLs from the environment -----------------------------------------------


def test_builtin_openai_compatible_provider_by_name(
    fake_provider: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GROQ_API_KEY", "gsk-test")
    monkeypatch.setenv("GROQ_BASE_URL", fake_provider.openai_base_url)
    client = helicone_lite.Client(api_key="sk-test", home=home, max_retries=0)
    r = client.chat.completions.create(model="llama-3.1-8b-instant/groq", messages=HI)
    assert r.choices[0].message.content == "echo: Hi"
    request = fake_provider.last_request
    assert request.json["model"] == "llama-3.1-8b-instant"
    assert request.headers["authorization"] == "Bearer gsk-test"
    [row] = rows(client)
    assert row["provider"] == "groq" and row["cost_usd"] is not None  # groq prices llama
    client.close()


def test_anthropic_and_gemini_from_their_sdk_variables(
    fake_provider: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in fake_provider.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GOOGLE_API_KEY")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini-env-key")
    client = helicone_lite.Client(home=home, max_retries=0)
    client.chat.completions.create(model="claude-sonnet-4", messages=HI)
    client.chat.completions.create(model="gemini-2.5-flash", messages=HI)
    claude, gemini = fake_provider.requests
    assert (claude.protocol, gemini.protocol) == ("anthropic", "gemini")
    assert gemini.headers["x-goog-api-key"] == "gemini-env-key"
    client.close()


@pytest.mark.parametrize(
    ("model", "variable"),
    [
        ("claude-sonnet-4", "ANTHROPIC_API_KEY"),
        ("gemini-2.5-flash", "GOOGLE_API_KEY or GEMINI_API_KEY"),
        ("llama-3.1-8b-instant/groq", "GROQ_API_KEY"),
        ("gpt-4o/azure", "AZURE_OPENAI_BASE_URL"),
    ],
)
def test_missing_key_names_the_variable_before_any_call(
    fake_provider: FakeProvider, home: Path, model: str, variable: str
) -> None:
    client = helicone_lite.Client(api_key="sk-test", home=home)  # api.openai.com: not a gateway
    with pytest.raises(ProviderNotConfigured) as info:
        client.chat.completions.create(model=model, messages=HI)
    assert f"set {variable}" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert fake_provider.requests == [] and rows(client) == []
    client.close()


async def test_missing_key_async(home: Path) -> None:
    client = helicone_lite.AsyncClient(api_key="sk-test", home=home)
    with pytest.raises(ProviderNotConfigured, match="ANTHROPIC_API_KEY"):
        await client.chat.completions.create(model="claude-sonnet-4", messages=HI)
    await client.close()


def test_ollama_needs_no_key(
    fake_provider: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_BASE_URL", fake_provider.openai_base_url)
    client = helicone_lite.Client(api_key="sk-test", home=home, max_retries=0)
    r = client.chat.completions.create(model="llama3.2/ollama", messages=HI)
    assert r.choices[0].message.content == "echo: Hi"
    client.close()


# -- a client with its own base URL (a gateway) --------------------------------------------


@pytest.mark.parametrize("model", ["claude-sonnet-4", "gemini-2.5-flash"])
def test_gateway_client_without_provider_key_sends_to_its_own_base_url(
    fake_provider: FakeProvider, home: Path, model: str
) -> None:
    client = helicone_lite.Client(
        api_key="sk-gw", base_url=fake_provider.openai_base_url, home=home
    )
    r = client.chat.completions.create(model=model, messages=HI)
    request = fake_provider.last_request
    assert request.protocol == "openai" and request.headers["authorization"] == "Bearer sk-gw"
    assert request.json["model"] == ProviderRegistry().split(model)[1]
    assert r.choices[0].message.content == "echo: Hi"
    [row] = rows(client)
    assert row["provider"] in ("anthropic", "gemini")  # the model's provider, priced as such
    client.close()


def test_gateway_client_with_provider_key_goes_direct(
    fake_provider: FakeProvider, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_provider.anthropic_base_url)
    client = helicone_lite.Client(
        api_key="sk-gw", base_url=fake_provider.openai_base_url, home=home
    )
    client.chat.completions.create(model="claude-sonnet-4", messages=HI)
    assert fake_provider.last_request.protocol == "anthropic"
    client.close()


# -- SDK clients: built once, lazily ---------------------------------------------------------


def test_one_sdk_client_per_adapter(fake_provider: FakeProvider, home: Path) -> None:
    from .conftest import provider_configs

    client = helicone_lite.Client(
        api_key="sk-test",
        base_url=fake_provider.openai_base_url,
        home=home,
        providers=provider_configs(fake_provider),
    )
    registry = client._helicone_runtime.registry
    for _ in range(3):
        client.chat.completions.create(model="claude-sonnet-4-6", messages=HI)
        client.chat.completions.create(model="gemini-2.5-flash", messages=HI)
    for name in ("anthropic", "gemini"):
        clients = registry.adapter(name)._clients.sync  # type: ignore[attr-defined]
        assert len(clients) == 1
    [sdk] = registry.adapter("anthropic")._clients.sync.values()  # type: ignore[attr-defined]
    assert sdk.max_retries == 0
    client.close()


async def test_async_clients_are_per_event_loop(fake_provider: FakeProvider, home: Path) -> None:
    from .conftest import provider_configs

    client = helicone_lite.AsyncClient(
        api_key="sk-test",
        base_url=fake_provider.openai_base_url,
        home=home,
        providers=provider_configs(fake_provider),
    )
    for _ in range(2):
        await client.chat.completions.create(model="claude-sonnet-4-6", messages=HI)
    adapter: Any = client._helicone_runtime.registry.adapter("anthropic")
    [per_loop] = adapter._clients.per_loop.values()
    assert len(per_loop) == 1 and adapter._clients.sync == {}
    await client.close()


def test_sdks_are_imported_by_their_first_call_only(
    fake_provider: FakeProvider, tmp_path: Path
) -> None:
    """In one fresh interpreter: ``import helicone_lite`` and a client load neither provider
    SDK; the first Claude call loads anthropic, and still not google-genai."""
    code = f"""
import json, sys, helicone_lite
SDKS = ("anthropic", "google.genai")
print(json.dumps([m for m in SDKS if m in sys.modules]))
c = helicone_lite.Client(api_key="sk-test", home={str(tmp_path)!r}, providers=[
    {{"name": "anthropic", "base_url": {fake_provider.anthropic_base_url!r}, "api_key": "k"}}])
print(json.dumps([m for m in SDKS if m in sys.modules]))
c.chat.completions.create(model="claude-sonnet-4-6", messages=[{{"role": "user", "content": "Hi"}}])
print(json.dumps([m for m in SDKS if m in sys.modules]))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    imported, built, called = (json.loads(line) for line in out.stdout.splitlines()[-3:])
    assert (imported, built, called) == ([], [], ["anthropic"])


def test_provider_config_is_public() -> None:
    assert helicone_lite.ProviderConfig is ProviderConfig
    assert helicone_lite.ProviderNotConfigured is ProviderNotConfigured
