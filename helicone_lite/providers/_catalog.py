"""The built-in providers and model aliases (data, not code), and how ``providers=`` merges in.

``DEFAULT_PROVIDERS`` lists every provider known by name: OpenAI (the client's own endpoint),
Anthropic and Gemini (through their SDKs) and OpenAI-compatible endpoints with their usual
base URLs and environment variables. Aliases (``claude-sonnet-4`` -> Anthropic's dated id) are
read from ``aliases.json`` next to this module.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Any

from .._errors import OptionsError
from ._base import ProviderConfig

__all__ = ["DEFAULT_PROVIDERS", "load_aliases", "merge_providers"]


def _compatible(
    name: str,
    base_url: str | None,
    price: str | None,
    *,
    models: tuple[str, ...] = (),
    key_required: bool = True,
) -> ProviderConfig:
    """An OpenAI-compatible provider: ``<NAME>_API_KEY`` / ``<NAME>_BASE_URL``."""
    prefix = name.upper()
    return ProviderConfig(
        name=name,
        kind="openai",
        default_base_url=base_url,
        api_key_env=(f"{prefix}_API_KEY",),
        base_url_env=(f"{prefix}_BASE_URL",),
        models=models,
        price_provider=price,
        key_required=key_required,
    )


DEFAULT_PROVIDERS: tuple[ProviderConfig, ...] = (
    ProviderConfig(
        name="openai",
        kind="openai",
        api_key_env=("OPENAI_API_KEY",),
        base_url_env=("OPENAI_BASE_URL",),
        models=("gpt-*", "o[0-9]*", "chatgpt-*", "text-embedding-*", "omni-moderation-*"),
        price_provider="openai",
    ),
    ProviderConfig(
        name="anthropic",
        kind="anthropic",
        api_key_env=("ANTHROPIC_API_KEY",),
        base_url_env=("ANTHROPIC_BASE_URL",),
        models=("claude-*",),
        price_provider="anthropic",
        default_base_url="https://api.anthropic.com",
    ),
    ProviderConfig(
        name="gemini",
        kind="gemini",
        # google-genai's own order: GOOGLE_API_KEY wins when both are set.
        api_key_env=("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        base_url_env=("GOOGLE_GEMINI_BASE_URL",),
        models=("gemini-*",),
        price_provider="google",
        default_base_url="https://generativelanguage.googleapis.com",
    ),
    _compatible("groq", "https://api.groq.com/openai/v1", "groq"),
    _compatible("together", "https://api.together.xyz/v1", "together"),
    _compatible(
        "deepseek",
        "https://api.deepseek.com",
        "deepseek",
        models=("deepseek-chat", "deepseek-reasoner"),
    ),
    _compatible("openrouter", "https://openrouter.ai/api/v1", "openrouter"),
    # Azure OpenAI's v1 API: https://<resource>.openai.azure.com/openai/v1/ (no default)
    ProviderConfig(
        name="azure",
        api_key_env=("AZURE_OPENAI_API_KEY",),
        base_url_env=("AZURE_OPENAI_BASE_URL",),
        price_provider="azure",
    ),
    _compatible("ollama", "http://localhost:11434/v1", None, key_required=False),
    _compatible("vllm", "http://localhost:8000/v1", None, key_required=False),
)


def load_aliases() -> dict[str, str]:
    """``aliases.json``: short model name -> provider model id (keys starting ``_`` are notes)."""
    text = resources.files(__package__).joinpath("aliases.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return {k.lower(): str(v) for k, v in data.items() if not k.startswith("_")}


_TUPLE_FIELDS = ("api_key_env", "base_url_env", "models")
_FIELDS = frozenset(f.name for f in dataclasses.fields(ProviderConfig))


def _config(
    item: ProviderConfig | Mapping[str, object], index: int, known: Mapping[str, ProviderConfig]
) -> ProviderConfig:
    if isinstance(item, ProviderConfig):
        return item
    if not isinstance(item, Mapping) or not isinstance(item.get("name"), str):
        raise OptionsError(f"providers[{index}]", item, "a ProviderConfig or a dict with a name")
    for key in item:
        if key not in _FIELDS:
            raise OptionsError(f"providers[{index}].{key}", item[key], ", ".join(sorted(_FIELDS)))
    values: dict[str, Any] = dict(item)  # the fields' values, checked by ProviderConfig
    for key in _TUPLE_FIELDS:
        if isinstance(values.get(key), str):
            values[key] = (values[key],)
        elif key in values:
            values[key] = tuple(values[key])
    base = known.get(values["name"])
    return dataclasses.replace(base, **values) if base else ProviderConfig(**values)


def merge_providers(
    extra: Iterable[ProviderConfig | Mapping[str, object]] | None,
    defaults: Iterable[ProviderConfig] = DEFAULT_PROVIDERS,
) -> list[ProviderConfig]:
    """The providers of a client: the defaults, with ``Client(providers=[...])`` applied.

    A dict naming a known provider changes only the fields it gives (``{"name": "anthropic",
    "api_key": ...}``); a new name adds a provider; a :class:`ProviderConfig` replaces it.
    """
    configs = {c.name: c for c in defaults}
    for index, item in enumerate(extra or ()):
        config = _config(item, index, configs)
        configs[config.name] = config
    return list(configs.values())
