"""The model string as a chain: 'a/b' between known models, 'a,b', 'model/provider', 'org/model'."""

from __future__ import annotations

import pytest

from helicone_lite import OptionsError
from helicone_lite.options import Options
from helicone_lite.options._parse import parse_headers
from helicone_lite.options._values import parse_fallbacks
from helicone_lite.providers import ProviderConfig, ProviderRegistry
from helicone_lite.providers._chain import endpoint_name, split_model


@pytest.fixture
def registry() -> ProviderRegistry:
    extra = ProviderConfig(
        name="groq", kind="openai", base_url="http://127.0.0.1:9/openai/v1", models=("llama-*",)
    )
    configs = {c.name: c for c in ProviderRegistry().providers.values()}
    configs["groq"] = extra
    return ProviderRegistry(configs.values())


def models(registry: ProviderRegistry, model: str, options: Options | None = None) -> list[str]:
    return [t.model for t in registry.resolve(model, options)]


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o", ["gpt-4o"]),
        ("gpt-4o/claude-sonnet-4", ["gpt-4o", "claude-sonnet-4"]),
        (
            "gpt-4o/claude-sonnet-4/gemini-2.0-flash",
            ["gpt-4o", "claude-sonnet-4", "gemini-2.0-flash"],
        ),
        ("gpt-4o,claude-sonnet-4", ["gpt-4o", "claude-sonnet-4"]),
        (" gpt-4o , gpt-4o-mini ", ["gpt-4o", "gpt-4o-mini"]),
        ("o3-mini/gpt-4o", ["o3-mini", "gpt-4o"]),
        # org/model ids stay one model: the first part is not a known model name
        ("meta-llama/Llama-3-70b", ["meta-llama/Llama-3-70b"]),
        ("openai/gpt-4o", ["openai/gpt-4o"]),
        ("anthropic/claude-3.5-sonnet", ["anthropic/claude-3.5-sonnet"]),
        ("my-finetune/gpt-4o", ["my-finetune/gpt-4o"]),
        # the comma form chains ids that contain a slash
        ("meta-llama/Llama-3-70b,gpt-4o", ["meta-llama/Llama-3-70b", "gpt-4o"]),
    ],
)
def test_model_strings(registry: ProviderRegistry, model: str, expected: list[str]) -> None:
    assert split_model(model, registry) == expected
    assert len(registry.resolve(model)) == len(expected)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o/openai", [("openai", "gpt-4o")]),
        ("llama-3-70b/groq", [("groq", "llama-3-70b")]),
        ("meta-llama/Llama-3-70b/groq", [("groq", "meta-llama/Llama-3-70b")]),
        ("gpt-4o/openai,llama-3-70b/groq", [("openai", "gpt-4o"), ("groq", "llama-3-70b")]),
        ("gpt-4o/llama-3-70b/groq", [("openai", "gpt-4o"), ("groq", "llama-3-70b")]),
        ("gpt-4o/llama-3-70b", [("openai", "gpt-4o"), ("groq", "llama-3-70b")]),
    ],
)
def test_model_slash_provider(
    registry: ProviderRegistry, model: str, expected: list[tuple[str, str]]
) -> None:
    assert [(t.provider, t.model) for t in registry.resolve(model)] == expected


def test_org_model_ids_go_to_the_default_endpoint(registry: ProviderRegistry) -> None:
    (target,) = registry.resolve("meta-llama/Llama-3-70b")
    assert target.provider == registry.provider_for("meta-llama/Llama-3-70b")
    assert target.model == "meta-llama/Llama-3-70b"


@pytest.mark.parametrize("model", ["gpt-4o,", ",gpt-4o", "gpt-4o,,gpt-4o-mini", "gpt-4o, ,x"])
def test_empty_comma_entries_are_an_error(registry: ProviderRegistry, model: str) -> None:
    with pytest.raises(OptionsError) as caught:
        registry.resolve(model)
    assert caught.value.option == "model"
    assert caught.value.value == model


def test_split_model_is_public_for_docs(registry: ProviderRegistry) -> None:
    assert split_model("gpt-4o/claude-sonnet-4", registry) == ["gpt-4o", "claude-sonnet-4"]


def test_fallback_disabled_keeps_the_first_entry(registry: ProviderRegistry) -> None:
    options = Options(fallback_enabled=False, fallbacks=parse_fallbacks(["gpt-4o-mini"]))
    assert models(registry, "gpt-4o/gpt-4o-mini", options) == ["gpt-4o"]
    enabled = Options(fallback_enabled=True)
    assert models(registry, "gpt-4o/gpt-4o-mini", enabled) == ["gpt-4o", "gpt-4o-mini"]


def test_fallbacks_are_appended_with_their_overrides(registry: ProviderRegistry) -> None:
    options = Options(
        fallbacks=parse_fallbacks(
            [
                "gpt-4o-mini",
                {"model": "llama-3-70b/groq", "on_codes": [429]},
                {
                    "base_url": "https://api.together.xyz/v1",
                    "model": "meta-llama/Llama-3-70b",
                    "headers": {"Authorization": "Bearer t"},
                    "body": {"temperature": 0},
                },
                {"base_url": "http://127.0.0.1:8000/v1"},
                {"headers": {"X-Key": "backup"}},
            ]
        )
    )
    targets = registry.resolve("gpt-4o", options)
    assert [t.model for t in targets] == [
        "gpt-4o",
        "gpt-4o-mini",
        "llama-3-70b",
        "meta-llama/Llama-3-70b",
        "gpt-4o",
        "gpt-4o",
    ]
    assert targets[2].provider == "groq" and targets[2].on_codes == (429,)
    together = targets[3]
    assert together.provider == "api.together.xyz"
    assert together.base_url == "https://api.together.xyz/v1"
    assert dict(together.headers) == {"Authorization": "Bearer t"}
    assert dict(together.body) == {"temperature": 0}
    assert together.adapter is registry.adapter("openai")
    assert targets[4].provider == "127.0.0.1:8000"
    assert targets[5].provider == targets[0].provider
    assert dict(targets[5].headers) == {"X-Key": "backup"}


def test_legacy_helicone_fallbacks_header(registry: ProviderRegistry) -> None:
    header = (
        '[{"target-url": "https://api.lemonfox.ai", "headers": {"Authorization": "Bearer x"},'
        ' "onCodes": [401, 403], "bodyKeyOverride": {"model": "zephyr-chat"}}]'
    )
    options, rest = parse_headers({"Helicone-Fallbacks": header})
    assert rest == {}
    _, lemonfox = registry.resolve("gpt-4", options)
    assert lemonfox.base_url == "https://api.lemonfox.ai/v1"  # Helicone appends the /v1/... path
    assert lemonfox.model == "zephyr-chat"
    assert lemonfox.on_codes == (401, 403)


@pytest.mark.parametrize(
    "value",
    [
        '[{"target-url": "ftp://x"}]',
        '[{"base_url": 5}]',
        '[{"onCodes": [700]}]',
        '[{"onCodes": [{"from": "a", "to": 500}]}]',
        "not json",
    ],
)
def test_bad_fallbacks_name_the_header(value: str) -> None:
    with pytest.raises(OptionsError) as caught:
        parse_headers({"Helicone-Fallbacks": value})
    assert caught.value.option == "Helicone-Fallbacks"


def test_endpoint_name() -> None:
    assert endpoint_name("https://user:pw@api.groq.com:443/openai/v1") == "api.groq.com:443"
